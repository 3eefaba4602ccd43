// Read-triggered compaction bookkeeping in Version / VersionSet: the per-file seek budget,
// which file a read sample charges, marking a file, and the mark surviving new Versions while
// the file lives.
#include <gtest/gtest.h>

#include <mutex>

#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

class ReadChargeTest : public VersionTestBase {
 protected:
  // The file numbered `number` in the current version at `level`, as a charge.
  ReadCharge FileAt(int level, uint64_t number) {
    for (FileMetaData* f : vset_->current()->files(level)) {
      if (f->number == number) return ReadCharge{f, level};
    }
    ADD_FAILURE() << "no file " << number << " at level " << level;
    return ReadCharge();
  }
  uint64_t Number(const ReadCharge& c) { return c.file == nullptr ? 0 : c.file->number; }
  bool Mark(const ReadCharge& c) {
    std::lock_guard<std::mutex> lock(mu_);
    return vset_->current()->SetFileToCompact(c);
  }
};

TEST_F(ReadChargeTest, BudgetScalesWithFileSizeAboveAFloor) {
  AddFile(1, 10, "a", "c", /*size=*/1000);
  AddFile(1, 11, "d", "f", /*size=*/32 << 20);
  EXPECT_EQ(FileAt(1, 10).file->allowed_seeks.load(), 100);
  EXPECT_EQ(FileAt(1, 11).file->allowed_seeks.load(), (32 << 20) / (16 << 10));
}

TEST_F(ReadChargeTest, ChargeReportsExhaustionUntilTheFileIsMarked) {
  AddFile(0, 10, "a", "z");
  Version* v = vset_->current();
  const ReadCharge c = FileAt(0, 10);
  for (int i = 0; i < 99; i++) ASSERT_FALSE(v->ChargeRead(c, 1)) << i;
  EXPECT_TRUE(v->ChargeRead(c, 1));            // the 100th wasted read
  EXPECT_TRUE(v->ChargeRead(c, 1));            // still exhausted, still unmarked
  EXPECT_EQ(c.file->allowed_seeks.load(), 0);  // not charged below zero
  EXPECT_TRUE(Mark(c));
  EXPECT_EQ(v->file_to_compact(), c.file);
  EXPECT_EQ(v->file_to_compact_level(), 0);
  EXPECT_FALSE(v->ChargeRead(c, 1));  // marked: readers stay off the mutex
  EXPECT_FALSE(Mark(c));              // one mark per version
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_TRUE(vset_->NeedsCompaction());
  }
}

TEST_F(ReadChargeTest, WeightedChargeExhaustsAtOnce) {
  AddFile(0, 10, "a", "z");
  const ReadCharge c = FileAt(0, 10);
  EXPECT_FALSE(vset_->current()->ChargeRead(c, 99));
  EXPECT_TRUE(vset_->current()->ChargeRead(c, 16));
}

TEST_F(ReadChargeTest, MarkRejectsWrongLevelAndLastLevel) {
  AddFile(1, 10, "a", "c");
  AddFile(kNumLevels - 1, 11, "d", "f");
  EXPECT_FALSE(Mark(ReadCharge{FileAt(1, 10).file, 2}));
  EXPECT_FALSE(Mark(FileAt(kNumLevels - 1, 11)));
  EXPECT_FALSE(vset_->current()->ChargeRead(FileAt(kNumLevels - 1, 11), 1000));
  EXPECT_EQ(vset_->current()->file_to_compact(), nullptr);
}

TEST_F(ReadChargeTest, SampleChargeRules) {
  AddFile(0, 5, "a", "m");
  AddFile(0, 7, "k", "z");
  AddFile(1, 20, "a", "f");
  AddFile(1, 21, "g", "z");
  AddFile(2, 30, "a", "z");
  Version* v = vset_->current();
  // Two L0 files hold "l": the newest (highest number) is charged, for both kinds.
  EXPECT_EQ(Number(v->SampleCharge("l", /*from_seek=*/false)), 7u);
  EXPECT_EQ(Number(v->SampleCharge("l", /*from_seek=*/true)), 7u);
  // One L0 file and deeper levels hold "b".
  EXPECT_EQ(Number(v->SampleCharge("b", false)), 5u);
  EXPECT_EQ(Number(v->SampleCharge("b", true)), 5u);
  // No L0 file holds "0" or anything before "a".
  EXPECT_EQ(Number(v->SampleCharge("0", false)), 0u);
}

TEST_F(ReadChargeTest, SeekSamplesChargeOnlyLevel0) {
  AddFile(1, 20, "a", "f");
  AddFile(1, 21, "g", "p");
  AddFile(2, 30, "a", "z");
  Version* v = vset_->current();
  // LevelDB's rule: the first of two files holding the key, L1's.
  EXPECT_EQ(Number(v->SampleCharge("h", /*from_seek=*/false)), 21u);
  EXPECT_EQ(Number(v->SampleCharge("b", false)), 20u);
  // Only L2 holds "q": one file, nothing to merge.
  EXPECT_EQ(Number(v->SampleCharge("q", false)), 0u);
  // Seeks: no L0 file, no charge.
  EXPECT_EQ(Number(v->SampleCharge("h", /*from_seek=*/true)), 0u);
}

TEST_F(ReadChargeTest, SingleLevel0FileAloneIsNotCharged) {
  AddFile(0, 5, "a", "m");
  AddFile(1, 20, "n", "z");
  Version* v = vset_->current();
  EXPECT_EQ(Number(v->SampleCharge("c", true)), 0u);
  EXPECT_EQ(Number(v->SampleCharge("c", false)), 0u);
}

TEST_F(ReadChargeTest, MarkSurvivesNewVersionsWhileTheFileLives) {
  AddFile(0, 5, "a", "m");
  AddFile(0, 7, "k", "z");
  ASSERT_TRUE(Mark(FileAt(0, 5)));
  AddFile(0, 8, "b", "c");  // a flush: the marked file stays
  EXPECT_EQ(Number(ReadCharge{vset_->current()->file_to_compact(), 0}), 5u);
  EXPECT_EQ(vset_->current()->file_to_compact_level(), 0);
  VersionEdit edit;
  edit.RemoveFile(0, 5);  // compacted away
  ASSERT_TRUE(Apply(&edit).ok());
  EXPECT_EQ(vset_->current()->file_to_compact(), nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_FALSE(vset_->NeedsCompaction());
}

}  // namespace
}  // namespace jadedb::lsm::test
