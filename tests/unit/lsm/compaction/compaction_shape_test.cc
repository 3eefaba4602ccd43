// The compaction shape options: level targets sized from the bottom up
// (level_compaction_dynamic_level_bytes) and the min-overlap choice of the file to compact
// (compaction_pick_min_overlap).
#include <gtest/gtest.h>

#include <algorithm>

#include "lsm/compaction/compaction_picker.h"
#include "unit/lsm/compaction/compaction_test_util.h"

namespace jadedb::lsm::test {
namespace {

class CompactionShapeTest : public CompactionTestBase {
 protected:
  double Target(int level) {
    std::lock_guard<std::mutex> lock(mu_);
    return vset_->MaxBytesForLevel(level);
  }
};

TEST_F(CompactionShapeTest, StaticTargetsIgnoreTheLastLevel) {
  AddFile(2, 20, "a", "z", 50000);
  EXPECT_DOUBLE_EQ(Target(1), 10000);
  EXPECT_DOUBLE_EQ(Target(2), 100000);
  EXPECT_DOUBLE_EQ(Target(3), 1000000);
}

TEST_F(CompactionShapeTest, DynamicTargetsFollowTheLastLevel) {
  options_.lsm.level_compaction_dynamic_level_bytes = true;
  // Empty DB and an L1-only DB: nothing below to size from, static targets.
  EXPECT_DOUBLE_EQ(Target(1), 10000);
  AddFile(1, 10, "a", "z", 9000);
  EXPECT_DOUBLE_EQ(Target(1), 10000);

  // L2 is the last level: L1 targets a tenth of it; L2 keeps its static target.
  AddFile(2, 20, "a", "z", 50000);
  EXPECT_DOUBLE_EQ(Target(1), 5000);
  EXPECT_DOUBLE_EQ(Target(2), 100000);
  // L1 at 9000 bytes is under its static target (10000) but over the dynamic one: compact it.
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  Destroy(&c);
}

TEST_F(CompactionShapeTest, DynamicTargetsAreClampedToOneFileAndTheStaticTarget) {
  options_.lsm.level_compaction_dynamic_level_bytes = true;
  // A tiny last level: L1 is not drained below one output file.
  AddFile(2, 20, "a", "z", 500);
  EXPECT_DOUBLE_EQ(Target(1), 1000);
  // A huge last level: the levels above keep their static targets, so an L0->L1 compaction
  // stays proportional to max_bytes_for_level_base.
  AddFile(3, 30, "a", "z", 50000000);
  EXPECT_DOUBLE_EQ(Target(2), 100000);
  EXPECT_DOUBLE_EQ(Target(1), 10000);
  EXPECT_DOUBLE_EQ(Target(3), 1000000);
  // The last level over its static target spills into the next level.
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 3);
  Destroy(&c);
}

TEST_F(CompactionShapeTest, DynamicTargetsSurviveReopen) {
  options_.lsm.level_compaction_dynamic_level_bytes = true;
  AddFile(2, 20, "a", "z", 50000);
  ASSERT_TRUE(Reopen().ok());
  EXPECT_DOUBLE_EQ(Target(1), 5000);
}

// Four L1 files over an L2 whose data is dense under "c".."d" and sparse elsewhere.
class MinOverlapTest : public CompactionShapeTest {
 protected:
  void SetUpLevels() {
    VersionEdit edit;
    AddFileTo(&edit, 1, 10, "a", "b", 4000);
    AddFileTo(&edit, 1, 11, "c", "d", 4000);
    AddFileTo(&edit, 1, 12, "e", "f", 4000);  // overlaps only 22 (500 bytes): ratio 0.125
    AddFileTo(&edit, 1, 13, "g", "h", 4000);
    AddFileTo(&edit, 2, 20, "a", "b", 3000);
    AddFileTo(&edit, 2, 21, "b1", "d", 9000);
    AddFileTo(&edit, 2, 22, "f", "f", 500);
    AddFileTo(&edit, 2, 23, "g", "h", 2000);
    ASSERT_TRUE(Apply(&edit).ok());
  }
};

TEST_F(MinOverlapTest, RoundRobinTakesTheFirstFile) {
  SetUpLevels();
  auto c = Pick();  // L1: 16000 bytes over a 10000 target
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10}));
  Destroy(&c);
}

TEST_F(MinOverlapTest, MinOverlapTakesTheFileRewritingLeastBelow) {
  options_.lsm.compaction_pick_min_overlap = true;
  SetUpLevels();
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{12}));
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{22}));
  Destroy(&c);
}

TEST_F(MinOverlapTest, MinOverlapPrefersAFileWithNothingBelow) {
  options_.lsm.compaction_pick_min_overlap = true;
  SetUpLevels();
  AddFile(1, 14, "x", "y", 100);  // nothing under it in L2: ratio 0, a trivial move
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{14}));
  EXPECT_TRUE(Inputs(*c, 1).empty());
  EXPECT_TRUE(c->IsTrivialMove());
  Destroy(&c);
}

TEST_F(MinOverlapTest, L0StillTakesEveryOverlappingFile) {
  options_.lsm.compaction_pick_min_overlap = true;
  SetUpLevels();
  // L0 over its trigger outscores L1 (16000 / 10000 = 1.6): 8 files / 4 = 2.
  VersionEdit edit;
  for (uint64_t n = 30; n < 38; n++) AddFileTo(&edit, 0, n, "a", "h", 100);
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 0);
  EXPECT_EQ(c->num_input_files(0), 8);
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{10, 11, 12, 13}));
  Destroy(&c);
}

}  // namespace
}  // namespace jadedb::lsm::test
