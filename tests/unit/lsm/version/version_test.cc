#include "lsm/version/version.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "lsm/base/merging_iterator.h"
#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

// FindFile / SomeFileOverlapsRange on hand-made file lists.
class FindFileTest : public ::testing::Test {
 protected:
  FindFileTest() : icmp_(BytewiseComparator()) {}
  ~FindFileTest() override {
    for (FileMetaData* f : files_) delete f;
  }

  void Add(std::string_view smallest, std::string_view largest, SequenceNumber smallest_seq = 100,
           SequenceNumber largest_seq = 100) {
    auto* f = new FileMetaData;
    f->number = files_.size() + 1;
    f->smallest = InternalKey(smallest, smallest_seq, kTypeValue);
    f->largest = InternalKey(largest, largest_seq, kTypeValue);
    files_.push_back(f);
  }

  int Find(std::string_view key) {
    InternalKey target(key, 100, kTypeValue);
    return FindFile(icmp_, files_, target.Encode());
  }

  bool Overlaps(const char* smallest, const char* largest) {
    std::string_view s = smallest != nullptr ? smallest : "";
    std::string_view l = largest != nullptr ? largest : "";
    return SomeFileOverlapsRange(icmp_, disjoint_, files_, smallest != nullptr ? &s : nullptr,
                                 largest != nullptr ? &l : nullptr);
  }

  InternalKeyComparator icmp_;
  std::vector<FileMetaData*> files_;
  bool disjoint_ = true;
};

TEST_F(FindFileTest, Empty) {
  EXPECT_EQ(Find("foo"), 0);
  EXPECT_FALSE(Overlaps("a", "z"));
  EXPECT_FALSE(Overlaps(nullptr, "z"));
  EXPECT_FALSE(Overlaps("a", nullptr));
  EXPECT_FALSE(Overlaps(nullptr, nullptr));
}

TEST_F(FindFileTest, Single) {
  Add("p", "q");
  EXPECT_EQ(Find("a"), 0);
  EXPECT_EQ(Find("p"), 0);
  EXPECT_EQ(Find("q"), 0);
  EXPECT_EQ(Find("q1"), 1);
  EXPECT_EQ(Find("z"), 1);

  EXPECT_FALSE(Overlaps("a", "b"));
  EXPECT_FALSE(Overlaps("z1", "z2"));
  EXPECT_TRUE(Overlaps("a", "p"));
  EXPECT_TRUE(Overlaps("p", "p1"));
  EXPECT_TRUE(Overlaps("q", "q"));
  EXPECT_TRUE(Overlaps("p1", "p2"));
  EXPECT_TRUE(Overlaps("a", "z"));

  EXPECT_FALSE(Overlaps(nullptr, "j"));
  EXPECT_FALSE(Overlaps("r", nullptr));
  EXPECT_TRUE(Overlaps(nullptr, "p"));
  EXPECT_TRUE(Overlaps("q", nullptr));
  EXPECT_TRUE(Overlaps(nullptr, nullptr));
}

TEST_F(FindFileTest, Multiple) {
  Add("150", "200");
  Add("200", "250");
  Add("300", "350");
  Add("400", "450");
  EXPECT_EQ(Find("100"), 0);
  EXPECT_EQ(Find("150"), 0);
  EXPECT_EQ(Find("199"), 0);
  EXPECT_EQ(Find("201"), 1);
  EXPECT_EQ(Find("251"), 2);
  EXPECT_EQ(Find("300"), 2);
  EXPECT_EQ(Find("351"), 3);
  EXPECT_EQ(Find("450"), 3);
  EXPECT_EQ(Find("451"), 4);

  EXPECT_FALSE(Overlaps("100", "149"));
  EXPECT_FALSE(Overlaps("251", "299"));
  EXPECT_FALSE(Overlaps("451", "500"));
  EXPECT_FALSE(Overlaps("351", "399"));
  EXPECT_TRUE(Overlaps("100", "150"));
  EXPECT_TRUE(Overlaps("200", "200"));
  EXPECT_TRUE(Overlaps("450", "500"));
  EXPECT_TRUE(Overlaps("251", "300"));
}

TEST_F(FindFileTest, OverlapSequenceChecksUseUserKeys) {
  // Whatever the sequences, [200, 200] overlaps a file holding user key "200".
  Add("200", "200", 5000, 3000);
  EXPECT_FALSE(Overlaps("199", "199"));
  EXPECT_FALSE(Overlaps("201", "300"));
  EXPECT_TRUE(Overlaps("200", "200"));
  EXPECT_TRUE(Overlaps("190", "200"));
  EXPECT_TRUE(Overlaps("200", "210"));
}

TEST_F(FindFileTest, OverlappingFilesNeedTheLinearScan) {
  Add("150", "600");
  Add("400", "500");
  disjoint_ = false;
  EXPECT_FALSE(Overlaps("100", "149"));
  EXPECT_FALSE(Overlaps("601", "700"));
  EXPECT_TRUE(Overlaps("100", "150"));
  EXPECT_TRUE(Overlaps("450", "700"));
  EXPECT_TRUE(Overlaps("600", "700"));
}

TEST(TotalFileSizeTest, Sums) {
  FileMetaData a, b;
  a.file_size = 5;
  b.file_size = 7;
  EXPECT_EQ(TotalFileSize({&a, &b}), 12);
  EXPECT_EQ(TotalFileSize({}), 0);
}

class VersionTest : public VersionTestBase {};

TEST_F(VersionTest, GetOverlappingInputsWidensL0Ranges) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "c");
  AddFileTo(&edit, 0, 11, "b", "f");  // chains "a".."c" to "e".."h"
  AddFileTo(&edit, 0, 12, "e", "h");
  AddFileTo(&edit, 0, 13, "x", "z");
  AddFileTo(&edit, 1, 20, "a", "c");
  AddFileTo(&edit, 1, 21, "d", "f");
  AddFileTo(&edit, 1, 22, "g", "k");
  ASSERT_TRUE(Apply(&edit).ok());
  Version* v = vset_->current();

  auto numbers = [](const std::vector<FileMetaData*>& files) {
    std::vector<uint64_t> r;
    for (auto* f : files) r.push_back(f->number);
    std::sort(r.begin(), r.end());
    return r;
  };
  std::vector<FileMetaData*> inputs;
  InternalKey a = IKey("a"), b = IKey("b"), bb = IKey("bb"), e = IKey("e"), z = IKey("z");
  v->GetOverlappingInputs(0, &a, &a, &inputs);
  EXPECT_EQ(numbers(inputs), (std::vector<uint64_t>{10, 11, 12}));  // a..c -> a..f -> a..h
  v->GetOverlappingInputs(0, &z, &z, &inputs);
  EXPECT_EQ(numbers(inputs), (std::vector<uint64_t>{13}));
  v->GetOverlappingInputs(0, nullptr, nullptr, &inputs);
  EXPECT_EQ(inputs.size(), 4u);

  // Deeper levels are not widened.
  v->GetOverlappingInputs(1, &bb, &e, &inputs);
  EXPECT_EQ(numbers(inputs), (std::vector<uint64_t>{20, 21}));
  v->GetOverlappingInputs(1, &b, nullptr, &inputs);
  EXPECT_EQ(numbers(inputs), (std::vector<uint64_t>{20, 21, 22}));
  v->GetOverlappingInputs(2, nullptr, nullptr, &inputs);
  EXPECT_TRUE(inputs.empty());
}

TEST_F(VersionTest, OverlapInLevel) {
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "c", "e");
  AddFileTo(&edit, 2, 11, "m", "p");
  ASSERT_TRUE(Apply(&edit).ok());
  Version* v = vset_->current();
  std::string_view a = "a", d = "d", n = "n", q = "q", z = "z";
  EXPECT_TRUE(v->OverlapInLevel(0, &a, &d));
  EXPECT_FALSE(v->OverlapInLevel(0, &n, &z));
  EXPECT_TRUE(v->OverlapInLevel(2, &n, &z));
  EXPECT_FALSE(v->OverlapInLevel(2, &q, &z));
  EXPECT_TRUE(v->OverlapInLevel(2, nullptr, nullptr));
  EXPECT_FALSE(v->OverlapInLevel(1, nullptr, nullptr));
}

TEST_F(VersionTest, PickLevelForMemTableOutput) {
  options_.lsm.target_file_size = 1000;  // grandparent limit: 10000 bytes
  EXPECT_EQ(vset_->current()->PickLevelForMemTableOutput("a", "b"), 2);  // empty tree

  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "c");
  AddFileTo(&edit, 1, 11, "e", "g");
  AddFileTo(&edit, 2, 12, "i", "k");
  AddFileTo(&edit, 3, 13, "m", "o", 20000);  // large: limits pushes into level 2
  AddFileTo(&edit, 2, 14, "s", "t");
  ASSERT_TRUE(Apply(&edit).ok());
  Version* v = vset_->current();
  EXPECT_EQ(v->PickLevelForMemTableOutput("b", "b"), 0);  // overlaps L0
  EXPECT_EQ(v->PickLevelForMemTableOutput("f", "f"), 0);  // overlaps L1
  EXPECT_EQ(v->PickLevelForMemTableOutput("j", "j"), 1);  // overlaps L2
  EXPECT_EQ(v->PickLevelForMemTableOutput("n", "n"), 1);  // L3 overlap too large for L2
  EXPECT_EQ(v->PickLevelForMemTableOutput("p", "q"), 2);
  EXPECT_EQ(v->PickLevelForMemTableOutput("y", "z"), 2);  // never deeper than level 2
}

TEST_F(VersionTest, GetSearchesNewestL0FileFirstThenDeeperLevels) {
  // Level 0: file 12 is newer than file 11; both hold "k".
  AddTable(0, 11, {{"k", 5, kTypeValue, "old"}, {"m", 6, kTypeValue, "m-l0"}});
  AddTable(0, 12, {{"k", 9, kTypeValue, "new"}, {"d", 8, kTypeDeletion, ""}});
  AddTable(1, 20, {{"a", 1, kTypeValue, "a-l1"}, {"d", 2, kTypeValue, "d-l1"}});
  AddTable(1, 21, {{"m", 3, kTypeValue, "m-l1"}, {"p", 3, kTypeValue, "p-l1"}});
  AddTable(3, 30, {{"a", 0, kTypeValue, "a-l3"}, {"z", 0, kTypeValue, "z-l3"}});

  EXPECT_EQ(Get("k"), "new");
  EXPECT_EQ(Get("k", 8), "old");  // snapshot before the newer write
  EXPECT_EQ(Get("k", 4), "NOT_FOUND");
  EXPECT_EQ(Get("d"), "NOT_FOUND");  // L0 tombstone shadows L1
  EXPECT_EQ(Get("d", 7), "d-l1");
  EXPECT_EQ(Get("m"), "m-l0");
  EXPECT_EQ(Get("a"), "a-l1");
  EXPECT_EQ(Get("p"), "p-l1");
  EXPECT_EQ(Get("z"), "z-l3");
  EXPECT_EQ(Get("b"), "NOT_FOUND");  // inside L1's first file range but absent
  EXPECT_EQ(Get("n"), "NOT_FOUND");
  EXPECT_EQ(Get("zz"), "NOT_FOUND");
}

TEST_F(VersionTest, GetReportsUnreadableTables) {
  AddTable(1, 20, {{"a", 1, kTypeValue, "x"}, {"c", 1, kTypeValue, "y"}});
  // Lost before any Get opened it (a version keeps the tables its Gets opened: see
  // VersionKeepsTablesItReadOpen).
  table_cache_->Evict(20);
  ASSERT_TRUE(options_.env->RemoveFile(TableFileName(dir_.path(), 20)).ok());
  std::string r = Get("b");
  EXPECT_NE(r, "NOT_FOUND");
  EXPECT_NE(r.find("000020.sst"), std::string::npos) << r;
  EXPECT_EQ(Get("z"), "NOT_FOUND");  // outside every file: no read at all
}

// A version pins the tables its Gets open (when it has few enough files), so later Gets skip
// the table cache: dropping the table from the cache does not close it for that version.
TEST_F(VersionTest, VersionKeepsTablesItReadOpen) {
  AddTable(1, 20, {{"a", 1, kTypeValue, "x"}, {"c", 1, kTypeValue, "y"}});
  table_cache_->Evict(20);
  const uint64_t opens = table_cache_->TableOpens();
  EXPECT_EQ(Get("a"), "x");
  EXPECT_EQ(opens + 1, table_cache_->TableOpens());
  table_cache_->Evict(20);
  EXPECT_EQ(Get("c"), "y");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(opens + 1, table_cache_->TableOpens());  // pinned: not reopened
  // A new version pins anew: with table 20 gone from the cache it opens it once more (and
  // opens table 30 for its first Get).
  AddTable(2, 30, {{"z", 1, kTypeValue, "zz"}});
  EXPECT_EQ(Get("a"), "x");
  EXPECT_EQ(opens + 2, table_cache_->TableOpens());
  EXPECT_EQ(Get("z"), "zz");
  EXPECT_EQ(opens + 3, table_cache_->TableOpens());
}

// Gets racing to pin the same tables of a fresh version each end up with a usable table and
// no handle is pinned twice or lost (run under the sanitizers in CI).
TEST_F(VersionTest, ConcurrentGetsSharePins) {
  AddTable(0, 10, {{"a", 2, kTypeValue, "a0"}, {"m", 2, kTypeValue, "m0"}});
  AddTable(1, 20, {{"a", 1, kTypeValue, "a1"}, {"k", 1, kTypeValue, "k1"}});
  AddTable(2, 30, {{"x", 1, kTypeValue, "x2"}});
  const uint64_t opens = table_cache_->TableOpens();
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; i++) {
        if (Get("a") != "a0" || Get("k") != "k1" || Get("x") != "x2" || Get("q") != "NOT_FOUND") {
          wrong++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, wrong.load());
  // Threads that miss the table cache at the same moment may each open a table (the cache
  // keeps one); after the race no Get opens anything.
  EXPECT_LE(table_cache_->TableOpens(), opens + 3 * 4);
  const uint64_t settled = table_cache_->TableOpens();
  EXPECT_EQ(Get("a"), "a0");
  EXPECT_EQ(Get("x"), "x2");
  EXPECT_EQ(settled, table_cache_->TableOpens());
}

TEST_F(VersionTest, GetReportsMalformedInternalKeys) {
  const auto bad_type = static_cast<ValueType>(0x7f);
  AddTable(1, 20, {{"a", 1, kTypeValue, "x"}, {"b", 5, bad_type, "?"}, {"c", 1, kTypeValue, "y"}});
  EXPECT_EQ(Get("a"), "x");
  std::string r = Get("b");
  EXPECT_NE(r.find("Corruption"), std::string::npos) << r;
  EXPECT_NE(r.find("000020.sst"), std::string::npos) << r;
}

TEST_F(VersionTest, AddIteratorsCoversEveryFile) {
  AddTable(0, 11, {{"b", 5, kTypeValue, "b5"}});
  AddTable(0, 12, {{"b", 6, kTypeValue, "b6"}, {"x", 6, kTypeValue, "x6"}});
  AddTable(1, 20, {{"a", 1, kTypeValue, "a1"}, {"c", 1, kTypeValue, "c1"}});
  AddTable(1, 21, {{"d", 1, kTypeValue, "d1"}});
  AddTable(4, 40, {{"e", 0, kTypeValue, "e0"}});

  Version* v = vset_->current();
  std::vector<std::unique_ptr<InternalIterator>> iters;
  v->AddIterators(TableReadOptions(), &iters);
  EXPECT_EQ(iters.size(), 4u);  // two L0 files, L1, L4
  auto merged = NewMergingIterator(&icmp_, std::move(iters));
  std::string seen;
  for (merged->SeekToFirst(); merged->Valid(); merged->Next()) {
    seen += std::string(merged->value()) + " ";
  }
  ASSERT_TRUE(merged->status().ok());
  EXPECT_EQ(seen, "a1 b6 b5 c1 d1 e0 x6 ");
}

TEST_F(VersionTest, DebugStringListsFilesPerLevel) {
  AddFile(2, 17, "abc", "xyz", 4242);
  std::string d = vset_->current()->DebugString();
  EXPECT_NE(d.find("--- level 2 ---\n 17:4242['abc' @ 100 : 1 .. 'xyz' @ 100 : 1]"),
            std::string::npos)
      << d;
}

}  // namespace
}  // namespace jadedb::lsm::test
