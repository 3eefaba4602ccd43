// The low-level pieces of the table file format (docs/formats/sstable.md): block handles, the
// footer, block trailers (compression type + masked CRC32C) and ReadBlock, which fetches one
// block from a file and checks it. Plain values and free functions; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::lsm {

// "JADEDBST" in file order: the last 8 bytes of every table file.
inline constexpr uint64_t kTableMagicNumber = 0x545342444544414aull;
// Bumped on any incompatible change of the layout below the footer.
inline constexpr uint32_t kTableFormatVersion = 1;

// Persisted in every block trailer: never renumber. Each data block is stored with one of
// these (see compression.h); meta blocks are always kNone.
enum class CompressionType : uint8_t {
  kNone = 0x0,
  kSnappy = 0x1,
  kLz4 = 0x2,
  kZstd = 0x3,
};

// Where a block lives in the file: its offset and the size of its contents (the trailer
// follows the contents and is not counted).
class BlockHandle {
 public:
  // Two varint64s of at most 10 bytes each.
  static constexpr size_t kMaxEncodedLength = 20;

  BlockHandle() = default;
  BlockHandle(uint64_t offset, uint64_t size) : offset_(offset), size_(size) {}

  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }
  void set_offset(uint64_t offset) { offset_ = offset; }
  void set_size(uint64_t size) { size_ = size; }

  void EncodeTo(std::string* dst) const;
  // Consumes a handle from the front of *input; false when malformed.
  bool DecodeFrom(std::string_view* input);

 private:
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
};

// The fixed-size tail of a table file.
class Footer {
 public:
  // Two padded handles, the format version (fixed32) and the magic number (fixed64).
  static constexpr size_t kEncodedLength = 2 * BlockHandle::kMaxEncodedLength + 4 + 8;

  const BlockHandle& metaindex_handle() const { return metaindex_handle_; }
  const BlockHandle& index_handle() const { return index_handle_; }
  uint32_t version() const { return version_; }
  void set_metaindex_handle(const BlockHandle& h) { metaindex_handle_ = h; }
  void set_index_handle(const BlockHandle& h) { index_handle_ = h; }

  // Appends exactly kEncodedLength bytes.
  void EncodeTo(std::string* dst) const;
  // Parses kEncodedLength bytes. Corruption (naming file_name and offset, the footer's
  // position in the file) on a bad magic number, version or handle.
  Status DecodeFrom(std::string_view input, std::string_view file_name, uint64_t offset);

 private:
  BlockHandle metaindex_handle_;
  BlockHandle index_handle_;
  uint32_t version_ = kTableFormatVersion;
};

// 1-byte compression type + 4-byte masked CRC32C of the contents and the type byte.
inline constexpr size_t kBlockTrailerSize = 5;

// Appends the trailer for block contents `contents` stored with compression `type`.
void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst);

// A block's contents as read from the file: owned (a heap copy, or the decompressed bytes), or
// a view into a memory-mapped file (owned null) that `backing`, when set, keeps mapped.
struct BlockContents {
  std::unique_ptr<char[]> owned;  // backs data when non-null
  std::string_view data;
  std::shared_ptr<const void> backing;  // keeps a mapping alive for a view (owned null)
};

// Reads the block at handle from file (file_size bytes long). Checks that the handle lies
// inside the file and, when verify_checksum, the CRC, then decompresses the contents per the
// trailer's type (result->data is always the raw block). When file->ViewsStable() and the
// block is stored uncompressed, nothing is copied: result->data points into the file's memory
// and result->owned is null, so it is valid only while the file object lives (the caller sets
// result->backing to extend that). Corruption messages have the form
// "<file_name>: block at offset N size M: <what>".
Status ReadBlock(const RandomAccessFile* file, std::string_view file_name, uint64_t file_size,
                 const BlockHandle& handle, bool verify_checksum, BlockContents* result);

// "<file_name>: block at offset N size M: <what>" as a Corruption.
Status BlockCorruption(std::string_view file_name, uint64_t offset, uint64_t size,
                       std::string_view what);

// Reads and decodes the footer at the end of file.
Status ReadFooter(const RandomAccessFile* file, std::string_view file_name, uint64_t file_size,
                  Footer* footer);

}  // namespace jadedb::lsm
