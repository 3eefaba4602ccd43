// DBIter: turns an iterator over internal keys (every version of every key, merged from the
// memtables and tables) into the user-visible iterator: one entry per live user key as of a
// sequence number, deletions and shadowed versions hidden, optional bounds applied.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "jadedb/iterator.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"

namespace jadedb::lsm {

// Read sampling for read-triggered compaction: called with a user key the iterator read at
// and how many reads the sample stands for. from_seek: a sample of Seek calls (the key is the
// target); otherwise a sample of the bytes the iterator went through (the key is the entry's).
using ReadSampler = std::function<void(std::string_view user_key, uint32_t reads, bool from_seek)>;

// About every kReadBytesPeriod bytes (keys and values) it steps over, randomized, the iterator
// samples the entry's key with weight 1 (LevelDB's DBIter::RecordReadSample period).
inline constexpr int64_t kReadBytesPeriod = 1 << 20;
// One Seek in kSeekSamplePeriod on average (randomized) is sampled with weight
// kSeekSamplePeriod, so each Seek counts as one read in expectation at a fraction of the
// bookkeeping. A Seek positions a cursor in every sorted run: a short scan (10 entries,
// ~1 KiB) costs that much again per run, which byte sampling alone would hardly notice.
inline constexpr uint32_t kSeekSamplePeriod = 16;

// `internal` yields internal keys; entries with a sequence above `sequence` are invisible.
// lower_bound is inclusive, upper_bound exclusive. Entries covered by a range tombstone of
// `tombstones` (built for `sequence`) are hidden like deleted ones. `internal` keeps its cleanups
// (the references that keep its sources alive) and is destroyed with the returned iterator.
// sampler (may be empty: no sampling) is called as described above, only from the iterator's
// own methods.
std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        RangeTombstoneFragments tombstones = {},
                                        ReadSampler sampler = nullptr);

}  // namespace jadedb::lsm
