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

INSTANTIATE_TEST_SUITE_P(Engines, WriteContextTest,
                         ::testing::Values(EngineType::kLsm, EngineType::kBPlusTree),
                         [](const auto& info) { return std::string(EngineTypeName(info.param)); });

}  // namespace
}  // namespace jadedb::server
