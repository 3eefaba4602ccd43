#include "lsm/sstable/format.h"

#include <cstring>

#include "lsm/sstable/compression.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm {

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset_);
  PutVarint64(dst, size_);
}

namespace {

// GetVarint64Ptr, inlined: every point lookup decodes a handle from the index.
inline const char* DecodeVarint64(const char* p, const char* limit, uint64_t* value) {
  uint64_t result = 0;
  for (uint32_t shift = 0; shift <= 63 && p < limit; shift += 7) {
    const uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return p;
    }
  }
  return nullptr;
}

}  // namespace

bool BlockHandle::DecodeFrom(std::string_view* input) {
  const char* p = input->data();
  const char* const limit = p + input->size();
  if ((p = DecodeVarint64(p, limit, &offset_)) == nullptr ||
      (p = DecodeVarint64(p, limit, &size_)) == nullptr) {
    return false;
  }
  input->remove_prefix(static_cast<size_t>(p - input->data()));
  return true;
}

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  metaindex_handle_.EncodeTo(dst);
  index_handle_.EncodeTo(dst);
  dst->resize(start + 2 * BlockHandle::kMaxEncodedLength);  // zero padding
  PutFixed32(dst, version_);
  PutFixed64(dst, kTableMagicNumber);
}

Status Footer::DecodeFrom(std::string_view input, std::string_view file_name, uint64_t offset) {
  auto corrupt = [&](std::string_view what) {
    return Status::Corruption(std::string(file_name) + ": footer at offset " +
                              std::to_string(offset) + ": " + std::string(what));
  };
  if (input.size() < kEncodedLength) return corrupt("too short");
  const char* magic_ptr = input.data() + kEncodedLength - 8;
  if (DecodeFixed64(magic_ptr) != kTableMagicNumber) return corrupt("bad magic number");
  version_ = DecodeFixed32(magic_ptr - 4);
  if (version_ != kTableFormatVersion) {
    return corrupt("unsupported format version " + std::to_string(version_));
  }
  std::string_view handles = input.substr(0, 2 * BlockHandle::kMaxEncodedLength);
  if (!metaindex_handle_.DecodeFrom(&handles) || !index_handle_.DecodeFrom(&handles)) {
    return corrupt("bad block handle");
  }
  return Status::OK();
}

void AppendBlockTrailer(std::string_view contents, CompressionType type, std::string* dst) {
  char trailer[kBlockTrailerSize];
  trailer[0] = static_cast<char>(type);
  uint32_t crc = crc32c::Value(contents.data(), contents.size());
  crc = crc32c::Extend(crc, trailer, 1);
  EncodeFixed32(trailer + 1, crc32c::Mask(crc));
  dst->append(trailer, kBlockTrailerSize);
}

Status BlockCorruption(std::string_view file_name, uint64_t offset, uint64_t size,
                       std::string_view what) {
  return Status::Corruption(std::string(file_name) + ": block at offset " + std::to_string(offset) +
                            " size " + std::to_string(size) + ": " + std::string(what));
}

Status ReadBlock(const RandomAccessFile* file, std::string_view file_name, uint64_t file_size,
                 const BlockHandle& handle, bool verify_checksum, BlockContents* result) {
  const uint64_t offset = handle.offset();
  const uint64_t size = handle.size();
  // Written to avoid overflow: a handle decoded from a damaged file can hold anything.
  if (offset > file_size || size > file_size - offset ||
      kBlockTrailerSize > file_size - offset - size) {
    return BlockCorruption(file_name, offset, size,
                           "extends beyond end of file (" + std::to_string(file_size) + " bytes)");
  }
  const size_t n = static_cast<size_t>(size);
  // A mapped file's views outlive the call: read in place. Otherwise into a heap buffer that
  // becomes the block's storage (a view elsewhere, e.g. a wrapper's, is copied into it).
  const bool in_place = file->ViewsStable();
  std::unique_ptr<char[]> buf(in_place ? nullptr : new char[n + kBlockTrailerSize]);
  std::string_view contents;
  Status s = file->Read(offset, n + kBlockTrailerSize, &contents, buf.get());
  if (!s.ok()) return s;
  if (contents.size() != n + kBlockTrailerSize) {
    return BlockCorruption(file_name, offset, size, "truncated block read");
  }
  if (!in_place && contents.data() != buf.get()) {
    std::memcpy(buf.get(), contents.data(), contents.size());
  }
  const char* data = in_place ? contents.data() : buf.get();

  if (verify_checksum) {
    uint32_t expected = crc32c::Unmask(DecodeFixed32(data + n + 1));
    uint32_t actual = crc32c::Value(data, n + 1);
    if (actual != expected) return BlockCorruption(file_name, offset, size, "checksum mismatch");
  }
  auto type = static_cast<uint8_t>(data[n]);
  switch (static_cast<CompressionType>(type)) {
    case CompressionType::kNone:
      result->owned = std::move(buf);
      result->data = std::string_view(data, n);
      return Status::OK();
    case CompressionType::kSnappy:
    case CompressionType::kLz4:
    case CompressionType::kZstd: {
      std::unique_ptr<char[]> raw;
      size_t raw_size = 0;
      std::string error;
      if (!UncompressBlock(static_cast<CompressionType>(type), std::string_view(data, n), &raw,
                           &raw_size, &error)) {
        return BlockCorruption(file_name, offset, size, "cannot decompress: " + error);
      }
      result->owned = std::move(raw);
      result->data = std::string_view(result->owned.get(), raw_size);
      return Status::OK();
    }
  }
  return BlockCorruption(file_name, offset, size,
                         "unknown compression type " + std::to_string(type));
}

Status ReadFooter(const RandomAccessFile* file, std::string_view file_name, uint64_t file_size,
                  Footer* footer) {
  if (file_size < Footer::kEncodedLength) {
    return Status::Corruption(std::string(file_name) + ": file too short (" +
                              std::to_string(file_size) + " bytes) to be a table");
  }
  const uint64_t offset = file_size - Footer::kEncodedLength;
  char scratch[Footer::kEncodedLength];
  std::string_view input;
  Status s = file->Read(offset, Footer::kEncodedLength, &input, scratch);
  if (!s.ok()) return s;
  if (input.size() != Footer::kEncodedLength) {
    return Status::Corruption(std::string(file_name) + ": footer at offset " +
                              std::to_string(offset) + ": truncated read");
  }
  return footer->DecodeFrom(input, file_name, offset);
}

}  // namespace jadedb::lsm
