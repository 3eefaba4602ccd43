// Range tombstones: DeleteRange(begin, end) records that hide every entry of a user key in
// [begin, end) with a lower sequence number. They are kept apart from point entries (a list
// in each memtable, a range-deletion block in each table) and applied by readers through a
// RangeTombstoneFragments built for the read's sequence.
//
// Plain values; a built RangeTombstoneFragments is immutable and may be shared by threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"

namespace jadedb::lsm {

struct RangeTombstone {
  std::string begin;  // inclusive user key
  std::string end;    // exclusive user key
  SequenceNumber seq = 0;
};

// The tombstones visible at one sequence, cut into sorted, disjoint fragments that each carry
// the highest sequence of the tombstones covering them, so a lookup is one binary search.
class RangeTombstoneFragments {
 public:
  RangeTombstoneFragments() = default;
  // Uses the tombstones with seq <= read_seq; empty ranges are ignored.
  RangeTombstoneFragments(const Comparator* ucmp, const std::vector<RangeTombstone>& tombstones,
                          SequenceNumber read_seq);

  // Highest sequence of a tombstone covering user_key; 0 when none does.
  SequenceNumber MaxCoveringSeq(std::string_view user_key) const;
  // True when the entry (user_key, seq) is hidden by a tombstone.
  bool Covers(std::string_view user_key, SequenceNumber seq) const {
    return !fragments_.empty() && seq < MaxCoveringSeq(user_key);
  }
  bool empty() const { return fragments_.empty(); }

 private:
  struct Fragment {
    std::string begin;
    std::string end;
    SequenceNumber seq;
  };
  const Comparator* ucmp_ = nullptr;
  std::vector<Fragment> fragments_;  // sorted by begin, disjoint
};

// Clips t to the user-key range [lower, upper) (an empty bound is unbounded). False when
// nothing of t remains.
bool ClipRangeTombstone(const Comparator* ucmp, std::string_view lower, bool has_lower,
                        std::string_view upper, bool has_upper, RangeTombstone* t);

}  // namespace jadedb::lsm
