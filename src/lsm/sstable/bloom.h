// The bloom filter policy used for table filter blocks (docs/formats/sstable.md).
#pragma once

#include <memory>

#include "lsm/base/filter_policy.h"

namespace jadedb::lsm {

// How a bloom filter lays out its bits. Readers understand both, whatever they write.
enum class BloomFormat {
  // All of a key's probes in one 64-byte line: one cache miss per lookup. The default.
  kCacheLocal,
  // LevelDB's layout, probes spread over the whole filter: what tables written before the
  // cache-local format hold. Kept writable for tests of that reading path.
  kLegacy,
};

// A bloom filter with about bits_per_key bits per key (10 gives ~1% false positives).
std::unique_ptr<FilterPolicy> NewBloomFilterPolicy(int bits_per_key,
                                                   BloomFormat format = BloomFormat::kCacheLocal);

}  // namespace jadedb::lsm
