// An InternalIterator that shows value-pointer entries (kTypeValuePointer) with their values
// read from the value log, so everything above it (DBIter) sees plain values. Values are read
// lazily, on value(), once per position.
//
// The iterator holds the segments that were current when it was created (`pinned`), so a
// segment GC deletes meanwhile stays readable through its open descriptor; segments created
// later are looked up in `log`. A pointer into a segment found in neither can only be a
// version shadowed at the iterator's sequence (see value()); it reads as empty. Not
// thread-safe (like every iterator).
#pragma once

#include <memory>

#include "lsm/base/iterator.h"
#include "lsm/vlog/value_log.h"

namespace jadedb::lsm::vlog {

std::unique_ptr<InternalIterator> NewResolvingIterator(std::unique_ptr<InternalIterator> child,
                                                       std::shared_ptr<const SegmentMap> pinned,
                                                       const ValueLog* log);

}  // namespace jadedb::lsm::vlog
