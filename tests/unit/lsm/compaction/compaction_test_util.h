// The fixture base of the compaction picker tests: a small level shape (L1 target 10,000
// bytes, 1,000-byte files, L0 trigger 4) with LevelDB's rules (static level targets,
// round-robin file choice); a test turns on what it exercises.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "lsm/compaction/compaction_picker.h"
#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {

class CompactionTestBase : public VersionTestBase {
 protected:
  CompactionTestBase() {
    options_.lsm.level0_file_num_compaction_trigger = 4;
    options_.lsm.max_bytes_for_level_base = 10000;
    options_.lsm.max_bytes_for_level_multiplier = 10;
    options_.lsm.target_file_size = 1000;
    options_.lsm.level_compaction_dynamic_level_bytes = false;
    options_.lsm.compaction_pick_min_overlap = false;
  }

  std::unique_ptr<Compaction> Pick() {
    std::lock_guard<std::mutex> lock(mu_);
    return PickCompaction(vset_.get());
  }
  // Releases c (its input version) under the mutex, as the DB does.
  void Destroy(std::unique_ptr<Compaction>* c) {
    std::lock_guard<std::mutex> lock(mu_);
    c->reset();
  }
  // File numbers of input set `which` (0: the level, 1: the next level), sorted.
  static std::vector<uint64_t> Inputs(const Compaction& c, int which) {
    std::vector<uint64_t> r;
    for (const FileMetaData* f : c.inputs(which)) r.push_back(f->number);
    std::sort(r.begin(), r.end());
    return r;
  }
};

}  // namespace jadedb::lsm::test
