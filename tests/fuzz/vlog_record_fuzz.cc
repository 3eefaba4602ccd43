// Fuzz target: the value log's formats (src/lsm/vlog/): value pointers as the LSM tree stores
// them, single records, and whole segment files read through SegmentReader (docs/formats/
// vlog.md).
//
// Input: byte 0 holds options, the rest is the data.
//   bits 0-1: mode. 0 = the rest is an encoded ValuePointer; 1 = one record;
//             2 and 3 = a segment file (header and records), scanned and read
// Checks: a pointer or record that decodes re-encodes to the same value (a record to the very
// same bytes); every record a verifying scan returns reads back through its pointer with the
// same key and value; damage yields Corruption naming the segment, and lengths read from a
// damaged segment never turn into huge allocations.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_env.h"
#include "lsm/vlog/value_log.h"
#include "lsm/vlog/vlog_format.h"

namespace jadedb::lsm::vlog {
namespace {

constexpr char kSegmentName[] = "db/000009.vlog";

void Pointer(std::string_view data) {
  ValuePointer p;
  if (!p.DecodeFrom(data)) return;
  std::string encoded;
  p.EncodeTo(&encoded);
  ValuePointer q;
  FUZZ_CHECK(q.DecodeFrom(encoded));
  FUZZ_CHECK(q == p);
}

void Record(std::string_view data) {
  std::string_view key, value;
  const Status s = DecodeRecord(data, kSegmentName, 16, &key, &value);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    return;
  }
  std::string encoded;
  FUZZ_CHECK(AppendRecord(&encoded, key, value) == data.size());
  FUZZ_CHECK(encoded == data);
}

void Segment(std::string_view data) {
  fuzz::MemEnv env;
  env.files()[kSegmentName] = std::string(data);
  std::shared_ptr<SegmentReader> reader;
  Status s = SegmentReader::Open(&env, kSegmentName, 9, &reader);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    FUZZ_CHECK(s.ToString().find(kSegmentName) != std::string::npos);
    return;
  }
  struct Found {
    ValuePointer p;
    std::string key, value;
  };
  std::vector<Found> verified;
  uint64_t end = 0;
  s = reader->Scan(
      [&](const ValuePointer& p, std::string_view k, std::string_view v) {
        verified.push_back({p, std::string(k), std::string(v)});
        return verified.size() < 4096;
      },
      /*verify=*/true, &end);
  FUZZ_CHECK(s.ok());
  FUZZ_CHECK(end <= data.size());
  std::vector<ValuePointer> unverified;
  s = reader->Scan(
      [&](const ValuePointer& p, std::string_view, std::string_view v) {
        FUZZ_CHECK(v.empty());
        unverified.push_back(p);
        return unverified.size() < 4096;
      },
      /*verify=*/false, nullptr);
  FUZZ_CHECK(s.ok());

  for (const Found& f : verified) {
    std::string key, value;
    const std::string_view expected = f.key;
    FUZZ_CHECK(reader->Read(f.p, &expected, &key, &value).ok());
    FUZZ_CHECK(key == f.key && value == f.value);
  }
  // Pointers a damaged LSM entry could hold: the unverified walk's, and some made up from the
  // segment's own bytes.
  for (size_t i = 0; i + 12 <= data.size() && unverified.size() < 8192; i += 1 + data.size() / 16) {
    ValuePointer p;
    p.file = 9;
    p.offset = static_cast<unsigned char>(data[i]) |
               (uint64_t{static_cast<unsigned char>(data[i + 1])} << 8);
    p.size = static_cast<uint32_t>(static_cast<unsigned char>(data[i + 2]) |
                                   (uint32_t{static_cast<unsigned char>(data[i + 3])} << 8) |
                                   (uint32_t{static_cast<unsigned char>(data[i + 4])} << 24));
    unverified.push_back(p);
  }
  for (const ValuePointer& p : unverified) {
    std::string key, value;
    s = reader->Read(p, nullptr, &key, &value);
    if (!s.ok()) {
      FUZZ_CHECK(s.IsCorruption());
      FUZZ_CHECK(s.ToString().find(kSegmentName) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm::vlog

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      jadedb::lsm::vlog::Pointer(rest);
      break;
    case 1:
      jadedb::lsm::vlog::Record(rest);
      break;
    default:
      jadedb::lsm::vlog::Segment(rest);
      break;
  }
  return 0;
}
