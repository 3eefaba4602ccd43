// The bloom filter policy used for table filter blocks (docs/formats/sstable.md).
#pragma once

#include <memory>

#include "lsm/base/filter_policy.h"

namespace jadedb::lsm {

// A bloom filter with about bits_per_key bits per key (10 gives ~1% false positives).
std::unique_ptr<FilterPolicy> NewBloomFilterPolicy(int bits_per_key);

}  // namespace jadedb::lsm
