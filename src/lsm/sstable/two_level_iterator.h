// A two-level iterator: walks an index iterator whose values name sub-sequences (a data
// block handle in a table, a file's info in a level's file list) and, for each index entry,
// iterates the sub-iterator that block_function opens for it. The result is the
// concatenation of the sub-iterators in index order, in both directions.
//
// Requires that every key of the sub-iterator for index entry i is <= index key i and
// > index key i-1 (index keys are upper bounds, e.g. the largest key of each file), so Seek
// can position the index first. Errors from the index or any sub-iterator are reported by
// status(). Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "lsm/base/iterator.h"

namespace jadedb::lsm {

std::unique_ptr<InternalIterator> NewTwoLevelIterator(
    std::unique_ptr<InternalIterator> index_iter,
    std::function<std::unique_ptr<InternalIterator>(std::string_view index_value)> block_function);

}  // namespace jadedb::lsm
