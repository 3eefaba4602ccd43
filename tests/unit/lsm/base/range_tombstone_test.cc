#include "lsm/base/range_tombstone.h"

#include <gtest/gtest.h>

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
