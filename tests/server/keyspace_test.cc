// WriteContext against a real DB of each engine: read-your-writes through the lazily built
// overlay, and DeleteAll (FLUSHDB) as one range deletion where the engine has them.
#include "server/keyspace.h"

#include <gtest/gtest.h>

#include "testutil/test_util.h"

namespace jadedb::server {
namespace {

class WriteContextTest : public ::testing::TestWithParam<EngineType> {
 protected:
  void SetUp() override {
    Options options;
    options.create_if_missing = true;
    options.engine = GetParam();
    ASSERT_TRUE(DB::Open(options, dir_.Join("db"), &db_).ok());
    ks_ = std::make_unique<Keyspace>(db_.get(), SyncPolicy::kNever, &stats_);
  }

  std::string Read(WriteContext& wc, const std::string& key) {
    StoredValue v;
    Status s = wc.Get(key, &v);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return v.found ? v.payload : "(nil)";
  }

  int64_t StoredKeys() {
    int64_t n = -1;
    EXPECT_TRUE(ks_->CountLiveKeys(&n).ok());
    return n;
  }

  jadedb::test::TempDir dir_;
  std::unique_ptr<DB> db_;
  ServerStats stats_{1};
  std::unique_ptr<Keyspace> ks_;
};

TEST_P(WriteContextTest, ReadsSeeTheirOwnPendingWrites) {
  WriteContext wc(ks_.get());
  ASSERT_TRUE(wc.LockKey("a").ok());
  wc.Put("a", "1", 0);
  wc.Put("b", "2", 0);
  EXPECT_EQ(Read(wc, "a"), "1");  // builds the overlay from the batch
  wc.Put("a", "3", 0);            // kept up to date once built
  wc.Delete("b");
  EXPECT_EQ(Read(wc, "a"), "3");
  EXPECT_EQ(Read(wc, "b"), "(nil)");
  EXPECT_EQ(StoredKeys(), 0);
  ASSERT_TRUE(wc.Commit().ok());
  EXPECT_EQ(StoredKeys(), 1);
  EXPECT_EQ(Read(wc, "a"), "3");
}

TEST_P(WriteContextTest, DeleteAllIsOneRangeDeletionWhereSupported) {
  WriteContext wc(ks_.get());
  for (int i = 0; i < 1000; i++) wc.Put("key" + std::to_string(i), "value", 0);
  ASSERT_TRUE(wc.Commit().ok());
  ASSERT_EQ(StoredKeys(), 1000);

  ASSERT_TRUE(wc.LockAll().ok());
  wc.Put("pending", "v", 0);  // sorts after every stored key
  const size_t before = wc.pending_bytes();
  Status s = wc.DeleteAll();
  if (GetParam() == EngineType::kLsm) {
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_LT(wc.pending_bytes() - before, 64u);  // two records, whatever the key count
    EXPECT_EQ(Read(wc, "key7"), "(nil)");
    EXPECT_EQ(Read(wc, "pending"), "(nil)");
    wc.Put("after", "v", 0);
    EXPECT_EQ(Read(wc, "after"), "v");
    ASSERT_TRUE(wc.Commit().ok());
    EXPECT_EQ(StoredKeys(), 1);
  } else {
    // The B+tree has no range deletions (the server then deletes key by key).
    EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
    EXPECT_EQ(wc.pending_bytes(), before);
    ASSERT_TRUE(wc.Commit().ok());
    EXPECT_EQ(StoredKeys(), 1001);
  }
}

// What CommitGroup relies on: which reads depend on pending writes, every commit reported to
// the listener, and the stripes of many keys held until the commit, then released.
TEST_P(WriteContextTest, CountsReadsOfPendingWritesAndReportsCommits) {
  struct Listener final : CommitListener {
    int commits = 0;
    void OnCommit(const Status& s) override {
      EXPECT_TRUE(s.ok()) << s.ToString();
      commits++;
    }
  } listener;
  WriteContext wc(ks_.get());
  wc.set_listener(&listener);
  wc.Put("stored", "s", 0);
  ASSERT_TRUE(wc.Commit().ok());
  EXPECT_EQ(listener.commits, 1);

  std::vector<std::string> keys;
  for (int i = 0; i < 300; i++) keys.push_back("k" + std::to_string(i));
  for (const std::string& k : keys) {
    ASSERT_TRUE(wc.LockKey(k).ok());
    wc.Put(k, "v", 0);
  }
  EXPECT_EQ(wc.pending_count(), 300u);
  const uint64_t base = wc.overlay_reads();
  EXPECT_EQ(Read(wc, "stored"), "s");  // committed: not a pending read
  EXPECT_EQ(Read(wc, "absent"), "(nil)");
  EXPECT_EQ(wc.overlay_reads(), base);
  EXPECT_EQ(Read(wc, "k7"), "v");
  wc.Delete("k8");
  EXPECT_EQ(Read(wc, "k8"), "(nil)");  // a pending deletion is a pending read too
  EXPECT_EQ(wc.overlay_reads(), base + 2);

  // Another context cannot take a stripe this one holds until the commit releases it.
  WriteContext other(ks_.get());
  StripeLock& held = ks_->stripe(Keyspace::StripeOf("k299"));
  EXPECT_FALSE(held.try_lock());
  ASSERT_TRUE(wc.Commit().ok());
  EXPECT_EQ(listener.commits, 2);
  EXPECT_EQ(wc.pending_count(), 0u);
  for (const std::string& k : keys) {
    StripeLock& s = ks_->stripe(Keyspace::StripeOf(k));
    ASSERT_TRUE(s.try_lock()) << k;
    s.unlock();
  }
  ASSERT_TRUE(other.LockKeys({"k1", "k2"}).ok());
  ASSERT_TRUE(other.Commit().ok());
  wc.set_listener(nullptr);
}

INSTANTIATE_TEST_SUITE_P(Engines, WriteContextTest,
                         ::testing::Values(EngineType::kLsm, EngineType::kBPlusTree),
                         [](const auto& info) { return std::string(EngineTypeName(info.param)); });

}  // namespace
}  // namespace jadedb::server
