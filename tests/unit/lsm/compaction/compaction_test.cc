#include "lsm/compaction/compaction.h"

#include <gtest/gtest.h>

#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

class CompactionTest : public VersionTestBase {
 protected:
  CompactionTest() { options_.lsm.target_file_size = 100; }  // grandparent limit: 1000 bytes

  // A compaction of `level` over the given files of the current version.
  std::unique_ptr<Compaction> Make(int level, std::vector<uint64_t> in0, std::vector<uint64_t> in1,
                                   std::vector<uint64_t> gp) {
    Version* v = vset_->current();
    auto pick = [v](int lvl, const std::vector<uint64_t>& numbers) {
      std::vector<FileMetaData*> r;
      for (uint64_t n : numbers) {
        for (FileMetaData* f : v->files(lvl)) {
          if (f->number == n) r.push_back(f);
        }
      }
      EXPECT_EQ(r.size(), numbers.size());
      return r;
    };
    std::lock_guard<std::mutex> lock(mu_);
    return std::make_unique<Compaction>(vset_.get(), v, level, pick(level, in0),
                                        pick(level + 1, in1), pick(level + 2, gp));
  }

  void Destroy(std::unique_ptr<Compaction>* c) {
    std::lock_guard<std::mutex> lock(mu_);
    c->reset();
  }
};

TEST_F(CompactionTest, Accessors) {
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "c", 300);
  AddFileTo(&edit, 2, 20, "a", "b", 200);
  AddFileTo(&edit, 2, 21, "c", "d", 250);
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Make(1, {10}, {20, 21}, {});
  EXPECT_EQ(c->level(), 1);
  EXPECT_EQ(c->num_input_files(0), 1);
  EXPECT_EQ(c->num_input_files(1), 2);
  EXPECT_EQ(c->input(1, 1)->number, 21u);
  EXPECT_EQ(c->InputBytes(0), 300);
  EXPECT_EQ(c->InputBytes(1), 450);
  EXPECT_EQ(c->MaxOutputFileSize(), 100u);
  EXPECT_EQ(c->input_version(), vset_->current());
  EXPECT_FALSE(c->IsTrivialMove());  // there is level 2 data to merge with
  Destroy(&c);
}

TEST_F(CompactionTest, TrivialMoveNeedsOneFileAndLittleGrandparentOverlap) {
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "c");
  AddFileTo(&edit, 1, 11, "d", "f");
  AddFileTo(&edit, 3, 30, "a", "b", 600);
  AddFileTo(&edit, 3, 31, "c", "d", 600);
  ASSERT_TRUE(Apply(&edit).ok());
  auto one = Make(1, {10}, {}, {30});
  EXPECT_TRUE(one->IsTrivialMove());
  auto two = Make(1, {10, 11}, {}, {});
  EXPECT_FALSE(two->IsTrivialMove());
  auto heavy = Make(1, {10}, {}, {30, 31});  // 1200 > 1000 bytes of grandparents
  EXPECT_FALSE(heavy->IsTrivialMove());
  Destroy(&one);
  Destroy(&two);
  Destroy(&heavy);
}

TEST_F(CompactionTest, AddInputDeletionsCoversBothLevels) {
  VersionEdit setup;
  AddFileTo(&setup, 0, 10, "a", "c");
  AddFileTo(&setup, 0, 11, "b", "d");
  AddFileTo(&setup, 1, 20, "a", "z");
  ASSERT_TRUE(Apply(&setup).ok());
  auto c = Make(0, {10, 11}, {20}, {});
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  EXPECT_EQ(edit.deleted_files(), (VersionEdit::DeletedFileSet{{0, 10}, {0, 11}, {1, 20}}));
  Destroy(&c);
}

TEST_F(CompactionTest, IsBaseLevelForKeyLooksBelowTheOutputLevel) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "z");
  AddFileTo(&edit, 1, 11, "a", "z");  // the output level itself does not count
  AddFileTo(&edit, 2, 20, "c", "e");
  AddFileTo(&edit, 4, 40, "h", "j");
  AddFileTo(&edit, 4, 41, "p", "q");
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Make(0, {10}, {11}, {});
  // Increasing order, as a compaction asks.
  EXPECT_TRUE(c->IsBaseLevelForKey("a"));
  EXPECT_FALSE(c->IsBaseLevelForKey("c"));
  EXPECT_FALSE(c->IsBaseLevelForKey("e"));
  EXPECT_TRUE(c->IsBaseLevelForKey("f"));
  EXPECT_FALSE(c->IsBaseLevelForKey("i"));
  EXPECT_TRUE(c->IsBaseLevelForKey("k"));
  EXPECT_FALSE(c->IsBaseLevelForKey("p"));
  EXPECT_TRUE(c->IsBaseLevelForKey("z"));
  Destroy(&c);

  // From level 3 only levels 5 and 6 count.
  auto deep = Make(3, {}, {}, {});
  EXPECT_TRUE(deep->IsBaseLevelForKey("d"));
  EXPECT_TRUE(deep->IsBaseLevelForKey("i"));
  Destroy(&deep);
}

TEST_F(CompactionTest, ShouldStopBeforeLimitsGrandparentOverlap) {
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "z");
  const char* ranges[][2] = {{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g", "h"}, {"i", "j"}};
  for (int i = 0; i < 5; i++) AddFileTo(&edit, 3, 30 + i, ranges[i][0], ranges[i][1], 600);
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Make(1, {10}, {}, {30, 31, 32, 33, 34});
  EXPECT_FALSE(c->ShouldStopBefore(IKey("a").Encode()));
  EXPECT_FALSE(c->ShouldStopBefore(IKey("c").Encode()));  // passed 600 bytes
  EXPECT_TRUE(c->ShouldStopBefore(IKey("e").Encode()));   // 1200 > 1000: cut here
  EXPECT_FALSE(c->ShouldStopBefore(IKey("g").Encode()));  // a fresh output: 600
  EXPECT_TRUE(c->ShouldStopBefore(IKey("i").Encode()));
  EXPECT_FALSE(c->ShouldStopBefore(IKey("z").Encode()));
  Destroy(&c);
}

TEST_F(CompactionTest, TheInputVersionStaysAliveUntilReleased) {
  AddFile(1, 10, "a", "c");
  auto c = Make(1, {10}, {}, {});
  VersionEdit edit;
  c->AddInputDeletions(&edit);
  ASSERT_TRUE(Apply(&edit).ok());  // the current version no longer has file 10
  std::set<uint64_t> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    vset_->AddLiveFiles(&live);
  }
  EXPECT_TRUE(live.contains(10));  // the compaction's version still uses it
  EXPECT_EQ(c->input(0, 0)->number, 10u);
  {
    std::lock_guard<std::mutex> lock(mu_);
    c->ReleaseInputs();
    EXPECT_EQ(c->input_version(), nullptr);
    live.clear();
    vset_->AddLiveFiles(&live);
  }
  EXPECT_FALSE(live.contains(10));
  Destroy(&c);  // ReleaseInputs twice is harmless
}

}  // namespace
}  // namespace jadedb::lsm::test
