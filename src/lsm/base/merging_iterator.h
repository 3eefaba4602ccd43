// A merging iterator: the union of several sorted child iterators in comparator order, in
// both directions. Duplicate keys are all yielded. Not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "lsm/base/comparator.h"
#include "lsm/base/iterator.h"

namespace jadedb::lsm {

std::unique_ptr<InternalIterator> NewMergingIterator(
    const Comparator* comparator, std::vector<std::unique_ptr<InternalIterator>> children);

}  // namespace jadedb::lsm
