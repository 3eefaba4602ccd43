// TableOptions: what the table writer and reader need to know, set by the engine from
// jadedb::LsmOptions. Plain value; the pointers are not owned and must outlive the tables.
#pragma once

#include <cstddef>

#include "lsm/base/comparator.h"
#include "lsm/base/filter_policy.h"
#include "lsm/cache/cache.h"

namespace jadedb::lsm {

struct TableOptions {
  // Order of the keys added to / read from the table (internal keys for the engine).
  const Comparator* comparator = BytewiseComparator();
  // Filter built over the keys; null = no filter block.
  const FilterPolicy* filter_policy = nullptr;
  // Cache of uncompressed data blocks; null = no caching.
  Cache* block_cache = nullptr;
  size_t block_size = 4096;
  int block_restart_interval = 16;
  // Verify every block's checksum on every read (the index, filter and footer are always
  // verified when a table is opened).
  bool paranoid_checks = false;
};

// Per-read settings passed down from jadedb::ReadOptions.
struct TableReadOptions {
  bool verify_checksums = false;
  bool fill_cache = true;
};

}  // namespace jadedb::lsm
