#include "lsm/base/range_tombstone.h"

#include <algorithm>
#include <set>

namespace jadedb::lsm {

RangeTombstoneFragments::RangeTombstoneFragments(const Comparator* ucmp,
                                                 const std::vector<RangeTombstone>& tombstones,
                                                 SequenceNumber read_seq)
    : ucmp_(ucmp) {
  // A sweep over the sorted begin and end points, keeping the sequences of the tombstones
  // open at the current point in a multiset: O(n log n) for n tombstones, however much they
  // overlap.
  std::vector<const RangeTombstone*> by_begin;
  for (const RangeTombstone& t : tombstones) {
    if (t.seq > read_seq || ucmp->Compare(t.begin, t.end) >= 0) continue;
    by_begin.push_back(&t);
  }
  if (by_begin.empty()) return;
  std::vector<const RangeTombstone*> by_end = by_begin;
  std::sort(by_begin.begin(), by_begin.end(),
            [ucmp](const auto* a, const auto* b) { return ucmp->Compare(a->begin, b->begin) < 0; });
  std::sort(by_end.begin(), by_end.end(),
            [ucmp](const auto* a, const auto* b) { return ucmp->Compare(a->end, b->end) < 0; });

  std::multiset<SequenceNumber> open;
  size_t next_begin = 0, next_end = 0;
  std::string_view point;  // the current boundary; [point, next boundary) has one cover
  while (next_end < by_end.size()) {
    // The next boundary is the smaller of the next begin and the next end.
    std::string_view next = by_end[next_end]->end;
    if (next_begin < by_begin.size() && ucmp->Compare(by_begin[next_begin]->begin, next) < 0) {
      next = by_begin[next_begin]->begin;
    }
    if (!open.empty() && *open.rbegin() > 0 && ucmp->Compare(point, next) < 0) {
      const SequenceNumber seq = *open.rbegin();
      if (!fragments_.empty() && fragments_.back().seq == seq &&
          ucmp->Compare(fragments_.back().end, point) == 0) {
        fragments_.back().end.assign(next);  // same sequence: extend
      } else {
        fragments_.push_back(Fragment{std::string(point), std::string(next), seq});
      }
    }
    point = next;
    while (next_end < by_end.size() && ucmp->Compare(by_end[next_end]->end, point) == 0) {
      open.erase(open.find(by_end[next_end++]->seq));
    }
    while (next_begin < by_begin.size() && ucmp->Compare(by_begin[next_begin]->begin, point) == 0) {
      open.insert(by_begin[next_begin++]->seq);
    }
  }
}

SequenceNumber RangeTombstoneFragments::MaxCoveringSeq(std::string_view user_key) const {
  // The last fragment beginning at or before user_key.
  auto it = std::upper_bound(
      fragments_.begin(), fragments_.end(), user_key,
      [this](std::string_view k, const Fragment& f) { return ucmp_->Compare(k, f.begin) < 0; });
  if (it == fragments_.begin()) return 0;
  --it;
  return ucmp_->Compare(user_key, it->end) < 0 ? it->seq : 0;
}

bool ClipRangeTombstone(const Comparator* ucmp, std::string_view lower, bool has_lower,
                        std::string_view upper, bool has_upper, RangeTombstone* t) {
  if (has_lower && ucmp->Compare(t->begin, lower) < 0) t->begin.assign(lower);
  if (has_upper && ucmp->Compare(t->end, upper) > 0) t->end.assign(upper);
  return ucmp->Compare(t->begin, t->end) < 0;
}

}  // namespace jadedb::lsm
