// The value log's on-disk format (docs/formats/vlog.md): segment header, records, and the
// value pointer the LSM tree stores in place of a separated value.
//
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jadedb/status.h"

namespace jadedb::lsm::vlog {

// "JDBVLOG\0" followed by the format version; the header ends with a CRC32C of both.
inline constexpr char kSegmentMagic[8] = {'J', 'D', 'B', 'V', 'L', 'O', 'G', '\0'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 16;  // magic(8) version(4) crc(4)
// crc(4) key_length(4) value_length(4), then key and value.
inline constexpr size_t kRecordHeaderSize = 12;

// Where a separated value lives: the record at `offset` of segment `file`, `size` bytes long
// (header included).
struct ValuePointer {
  uint64_t file = 0;
  uint64_t offset = 0;
  uint32_t size = 0;

  bool operator==(const ValuePointer& o) const {
    return file == o.file && offset == o.offset && size == o.size;
  }
  // Varint64 file, varint64 offset, varint32 size.
  void EncodeTo(std::string* dst) const;
  // False when `input` is not exactly one encoded pointer.
  bool DecodeFrom(std::string_view input);
};

void AppendSegmentHeader(std::string* dst);
// Corruption naming `fname` when the header is short, has a bad magic, version or CRC.
Status CheckSegmentHeader(std::string_view header, const std::string& fname);

// Appends one record; returns its size in bytes.
size_t AppendRecord(std::string* dst, std::string_view key, std::string_view value);
inline size_t RecordSize(size_t key_size, size_t value_size) {
  return kRecordHeaderSize + key_size + value_size;
}
// Decodes the record that `data` holds exactly. Corruption ("<fname>: offset N: ...") on a
// length mismatch or a CRC failure; *key and *value point into data.
Status DecodeRecord(std::string_view data, const std::string& fname, uint64_t offset,
                    std::string_view* key, std::string_view* value);

}  // namespace jadedb::lsm::vlog
