// TableOptions: what the table writer and reader need to know, set by the engine from
// jadedb::LsmOptions. Plain value; the pointers are not owned and must outlive the tables.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "lsm/base/comparator.h"
#include "lsm/base/filter_policy.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/format.h"

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
  // Codec for data blocks (a block is kept compressed only when that saves >= 1/8) and its
  // level (0 = the codec's default).
  CompressionType compression = CompressionType::kNone;
  int compression_level = 0;
  // Keep the index and filter blocks in the Table object while it is open (true), or read
  // them through block_cache on use, charged and evictable like data blocks (false; pinned
  // anyway when there is no block cache).
  bool pin_index_and_filter = true;
  // Verify every block's checksum on every read (the index, filter and footer are always
  // verified when a table is opened).
  bool paranoid_checks = false;
};

// Per-read settings passed down from jadedb::ReadOptions.
struct TableReadOptions {
  bool verify_checksums = false;
  bool fill_cache = true;
  // Iterators over tables with internal keys: user-key bounds [lower, upper) of the scan. A
  // data block lying entirely outside them is not read when the iterator steps onto it (it
  // becomes the end of the table instead). Keys outside the bounds may still be returned from
  // blocks that straddle them: the caller filters.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
};

}  // namespace jadedb::lsm
