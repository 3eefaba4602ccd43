// A WriteBatch pins and X-latches every page it changes until it commits, and pages hash to
// the buffer pool's partitions: a batch that changes more pages than one partition holds must
// still commit (frames borrowed from other partitions or the overflow reserve), and a batch
// larger than the pool and its reserve is refused with an error that says what to change,
// leaving the DB as it was.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bplustree/bplustree_db.h"
#include "bplustree/buffer_pool.h"
#include "bplustree/storage_engine.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

constexpr int kKeys = 20000;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}
std::string Value(int i, int version) {
  std::string v = "v" + std::to_string(version) + "-" + std::to_string(i) + "-";
  v.resize(100, 'x');
  return v;
}

class BufferPoolBorrowTest : public testing::Test {
 protected:
  BufferPoolBorrowTest() : path_(dir_.path()) {}

  void Open() {
    db_.reset();
    Options o;
    o.engine = EngineType::kBPlusTree;
    o.create_if_missing = true;
    // 4 KiB pages and the smallest pool (64 pages; 8 frames per partition, 128 in all):
    // ~30 records per leaf, so kKeys records are several hundred leaves.
    o.bplustree.page_size = 4096;
    o.bplustree.buffer_pool_size = 64 * 4096;
    o.bplustree.buffer_pool_partitions = 16;
    Status s = OpenBPlusTreeDB(o, path_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  BufferPool* pool() { return static_cast<BPlusTreeDB*>(db_.get())->storage()->buffer_pool(); }

  void Fill() {
    for (int i = 0; i < kKeys; i += 50) {
      WriteBatch b;
      for (int j = i; j < i + 50; j++) b.Put(Key(j), Value(j, 0));
      ASSERT_TRUE(db_->Write(WriteOptions(), &b).ok());
    }
  }
  // One batch that rewrites every stride-th key: kKeys / stride leaves, far apart.
  Status WriteSpread(int stride, int version) {
    WriteBatch b;
    for (int i = 0; i < kKeys; i += stride) b.Put(Key(i), Value(i, version));
    return db_->Write(WriteOptions(), &b);
  }
  std::string Get(int i) {
    std::string v;
    Status s = db_->Get(ReadOptions(), Key(i), &v);
    return s.ok() ? v : s.ToString();
  }

  test::TempDir dir_;
  std::string path_;
  std::unique_ptr<DB> db_;
};

TEST_F(BufferPoolBorrowTest, BatchLargerThanAPartitionCommits) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(Fill());
  const uint64_t capacity = pool()->GetStats().capacity_pages;
  ASSERT_EQ(capacity, 128u);
  // ~120 leaves, about the whole pool: several partitions get more than their 8 frames.
  Status s = WriteSpread(kKeys / 120, 1);
  ASSERT_TRUE(s.ok()) << s.ToString();
  const BufferPoolStats st = pool()->GetStats();
  EXPECT_GT(st.borrows + st.overflow_allocs, 0u);
  EXPECT_EQ(st.pinned_full, 0u);
  for (int i = 0; i < kKeys; i++) {
    ASSERT_EQ(Get(i), Value(i, i % (kKeys / 120) == 0 ? 1 : 0)) << i;
  }
  std::string prop;
  ASSERT_TRUE(db_->GetProperty("jadedb.bplustree.buffer-pool.borrows", &prop));
  EXPECT_EQ(prop, std::to_string(pool()->GetStats().borrows));

  // Borrowed frames go home once clean: after a checkpoint nothing stays lent.
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  EXPECT_EQ(pool()->GetStats().lent_pages, 0u);

  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < kKeys; i += 7) {
    ASSERT_EQ(Get(i), Value(i, i % (kKeys / 120) == 0 ? 1 : 0)) << i;
  }
}

TEST_F(BufferPoolBorrowTest, BatchLargerThanThePoolIsRefusedCleanly) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(Fill());
  // ~500 leaves: more than the 128 frames and the 64-frame overflow reserve.
  Status s = WriteSpread(40, 1);
  ASSERT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.ToString().find("split it into smaller batches"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("buffer_pool_size"), std::string::npos) << s.ToString();
  EXPECT_EQ(pool()->GetStats().pinned_full, 1u);

  // Nothing of the batch applied, nothing lost, the DB still writable.
  std::string bg;
  ASSERT_TRUE(db_->GetProperty("jadedb.background-error", &bg));
  EXPECT_EQ(bg, "OK");
  for (int i = 0; i < kKeys; i++) ASSERT_EQ(Get(i), Value(i, 0)) << i;
  ASSERT_TRUE(db_->Put(WriteOptions(), Key(3), Value(3, 2)).ok());
  ASSERT_TRUE(WriteSpread(kKeys / 100, 3).ok());

  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < kKeys; i++) {
    const int version = i % (kKeys / 100) == 0 ? 3 : (i == 3 ? 2 : 0);
    ASSERT_EQ(Get(i), Value(i, version)) << i;
  }
}

// Readers fetch pages (and borrow frames themselves) while large batches keep most of the
// pool pinned; run under TSan to check the frame hand-over between partitions.
TEST_F(BufferPoolBorrowTest, ReadersDuringLargeBatches) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_NO_FATAL_FAILURE(Fill());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; t++) {
    readers.emplace_back([&, t] {
      for (int i = t; !stop.load(); i = (i + 97) % kKeys) {
        std::string v;
        Status s = db_->Get(ReadOptions(), Key(i), &v);
        if (!s.ok() || v.substr(v.find('-')) != Value(i, 0).substr(Value(i, 0).find('-'))) {
          bad++;
        }
      }
    });
  }
  for (int round = 1; round <= 6; round++) {
    Status s = WriteSpread(kKeys / 100 + round, round);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  EXPECT_EQ(pool()->GetStats().lent_pages, 0u);
}

}  // namespace
}  // namespace jadedb::bplustree
