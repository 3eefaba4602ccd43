#include "lsm/base/range_tombstone.h"

#include <algorithm>

namespace jadedb::lsm {

RangeTombstoneFragments::RangeTombstoneFragments(const Comparator* ucmp,
                                                 const std::vector<RangeTombstone>& tombstones,
                                                 SequenceNumber read_seq)
    : ucmp_(ucmp) {
  std::vector<const RangeTombstone*> live;
  std::vector<std::string_view> points;
  for (const RangeTombstone& t : tombstones) {
    if (t.seq > read_seq || ucmp->Compare(t.begin, t.end) >= 0) continue;
    live.push_back(&t);
    points.push_back(t.begin);
    points.push_back(t.end);
  }
  if (live.empty()) return;
  auto less = [ucmp](std::string_view a, std::string_view b) { return ucmp->Compare(a, b) < 0; };
  std::sort(points.begin(), points.end(), less);
  points.erase(std::unique(points.begin(), points.end(),
                           [ucmp](std::string_view a, std::string_view b) {
                             return ucmp->Compare(a, b) == 0;
                           }),
               points.end());
  // seqs[i] covers [points[i], points[i + 1]).
  std::vector<SequenceNumber> seqs(points.size(), 0);
  for (const RangeTombstone* t : live) {
    size_t lo = std::lower_bound(points.begin(), points.end(), t->begin, less) - points.begin();
    size_t hi = std::lower_bound(points.begin(), points.end(), t->end, less) - points.begin();
    for (size_t i = lo; i < hi; i++) seqs[i] = std::max(seqs[i], t->seq);
  }
  for (size_t i = 0; i + 1 < points.size(); i++) {
    if (seqs[i] == 0) continue;
    if (!fragments_.empty() && fragments_.back().seq == seqs[i] &&
        ucmp->Compare(fragments_.back().end, points[i]) == 0) {
      fragments_.back().end.assign(points[i + 1]);  // same sequence: extend
    } else {
      fragments_.push_back(Fragment{std::string(points[i]), std::string(points[i + 1]), seqs[i]});
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
