// DBIter: turns an iterator over internal keys (every version of every key, merged from the
// memtables and tables) into the user-visible iterator: one entry per live user key as of a
// sequence number, deletions and shadowed versions hidden, optional bounds applied.
// Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "jadedb/iterator.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"

namespace jadedb::lsm {

// `internal` yields internal keys; entries with a sequence above `sequence` are invisible.
// lower_bound is inclusive, upper_bound exclusive. Entries covered by a range tombstone of
// `tombstones` (built for `sequence`) are hidden like deleted ones. `internal` keeps its cleanups
// (the references that keep its sources alive) and is destroyed with the returned iterator.
std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        RangeTombstoneFragments tombstones = {});

}  // namespace jadedb::lsm
