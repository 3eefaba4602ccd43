// Fuzz target: the MANIFEST side of the LSM engine (src/lsm/version/): VersionEdit decoding,
// and recovery of a VersionSet from a directory holding CURRENT and a fuzzed MANIFEST
// (docs/formats/manifest.md).
//
// Input: byte 0 holds options, the rest is the data.
//   bit 0: mode. 0 = the rest is one encoded VersionEdit; 1 = the rest is a MANIFEST file,
//          recovered through VersionSet::Recover from an in-memory directory
// Checks: an edit that decodes re-encodes to bytes that decode to the same edit; recovery
// fails only with Corruption, NotSupported or InvalidArgument; a recovered state, written to a
// new manifest by LogAndApply and recovered again, comes back the same.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "fuzz_env.h"
#include "jadedb/options.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/filename.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"

namespace jadedb::lsm {
namespace {

constexpr char kDbName[] = "db";

void Edit(std::string_view data) {
  VersionEdit edit;
  const Status s = edit.DecodeFrom(data);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    return;
  }
  (void)edit.DebugString();
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit again;
  FUZZ_CHECK(again.DecodeFrom(encoded).ok());
  std::string reencoded;
  again.EncodeTo(&reencoded);
  FUZZ_CHECK(reencoded == encoded);
  FUZZ_CHECK(again.DebugString() == edit.DebugString());
}

// What a recovered VersionSet holds, as text.
std::string Describe(VersionSet* vs) {
  std::string d = vs->current()->DebugString();
  d += " log " + std::to_string(vs->LogNumber()) + " prev " + std::to_string(vs->PrevLogNumber()) +
       " last " + std::to_string(vs->LastSequence());
  for (int level = 0; level < kNumLevels; level++) {
    d += " cp" + std::to_string(level) + "=" + vs->CompactPointer(level);
  }
  return d;
}

void Recover(std::string_view manifest) {
  fuzz::MemEnv env;
  env.files()[CurrentFileName(kDbName)] = "MANIFEST-000001\n";
  env.files()[ManifestFileName(kDbName, 1)] = std::string(manifest);
  Options options;
  options.env = &env;
  const InternalKeyComparator icmp(BytewiseComparator());
  TableOptions table_options;
  table_options.comparator = &icmp;
  TableCache table_cache(kDbName, table_options, &env, 10);

  std::string before;
  {
    VersionSet vs(kDbName, &options, &table_cache, &icmp);
    bool save_manifest = false;
    const Status s = vs.Recover(&save_manifest);
    if (!s.ok()) {
      FUZZ_CHECK(s.IsCorruption() || s.IsNotSupported() || s.IsInvalidArgument());
      return;
    }
    FUZZ_CHECK(save_manifest);
    // What the DB asks of a fresh Version.
    std::set<uint64_t> live;
    vs.AddLiveFiles(&live);
    (void)vs.LevelSummary();
    for (int level = 0; level < kNumLevels; level++) {
      (void)vs.NumLevelFiles(level);
      (void)vs.NumLevelBytes(level);
      (void)vs.current()->OverlapInLevel(level, nullptr, nullptr);
      std::vector<FileMetaData*> inputs;
      vs.current()->GetOverlappingInputs(level, nullptr, nullptr, &inputs);
    }
    (void)vs.NeedsCompaction();
    before = Describe(&vs);

    // Open writes a fresh manifest holding a snapshot of the recovered state.
    std::mutex mu;
    std::lock_guard<std::mutex> l(mu);
    VersionEdit edit;
    FUZZ_CHECK(vs.LogAndApply(&edit, &mu).ok());
  }
  VersionSet vs(kDbName, &options, &table_cache, &icmp);
  bool save_manifest = false;
  FUZZ_CHECK(vs.Recover(&save_manifest).ok());
  FUZZ_CHECK(Describe(&vs) == before);
}

}  // namespace
}  // namespace jadedb::lsm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    jadedb::lsm::Recover(rest);
  } else {
    jadedb::lsm::Edit(rest);
  }
  return 0;
}
