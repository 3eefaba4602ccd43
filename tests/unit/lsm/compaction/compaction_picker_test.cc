#include "lsm/compaction/compaction_picker.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "unit/lsm/compaction/compaction_test_util.h"

namespace jadedb::lsm::test {
namespace {

class CompactionPickerTest : public CompactionTestBase {
 protected:
  std::unique_ptr<Compaction> PickRange(int level, const char* begin, const char* end) {
    InternalKey b, e;
    if (begin != nullptr) b = InternalKey(begin, kMaxSequenceNumber, kValueTypeForSeek);
    if (end != nullptr) e = InternalKey(end, 0, static_cast<ValueType>(0));
    std::lock_guard<std::mutex> lock(mu_);
    return PickRangeCompaction(vset_.get(), level, begin != nullptr ? &b : nullptr,
                               end != nullptr ? &e : nullptr);
  }

  static std::vector<uint64_t> Grandparents(const Compaction& c) {
    std::vector<uint64_t> r;
    for (const FileMetaData* f : c.grandparents()) r.push_back(f->number);
    return r;
  }
};

TEST_F(CompactionPickerTest, NothingToDoReturnsNull) {
  EXPECT_EQ(Pick(), nullptr);
  AddFile(0, 10, "a", "b");
  AddFile(1, 20, "a", "b", 5000);  // half its target
  EXPECT_EQ(Pick(), nullptr);
}

TEST_F(CompactionPickerTest, L0TriggerPicksOverlappingL0AndL1Files) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "c");
  AddFileTo(&edit, 0, 11, "b", "d");
  AddFileTo(&edit, 0, 12, "m", "n");
  AddFileTo(&edit, 1, 20, "a", "b");
  AddFileTo(&edit, 1, 21, "c", "e");
  AddFileTo(&edit, 1, 22, "f", "g");
  AddFileTo(&edit, 2, 30, "d", "h");
  AddFileTo(&edit, 2, 31, "x", "y");
  ASSERT_TRUE(Apply(&edit).ok());
  EXPECT_EQ(Pick(), nullptr);  // 3 L0 files, trigger is 4
  AddFile(0, 13, "x", "y");

  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 0);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11}));  // 10 drags in overlapping 11
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20, 21}));
  EXPECT_EQ(Grandparents(*c), (std::vector<uint64_t>{30}));
  EXPECT_FALSE(c->IsTrivialMove());
  // The round-robin pointer moved past the picked range, in the edit and in the set.
  ASSERT_EQ(c->edit()->compact_pointers().size(), 1u);
  EXPECT_EQ(c->edit()->compact_pointers()[0].first, 0);
  EXPECT_EQ(c->edit()->compact_pointers()[0].second.user_key(), "d");
  EXPECT_EQ(vset_->CompactPointer(0), c->edit()->compact_pointers()[0].second.Encode());
  Destroy(&c);

  // The next pick (nothing applied) starts after "d".
  c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{12}));
  EXPECT_TRUE(Inputs(*c, 1).empty());
  EXPECT_TRUE(c->IsTrivialMove());
  Destroy(&c);
  c = Pick();
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{13}));
  Destroy(&c);
  c = Pick();  // wraps around
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11}));
  Destroy(&c);
}

TEST_F(CompactionPickerTest, HighestScoringLevelIsPicked) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "b");
  AddFileTo(&edit, 0, 11, "a", "b");
  AddFileTo(&edit, 0, 12, "a", "b");
  AddFileTo(&edit, 0, 13, "a", "b");         // L0 score 1.0
  AddFileTo(&edit, 1, 20, "a", "b", 15000);  // L1 score 1.5
  AddFileTo(&edit, 2, 30, "c", "d", 60000);
  AddFileTo(&edit, 2, 31, "e", "f", 60000);
  AddFileTo(&edit, 2, 32, "g", "h", 60000);  // L2 score 1.8
  AddFileTo(&edit, 3, 40, "e", "e", 10);
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 2);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{30}));
  EXPECT_TRUE(c->IsTrivialMove());
  Destroy(&c);
  c = Pick();
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{31}));  // round robin within the level
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{40}));
  EXPECT_FALSE(c->IsTrivialMove());
  Destroy(&c);

  // Shrink L2 below L1's score: L1 goes next.
  VersionEdit shrink;
  shrink.RemoveFile(2, 31);
  shrink.RemoveFile(2, 32);
  ASSERT_TRUE(Apply(&shrink).ok());
  c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  Destroy(&c);
}

TEST_F(CompactionPickerTest, LevelInputsGrowWhenTheNextLevelDoesNot) {
  options_.lsm.max_bytes_for_level_base = 100;  // L1 always over its target
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "b");
  AddFileTo(&edit, 1, 11, "c", "d");
  AddFileTo(&edit, 1, 12, "e", "f");
  AddFileTo(&edit, 1, 13, "x", "y");
  AddFileTo(&edit, 2, 20, "a", "f");
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11, 12}));  // all inside 20's range
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20}));
  EXPECT_EQ(c->edit()->compact_pointers()[0].second.user_key(), "f");
  Destroy(&c);
}

TEST_F(CompactionPickerTest, LevelInputsDoNotGrowWhenTheNextLevelWould) {
  options_.lsm.max_bytes_for_level_base = 100;
  VersionEdit edit;
  AddFileTo(&edit, 1, 10, "a", "b");
  AddFileTo(&edit, 1, 11, "c", "d");
  AddFileTo(&edit, 2, 20, "a", "c");
  AddFileTo(&edit, 2, 21, "d", "z");
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10}));
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20}));
  Destroy(&c);
}

TEST_F(CompactionPickerTest, LevelInputsDoNotGrowPastTheByteLimit) {
  options_.lsm.max_bytes_for_level_base = 100;
  VersionEdit edit;  // expansion limit: 25 * 1000 bytes
  AddFileTo(&edit, 1, 10, "a", "b", 10000);
  AddFileTo(&edit, 1, 11, "c", "d", 10000);
  AddFileTo(&edit, 2, 20, "a", "f", 10000);
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10}));
  Destroy(&c);
}

TEST_F(CompactionPickerTest, UserKeySplitAcrossFilesIsCompactedTogether) {
  options_.lsm.max_bytes_for_level_base = 100;
  VersionEdit edit;
  // "k" has versions in both files: 10 ends with k@50, 11 starts with k@40.
  AddFileTo(&edit, 1, 10, "a", "k", 1000, 100, 50);
  AddFileTo(&edit, 1, 11, "k", "p", 1000, 40, 100);
  AddFileTo(&edit, 1, 12, "q", "r");
  ASSERT_TRUE(Apply(&edit).ok());
  auto c = Pick();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11}));
  EXPECT_EQ(c->edit()->compact_pointers()[0].second.user_key(), "p");
  Destroy(&c);
}

TEST_F(CompactionPickerTest, RangeCompaction) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "c");
  AddFileTo(&edit, 0, 11, "b", "f");
  AddFileTo(&edit, 0, 12, "x", "z");
  AddFileTo(&edit, 1, 20, "a", "d", 600);
  AddFileTo(&edit, 1, 21, "e", "h", 600);
  AddFileTo(&edit, 1, 22, "i", "m", 600);
  AddFileTo(&edit, 2, 30, "a", "f");
  ASSERT_TRUE(Apply(&edit).ok());

  auto c = PickRange(0, "a", "a");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 0);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11}));  // widened to a..f
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20, 21}));
  Destroy(&c);

  c = PickRange(0, nullptr, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{10, 11, 12}));
  Destroy(&c);

  EXPECT_EQ(PickRange(1, "n", "w"), nullptr);                       // no L1 file there
  EXPECT_EQ(PickRange(3, nullptr, nullptr), nullptr);               // empty level
  EXPECT_EQ(PickRange(kNumLevels - 1, nullptr, nullptr), nullptr);  // nowhere to go
  EXPECT_EQ(PickRange(-1, nullptr, nullptr), nullptr);

  // Level >= 1: inputs capped at about one target file size (1000 bytes): 2 of 3 files.
  c = PickRange(1, nullptr, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 0), (std::vector<uint64_t>{20, 21}));
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{30}));
  Destroy(&c);
}

TEST_F(CompactionPickerTest, InputIteratorMergesAllInputs) {
  AddTable(0, 10, {{"b", 20, kTypeValue, "b20"}, {"d", 21, kTypeDeletion, ""}});
  AddTable(0, 11, {{"b", 30, kTypeValue, "b30"}, {"c", 31, kTypeValue, "c31"}});
  AddTable(1, 20, {{"a", 1, kTypeValue, "a1"}, {"b", 2, kTypeValue, "b2"}});
  AddTable(1, 21, {{"c", 3, kTypeValue, "c3"}, {"d", 4, kTypeValue, "d4"}});
  AddTable(1, 22, {{"x", 5, kTypeValue, "x5"}});

  auto c = PickRange(0, nullptr, nullptr);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Inputs(*c, 1), (std::vector<uint64_t>{20, 21}));
  auto it = MakeCompactionInputIterator(vset_.get(), c.get());
  std::string seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ParsedInternalKey k;
    ASSERT_TRUE(ParseInternalKey(it->key(), &k));
    seen += std::string(k.user_key) + "@" + std::to_string(k.sequence) + " ";
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, "a@1 b@30 b@20 b@2 c@31 c@3 d@21 d@4 ");
  it.reset();
  Destroy(&c);
}

TEST_F(CompactionPickerTest, InputIteratorReportsMissingTables) {
  AddTable(1, 20, {{"a", 1, kTypeValue, "a1"}});
  AddTable(2, 30, {{"a", 0, kTypeValue, "a0"}});
  table_cache_->Evict(30);
  ASSERT_TRUE(options_.env->RemoveFile(TableFileName(dir_.path(), 30)).ok());
  auto c = PickRange(1, nullptr, nullptr);
  ASSERT_NE(c, nullptr);
  auto it = MakeCompactionInputIterator(vset_.get(), c.get());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  EXPECT_FALSE(it->status().ok());
  it.reset();
  Destroy(&c);
}

}  // namespace
}  // namespace jadedb::lsm::test
