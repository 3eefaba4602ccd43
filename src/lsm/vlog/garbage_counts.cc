#include "lsm/vlog/garbage_counts.h"

#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::vlog {
namespace {

constexpr uint32_t kMagic = 0x4247564Au;  // "JVGB" read as little-endian bytes
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 12;  // magic, version, count
constexpr size_t kEntrySize = 16;   // segment, garbage
constexpr size_t kTrailerSize = 4;  // masked CRC32C of everything before it

}  // namespace

std::string GarbageCountsFileName(const std::string& dbname) { return dbname + "/VLOGGARBAGE"; }

std::string GarbageCountsTempFileName(const std::string& dbname) {
  return dbname + "/VLOGGARBAGE.tmp";
}

std::string EncodeGarbageCounts(const GarbageCounts& counts) {
  std::string out;
  out.reserve(kHeaderSize + counts.size() * kEntrySize + kTrailerSize);
  PutFixed32(&out, kMagic);
  PutFixed32(&out, kVersion);
  PutFixed32(&out, static_cast<uint32_t>(counts.size()));
  for (const auto& [segment, garbage] : counts) {
    PutFixed64(&out, segment);
    PutFixed64(&out, garbage);
  }
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out)));
  return out;
}

bool DecodeGarbageCounts(std::string_view data, GarbageCounts* counts, std::string* why) {
  counts->clear();
  if (data.size() < kHeaderSize + kTrailerSize) {
    *why = "too short (" + std::to_string(data.size()) + " bytes)";
    return false;
  }
  if (DecodeFixed32(data.data()) != kMagic) {
    *why = "bad magic";
    return false;
  }
  const uint32_t version = DecodeFixed32(data.data() + 4);
  if (version != kVersion) {
    *why = "unknown version " + std::to_string(version);
    return false;
  }
  const uint64_t n = DecodeFixed32(data.data() + 8);
  if (data.size() != kHeaderSize + n * kEntrySize + kTrailerSize) {
    *why = "length " + std::to_string(data.size()) + " does not match " + std::to_string(n) +
           " entries";
    return false;
  }
  const size_t body = data.size() - kTrailerSize;
  if (crc32c::Unmask(DecodeFixed32(data.data() + body)) != crc32c::Value(data.data(), body)) {
    *why = "checksum mismatch";
    return false;
  }
  for (uint64_t i = 0; i < n; i++) {
    const char* p = data.data() + kHeaderSize + i * kEntrySize;
    (*counts)[DecodeFixed64(p)] = DecodeFixed64(p + 8);
  }
  return true;
}

}  // namespace jadedb::lsm::vlog
