#include "lsm/vlog/vlog_format.h"

#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::vlog {

void ValuePointer::EncodeTo(std::string* dst) const {
  PutVarint64(dst, file);
  PutVarint64(dst, offset);
  PutVarint32(dst, size);
}

bool ValuePointer::DecodeFrom(std::string_view input) {
  return GetVarint64(&input, &file) && GetVarint64(&input, &offset) && GetVarint32(&input, &size) &&
         input.empty();
}

void AppendSegmentHeader(std::string* dst) {
  const size_t start = dst->size();
  dst->append(kSegmentMagic, sizeof(kSegmentMagic));
  PutFixed32(dst, kFormatVersion);
  PutFixed32(dst, crc32c::Mask(crc32c::Value(dst->data() + start, 12)));
}

Status CheckSegmentHeader(std::string_view header, const std::string& fname) {
  if (header.size() < kSegmentHeaderSize) {
    return Status::Corruption(fname, "offset 0: segment header truncated");
  }
  if (std::memcmp(header.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    return Status::Corruption(fname, "offset 0: bad magic (not a value-log segment)");
  }
  if (crc32c::Unmask(DecodeFixed32(header.data() + 12)) != crc32c::Value(header.data(), 12)) {
    return Status::Corruption(fname, "offset 0: segment header checksum mismatch");
  }
  const uint32_t version = DecodeFixed32(header.data() + 8);
  if (version != kFormatVersion) {
    return Status::Corruption(fname,
                              "offset 8: unsupported format version " + std::to_string(version));
  }
  return Status::OK();
}

size_t AppendRecord(std::string* dst, std::string_view key, std::string_view value) {
  const size_t start = dst->size();
  dst->resize(start + 4);
  PutFixed32(dst, static_cast<uint32_t>(key.size()));
  PutFixed32(dst, static_cast<uint32_t>(value.size()));
  dst->append(key);
  dst->append(value);
  const uint32_t crc = crc32c::Value(dst->data() + start + 4, dst->size() - start - 4);
  EncodeFixed32(dst->data() + start, crc32c::Mask(crc));
  return dst->size() - start;
}

Status DecodeRecord(std::string_view data, const std::string& fname, uint64_t offset,
                    std::string_view* key, std::string_view* value) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(fname, "offset " + std::to_string(offset) + ": " + what);
  };
  if (data.size() < kRecordHeaderSize) return corrupt("record truncated");
  const uint64_t klen = DecodeFixed32(data.data() + 4);
  const uint64_t vlen = DecodeFixed32(data.data() + 8);
  if (kRecordHeaderSize + klen + vlen != data.size()) {
    return corrupt("record length mismatch");
  }
  const uint32_t expected = crc32c::Unmask(DecodeFixed32(data.data()));
  if (crc32c::Value(data.data() + 4, data.size() - 4) != expected) {
    return corrupt("record checksum mismatch");
  }
  *key = data.substr(kRecordHeaderSize, klen);
  *value = data.substr(kRecordHeaderSize + klen, vlen);
  return Status::OK();
}

}  // namespace jadedb::lsm::vlog
