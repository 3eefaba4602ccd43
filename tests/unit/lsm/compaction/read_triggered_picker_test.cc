// The picker's read-triggered compactions: a file reads marked is compacted into the next
// level (an L0 file with every L0 file overlapping it) when no level is over its size, never
// ahead of a size-triggered compaction, and not at all with the option off.
#include <gtest/gtest.h>

#include <mutex>

#include "unit/lsm/compaction/compaction_test_util.h"

namespace jadedb::lsm::test {
namespace {

class ReadTriggeredPickerTest : public CompactionTestBase {
 protected:
  // Three L0 files (below the trigger of 4): 5 and 7 overlap, 9 stands apart; L1 spans all.
  void Shape() {
    AddFile(0, 5, "a", "c");
    AddFile(0, 7, "b", "d");
    AddFile(0, 9, "p", "q");
    AddFile(1, 20, "a", "e");
    AddFile(1, 21, "f", "o");
    AddFile(1, 22, "p", "z");
    AddFile(2, 30, "g", "h");
  }
  void Mark(int level, uint64_t number) {
    std::lock_guard<std::mutex> lock(mu_);
    for (FileMetaData* f : vset_->current()->files(level)) {
      if (f->number == number) {
        ASSERT_TRUE(vset_->current()->SetFileToCompact(ReadCharge{f, level}));
        return;
      }
    }
    FAIL() << "no file " << number;
  }
};

TEST_F(ReadTriggeredPickerTest, NothingMarkedNothingPicked) {
  Shape();
  EXPECT_EQ(Pick(), nullptr);
}

TEST_F(ReadTriggeredPickerTest, MarkedLevel0FileGoesWithOverlappingLevel0Files) {
  Shape();
  Mark(0, 5);
  std::unique_ptr<Compaction> c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->read_triggered());
  EXPECT_EQ(c->level(), 0);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{5, 7}));
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20}));
  Destroy(&c);
}

TEST_F(ReadTriggeredPickerTest, MarkedDeeperFileGoesDown) {
  Shape();
  Mark(1, 21);
  std::unique_ptr<Compaction> c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->read_triggered());
  EXPECT_EQ(c->level(), 1);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{21}));
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{30}));
  Destroy(&c);
}

TEST_F(ReadTriggeredPickerTest, SizeTriggeredCompactionComesFirst) {
  Shape();
  Mark(1, 21);
  AddFile(0, 11, "r", "s");  // the 4th L0 file: L0's score reaches 1
  std::unique_ptr<Compaction> c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->read_triggered());
  EXPECT_EQ(c->level(), 0);
  Destroy(&c);
}

TEST_F(ReadTriggeredPickerTest, OptionOffIgnoresMarks) {
  Shape();
  Mark(0, 5);
  options_.lsm.read_triggered_compaction = false;
  EXPECT_EQ(Pick(), nullptr);
}

}  // namespace
}  // namespace jadedb::lsm::test
