#include "lsm/wal/log_writer.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::log {

namespace {

void InitTypeCrc(uint32_t* type_crc) {
  for (int i = 0; i <= kMaxRecordType; i++) {
    char t = static_cast<char>(i);
    type_crc[i] = crc32c::Value(&t, 1);
  }
}

}  // namespace

Writer::Writer(WritableFile* dest, LogKind kind) : Writer(dest, 0) {
  kind_ = kind;
  header_pending_ = true;
}

Writer::Writer(WritableFile* dest, uint64_t dest_length)
    : dest_(dest), block_offset_(static_cast<int>(dest_length % kBlockSize)) {
  InitTypeCrc(type_crc_);
}

Status Writer::WriteHeader() {
  if (!header_pending_) return Status::OK();
  // The file header goes first, at offset 0 (block_offset_ is 0, so it fits). Cleared even
  // on failure: the writer must not be used after a failure.
  header_pending_ = false;
  char payload[kFileHeaderPayloadSize];
  std::memcpy(payload, kLogMagic, kLogMagicSize);
  EncodeFixed32(payload + kLogMagicSize, kLogFormatVersion);
  EncodeFixed32(payload + kLogMagicSize + 4, static_cast<uint32_t>(kind_));
  return EmitPhysicalRecord(kFileHeaderType, payload, sizeof(payload));
}

Status Writer::AddRecord(std::string_view record) {
  const char* ptr = record.data();
  size_t left = record.size();

  Status s = WriteHeader();
  if (!s.ok()) return s;

  // Fragment the record so no fragment crosses a block boundary. An empty record still
  // emits one (zero-length) FULL fragment, so it can be read back.
  bool begin = true;
  do {
    const size_t leftover = kBlockSize - static_cast<size_t>(block_offset_);
    if (leftover < kHeaderSize) {
      // Not even a header fits: zero-fill the block tail (the reader skips it) and switch.
      if (leftover > 0) {
        static constexpr char kZeros[kHeaderSize] = {};
        s = dest_->Append(std::string_view(kZeros, leftover));
        if (!s.ok()) return s;
      }
      block_offset_ = 0;
    }
    // A header always fits here; the fragment may be empty when exactly a header fits.
    const size_t avail = kBlockSize - static_cast<size_t>(block_offset_) - kHeaderSize;
    const size_t fragment_length = std::min(left, avail);
    const bool end = (left == fragment_length);
    RecordType type;
    if (begin && end) {
      type = kFullType;
    } else if (begin) {
      type = kFirstType;
    } else if (end) {
      type = kLastType;
    } else {
      type = kMiddleType;
    }
    s = EmitPhysicalRecord(type, ptr, fragment_length);
    ptr += fragment_length;
    left -= fragment_length;
    begin = false;
  } while (s.ok() && left > 0);

  // Hand the whole record to the OS at once: it then survives a process crash (not a power
  // loss; that takes the caller's Sync).
  if (s.ok()) s = dest_->Flush();
  return s;
}

Status Writer::EmitPhysicalRecord(RecordType type, const char* ptr, size_t length) {
  assert(length <= 0xffff);
  assert(static_cast<size_t>(block_offset_) + kHeaderSize + length <= kBlockSize);

  char header[kHeaderSize];
  uint32_t crc = crc32c::Extend(type_crc_[type], ptr, length);
  EncodeFixed32(header, crc32c::Mask(crc));
  EncodeFixed16(header + 4, static_cast<uint16_t>(length));
  header[6] = static_cast<char>(type);

  // Advance even on failure: after a failed write the log's contents are unknown and the
  // caller must stop using this writer (the DB treats it as a background error).
  block_offset_ += static_cast<int>(kHeaderSize + length);
  Status s = dest_->Append(std::string_view(header, kHeaderSize));
  if (s.ok()) s = dest_->Append(std::string_view(ptr, length));
  return s;
}

}  // namespace jadedb::lsm::log
