// The LSM read path: MultiGet, bounded iteration that leaves tables and blocks outside the
// bounds unread, and index/filter pinning.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%05d", i);
  return buf;
}

std::string Value(int i) { return std::string(100, static_cast<char>('a' + i % 26)) + Key(i); }

class ReadPathTest : public LsmFixture {
 protected:
  ReadPathTest() {
    options_.lsm.block_size = 1024;
    options_.lsm.level0_file_num_compaction_trigger = 20;
    options_.lsm.level0_slowdown_writes_trigger = 20;
    options_.lsm.level0_stop_writes_trigger = 30;
  }
  // kFiles level-0 tables, table f holding keys [f * kPerFile, (f + 1) * kPerFile).
  void BuildDisjointL0Tables() {
    Open();
    for (int f = 0; f < kFiles; f++) {
      for (int i = f * kPerFile; i < (f + 1) * kPerFile; i++) Put(Key(i), Value(i));
      FlushMem();
    }
    ASSERT_EQ(kFiles, FilesAtLevel(0));
    Open();  // fresh table and block caches: every table open and block read is counted
  }
  static constexpr int kFiles = 8;
  static constexpr int kPerFile = 400;
};

TEST_F(ReadPathTest, MultiGetMatchesGet) {
  BuildDisjointL0Tables();
  Put(Key(5), "new");  // memtable shadows a table
  ASSERT_TRUE(db_->Delete(WriteOptions(), Key(6)).ok());
  std::vector<std::string> owned = {
      Key(3000), Key(5), "absent", Key(6), Key(0), Key(5), Key(kFiles * kPerFile - 1)};
  std::vector<std::string_view> keys(owned.begin(), owned.end());
  std::vector<std::string> values;
  std::vector<Status> st = db_->MultiGet(ReadOptions(), keys, &values);
  ASSERT_EQ(keys.size(), st.size());
  ASSERT_EQ(keys.size(), values.size());
  for (size_t i = 0; i < keys.size(); i++) {
    std::string want = Get(owned[i]);
    if (want == "NOT_FOUND") {
      EXPECT_TRUE(st[i].IsNotFound()) << owned[i] << " " << st[i].ToString();
    } else {
      ASSERT_TRUE(st[i].ok()) << owned[i] << " " << st[i].ToString();
      EXPECT_EQ(want, values[i]) << owned[i];
    }
  }
  EXPECT_EQ("new", values[1]);
  EXPECT_EQ("new", values[5]);
}

TEST_F(ReadPathTest, MultiGetAtASnapshotAndEmpty) {
  Open();
  Put("a", "1");
  const Snapshot* snap = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
  Put("a", "2");
  Put("b", "3");
  ReadOptions ro;
  ro.snapshot = snap;
  std::vector<std::string> values;
  std::vector<Status> st = db_->MultiGet(ro, {"a", "b"}, &values);
  EXPECT_TRUE(st[0].ok());
  EXPECT_EQ("1", values[0]);
  EXPECT_TRUE(st[1].IsNotFound());
  db_->ReleaseSnapshot(snap);
  EXPECT_TRUE(db_->MultiGet(ReadOptions(), {}, &values).empty());
  EXPECT_TRUE(values.empty());
  // An oversized key fails the call (the facade's limit), for every key.
  std::string huge(kMaxKeySize + 1, 'k');
  st = db_->MultiGet(ReadOptions(), {"a", huge}, &values);
  ASSERT_EQ(2u, st.size());
  EXPECT_TRUE(st[0].IsInvalidArgument());
  EXPECT_TRUE(st[1].IsInvalidArgument());
}

TEST_F(ReadPathTest, BoundedIterationOpensOnlyTablesInsideTheBounds) {
  BuildDisjointL0Tables();
  const uint64_t opens0 = NumberProperty("jadedb.table-cache-opens");
  ReadOptions ro;
  ro.lower_bound = Key(3 * kPerFile + 10);  // inside table 3
  ro.upper_bound = Key(3 * kPerFile + 60);
  auto it = db_->NewIterator(ro);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(50, n);
  for (it->SeekToLast(); it->Valid(); it->Prev()) n--;
  EXPECT_EQ(0, n);
  it.reset();
  EXPECT_EQ(1u, NumberProperty("jadedb.table-cache-opens") - opens0);

  // Without bounds, a seek must look into every level-0 table.
  auto all = db_->NewIterator(ReadOptions());
  all->Seek(Key(3 * kPerFile + 10));
  ASSERT_TRUE(all->Valid());
  EXPECT_EQ(static_cast<uint64_t>(kFiles), NumberProperty("jadedb.table-cache-opens") - opens0);
}

TEST_F(ReadPathTest, BoundedIterationStopsReadingBlocksAtTheUpperBound) {
  BuildDisjointL0Tables();
  // ~110-byte entries in 1 KiB blocks: a table of 400 entries has ~45 blocks; 50 keys span
  // ~6 of them.
  const uint64_t misses0 = NumberProperty("jadedb.block-cache-misses");
  ReadOptions ro;
  ro.lower_bound = Key(2 * kPerFile + 100);
  ro.upper_bound = Key(2 * kPerFile + 150);
  auto it = db_->NewIterator(ro);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
  EXPECT_EQ(50, n);
  const uint64_t bounded_reads = NumberProperty("jadedb.block-cache-misses") - misses0;
  EXPECT_GE(bounded_reads, 5u);
  EXPECT_LE(bounded_reads, 9u);

  // Reverse from the upper bound reads the same blocks again (now cached), no others.
  const uint64_t misses1 = NumberProperty("jadedb.block-cache-misses");
  for (it->SeekToLast(); it->Valid(); it->Prev()) n--;
  EXPECT_EQ(0, n);
  EXPECT_LE(NumberProperty("jadedb.block-cache-misses") - misses1, 1u);
}

TEST_F(ReadPathTest, IndexAndFilterInTheBlockCacheWhenNotPinned) {
  options_.lsm.pin_index_and_filter_blocks = false;
  BuildDisjointL0Tables();
  const uint64_t usage0 = NumberProperty("jadedb.block-cache-usage");
  EXPECT_EQ("NOT_FOUND", Get("key99999x"));  // filters only
  EXPECT_EQ(Value(17), Get(Key(17)));
  // Index and filter blocks are charged to the cache now (not just one data block).
  EXPECT_GT(NumberProperty("jadedb.block-cache-usage") - usage0, 1100u);
  for (int i = 0; i < kFiles * kPerFile; i += 97) ASSERT_EQ(Value(i), Get(Key(i)));
  std::string scan = Scan();
  EXPECT_EQ(static_cast<size_t>(kFiles * kPerFile), std::count(scan.begin(), scan.end(), '='));
}

TEST_F(ReadPathTest, PinnedIndexAndFilterAreNotChargedToTheCache) {
  BuildDisjointL0Tables();
  const uint64_t usage0 = NumberProperty("jadedb.block-cache-usage");
  EXPECT_EQ("NOT_FOUND", Get("key99999x"));
  EXPECT_EQ(0u, NumberProperty("jadedb.block-cache-usage") - usage0);
  EXPECT_EQ(Value(17), Get(Key(17)));
  EXPECT_LT(NumberProperty("jadedb.block-cache-usage") - usage0, 1100u);
}

}  // namespace
}  // namespace jadedb::lsm_test
