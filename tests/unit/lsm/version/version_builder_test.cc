// VersionBuilder is private to the version component; it is exercised through
// VersionSet::LogAndApply, which applies every edit with it.
#include "lsm/version/version_builder.h"

#include <gtest/gtest.h>

#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

class VersionBuilderTest : public VersionTestBase {};

TEST_F(VersionBuilderTest, AddsAndRemovesFilesSortedBySmallestKey) {
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "m", "p");
  AddFileTo(&edit, 1, 11, "a", "c");
  AddFileTo(&edit, 1, 12, "x", "z");
  AddFileTo(&edit, 0, 13, "b", "y");
  AddFileTo(&edit, 0, 14, "a", "c");
  ASSERT_TRUE(Apply(&edit).ok());
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{11, 10, 12}));
  EXPECT_EQ(FileNumbers(0), (std::vector<uint64_t>{14, 13}));

  VersionEdit remove;
  remove.RemoveFile(1, 10);
  remove.RemoveFile(0, 14);
  remove.RemoveFile(2, 999);  // not there: ignored
  ASSERT_TRUE(Apply(&remove).ok());
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{11, 12}));
  EXPECT_EQ(FileNumbers(0), (std::vector<uint64_t>{13}));
}

TEST_F(VersionBuilderTest, MoveBetweenLevelsInOneEdit) {
  AddFile(0, 10, "a", "c");
  VersionEdit move;
  move.RemoveFile(0, 10);
  move.AddFile(1, 10, 1000, IKey("a"), IKey("c"));
  ASSERT_TRUE(Apply(&move).ok());
  EXPECT_TRUE(FileNumbers(0).empty());
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10}));
}

TEST_F(VersionBuilderTest, DeleteAndReAddInOneEditKeepsOneCopy) {
  AddFile(1, 10, "a", "c", 1000);
  VersionEdit edit;
  edit.RemoveFile(1, 10);
  edit.AddFile(1, 10, 2000, IKey("a"), IKey("c"));  // deletions apply first
  ASSERT_TRUE(Apply(&edit).ok());
  ASSERT_EQ(FileNumbers(1), (std::vector<uint64_t>{10}));
  EXPECT_EQ(vset_->current()->files(1)[0]->file_size, 2000u);
}

TEST_F(VersionBuilderTest, OverlappingFilesInALevelAreRejected) {
  AddFile(1, 10, "a", "m");
  VersionEdit edit;
  AddFileTo(&edit, 1, 11, "k", "z");
  Status s = Apply(&edit);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("overlapping files 10 and 11 at level 1"), std::string::npos)
      << s.ToString();
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10}));  // current version unchanged

  // In L0 overlap is normal.
  VersionEdit l0;
  AddFileTo(&l0, 0, 12, "a", "z");
  AddFileTo(&l0, 0, 13, "b", "c");
  EXPECT_TRUE(Apply(&l0).ok());
}

TEST_F(VersionBuilderTest, SameUserKeyMayEndOneFileAndStartTheNext) {
  // Versions of "k" split across two files: newer (higher sequence) versions sort first.
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "k", 1000, 100, 50);
  AddFileTo(&edit, 1, 11, "k", "z", 1000, 40, 100);
  EXPECT_TRUE(Apply(&edit).ok());
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10, 11}));
}

TEST_F(VersionBuilderTest, InvertedFileRangeIsRejected) {
  VersionEdit edit;
  AddFileTo(&edit, 2, 10, "z", "a");
  Status s = Apply(&edit);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(FileNumbers(2).empty());
}

TEST_F(VersionBuilderTest, LevelOutOfRangeIsInvalidArgument) {
  VersionEdit edit;
  edit.AddFile(kNumLevels, 10, 100, IKey("a"), IKey("b"));
  EXPECT_TRUE(Apply(&edit).IsInvalidArgument());
  VersionEdit edit2;
  edit2.RemoveFile(-1, 10);
  EXPECT_TRUE(Apply(&edit2).IsInvalidArgument());
}

TEST_F(VersionBuilderTest, FilesStaySharedBetweenVersions) {
  AddFile(1, 10, "a", "c");
  Version* old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = vset_->current();
    old->Ref();
  }
  AddFile(1, 11, "d", "f");
  const FileMetaData* shared = vset_->current()->files(1)[0];
  EXPECT_EQ(shared, old->files(1)[0]);  // the same metadata object, not a copy
  EXPECT_EQ(shared->refs, 2);
  {
    std::lock_guard<std::mutex> lock(mu_);
    old->Unref();
  }
  EXPECT_EQ(shared->refs, 1);
}

}  // namespace
}  // namespace jadedb::lsm::test
