#include "lsm/base/range_tombstone.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "util/random.h"

namespace jadedb::lsm {
namespace {

TEST(RangeTombstoneFragmentsTest, EmptyCoversNothing) {
  RangeTombstoneFragments f;
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(0u, f.MaxCoveringSeq("a"));
  EXPECT_FALSE(f.Covers("a", 1));
}

TEST(RangeTombstoneFragmentsTest, OverlappingTombstonesKeepTheHighestSequence) {
  const Comparator* ucmp = BytewiseComparator();
  std::vector<RangeTombstone> ts = {{"b", "f", 10}, {"d", "h", 20}, {"a", "c", 5}};
  RangeTombstoneFragments f(ucmp, ts, kMaxSequenceNumber);
  EXPECT_EQ(0u, f.MaxCoveringSeq("0"));
  EXPECT_EQ(5u, f.MaxCoveringSeq("a"));
  EXPECT_EQ(10u, f.MaxCoveringSeq("b"));
  EXPECT_EQ(10u, f.MaxCoveringSeq("c"));
  EXPECT_EQ(20u, f.MaxCoveringSeq("d"));
  EXPECT_EQ(20u, f.MaxCoveringSeq("g"));
  EXPECT_EQ(0u, f.MaxCoveringSeq("h"));  // end is exclusive
  EXPECT_TRUE(f.Covers("e", 19));
  EXPECT_FALSE(f.Covers("e", 21));  // written after the tombstone
}

TEST(RangeTombstoneFragmentsTest, ReadSequenceHidesNewerTombstones) {
  std::vector<RangeTombstone> ts = {{"a", "z", 10}, {"m", "n", 30}};
  RangeTombstoneFragments f(BytewiseComparator(), ts, 20);
  EXPECT_EQ(10u, f.MaxCoveringSeq("m"));
  RangeTombstoneFragments none(BytewiseComparator(), ts, 5);
  EXPECT_TRUE(none.empty());
}

TEST(RangeTombstoneFragmentsTest, EmptyAndInvertedRangesAreIgnored) {
  std::vector<RangeTombstone> ts = {{"c", "c", 10}, {"d", "b", 11}};
  RangeTombstoneFragments f(BytewiseComparator(), ts, kMaxSequenceNumber);
  EXPECT_TRUE(f.empty());
}

TEST(RangeTombstoneFragmentsTest, AdjacentRanges) {
  std::vector<RangeTombstone> ts = {{"a", "c", 7}, {"c", "e", 7}, {"e", "g", 9}};
  RangeTombstoneFragments f(BytewiseComparator(), ts, kMaxSequenceNumber);
  EXPECT_EQ(7u, f.MaxCoveringSeq("b"));
  EXPECT_EQ(7u, f.MaxCoveringSeq("c"));
  EXPECT_EQ(9u, f.MaxCoveringSeq("e"));
  EXPECT_EQ(0u, f.MaxCoveringSeq("g"));
}

// Random tombstones over a small key space against a brute-force model: for every probe key,
// the highest sequence <= read_seq of a tombstone with begin <= key < end.
TEST(RangeTombstoneFragmentsTest, RandomizedAgainstBruteForce) {
  const Comparator* ucmp = BytewiseComparator();
  Random rnd(0x5eed);
  auto random_key = [&rnd] {
    std::string k(1 + rnd.Uniform(3), 'a');
    for (char& c : k) c = static_cast<char>('a' + rnd.Uniform(5));
    return k;
  };
  std::vector<std::string> probes = {""};
  for (char a = 'a'; a <= 'f'; a++) {
    probes.push_back(std::string(1, a));
    for (char b = 'a'; b <= 'f'; b++) {
      probes.push_back(std::string{a, b});
      for (char c = 'a'; c <= 'f'; c += 2) probes.push_back(std::string{a, b, c});
    }
  }
  for (int round = 0; round < 2000; round++) {
    std::vector<RangeTombstone> ts(rnd.Uniform(30));
    for (RangeTombstone& t : ts) {
      t.begin = random_key();
      // Mostly proper ranges; some empty or inverted ones, which must be ignored.
      t.end = rnd.OneIn(8) ? t.begin : random_key();
      if (!rnd.OneIn(8) && t.end < t.begin) std::swap(t.begin, t.end);
      // Few distinct sequences, so equal-sequence neighbours (which merge) are common.
      t.seq = rnd.Uniform(6) * 10;
    }
    const SequenceNumber read_seq = rnd.OneIn(3) ? kMaxSequenceNumber : rnd.Uniform(60);
    RangeTombstoneFragments f(ucmp, ts, read_seq);
    bool any_live = false;
    for (const RangeTombstone& t : ts)
      any_live |= t.seq > 0 && t.seq <= read_seq && t.begin < t.end;
    ASSERT_EQ(!any_live, f.empty()) << "round " << round;
    for (const std::string& k : probes) {
      SequenceNumber want = 0;
      for (const RangeTombstone& t : ts) {
        if (t.seq <= read_seq && t.begin <= k && k < t.end) want = std::max(want, t.seq);
      }
      ASSERT_EQ(want, f.MaxCoveringSeq(k)) << "round " << round << " key '" << k << "'";
      ASSERT_EQ(want > 5, f.Covers(k, 5)) << "round " << round << " key '" << k << "'";
    }
  }
}

// Counts comparisons, to check the cost of fragmenting without timing anything.
class CountingComparator final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override {
    calls++;
    return BytewiseComparator()->Compare(a, b);
  }
  const char* Name() const override { return "counting"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
  mutable std::atomic<uint64_t> calls{0};
};

// n nested tombstones ([i, 2n - i) for i < n) make n^2 / 2 (fragment, tombstone) pairs; the
// sweep costs O(n log n) comparisons whatever the overlap.
TEST(RangeTombstoneFragmentsTest, NestedTombstonesCostNLogNComparisons) {
  const int n = 20000;
  std::vector<RangeTombstone> ts;
  auto key = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%08d", i);
    return std::string(buf);
  };
  for (int i = 0; i < n; i++) ts.push_back({key(i), key(2 * n - i), static_cast<uint64_t>(i + 1)});
  CountingComparator ucmp;
  RangeTombstoneFragments f(&ucmp, ts, kMaxSequenceNumber);
  EXPECT_LT(ucmp.calls.load(), 100ull * n * 15) << "comparisons for " << n << " tombstones";
  // Innermost wins inside, each outer ring keeps its own sequence.
  EXPECT_EQ(static_cast<uint64_t>(n), f.MaxCoveringSeq(key(n)));
  EXPECT_EQ(1u, f.MaxCoveringSeq(key(0)));
  EXPECT_EQ(1u, f.MaxCoveringSeq(key(2 * n - 1)));
  EXPECT_EQ(0u, f.MaxCoveringSeq(key(2 * n)));
  EXPECT_EQ(501u, f.MaxCoveringSeq(key(500)));
}

TEST(ClipRangeTombstoneTest, Clips) {
  const Comparator* ucmp = BytewiseComparator();
  RangeTombstone t{"b", "m", 3};
  ASSERT_TRUE(ClipRangeTombstone(ucmp, "d", true, "k", true, &t));
  EXPECT_EQ("d", t.begin);
  EXPECT_EQ("k", t.end);
  RangeTombstone u{"b", "m", 3};
  ASSERT_TRUE(ClipRangeTombstone(ucmp, "", false, "", false, &u));
  EXPECT_EQ("b", u.begin);
  EXPECT_EQ("m", u.end);
  RangeTombstone v{"b", "d", 3};
  EXPECT_FALSE(ClipRangeTombstone(ucmp, "d", true, "", false, &v));
}

}  // namespace
}  // namespace jadedb::lsm
