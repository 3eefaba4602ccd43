// B+tree: a sync commit releases its page latches after the WAL write(2) and before the fsync
// (early lock release, as InnoDB). When that fsync fails, readers may already have seen the
// change, which recovery may not find (the kernel can drop unsynced log pages after a failed
// fsync). The engine then fences reads: Get, MultiGet and iterators (new ones, and live ones
// on their next call) return the background error until the DB is reopened, when recovery
// decides what is durable. A failed page flush alone does not fence reads (tested in
// page_write_fault_test.cc).
#include <gtest/gtest.h>

#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class BPlusTreeWalSyncFenceTest : public FaultTest {};

TEST_P(BPlusTreeWalSyncFenceTest, FailedWalSyncFencesReadsUntilReopen) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 50; i++) ASSERT_TRUE(Put(Key(i), Value(i), /*sync=*/i % 2 == 0).ok());
  std::unique_ptr<Iterator> live = db_->NewIterator(ReadOptions());
  live->SeekToFirst();
  ASSERT_TRUE(live->Valid());
  ASSERT_EQ(live->key(), Key(0));

  fenv_.FailAlways(FaultOp::kSync, ".log");
  const Status s = Put("refused", "x", /*sync=*/true);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(Property("jadedb.background-error"), s.ToString());

  // The refused write is not visible: every read returns the error instead.
  EXPECT_EQ(Get("refused"), "ERROR: " + s.ToString());
  EXPECT_EQ(Get(Key(0)), "ERROR: " + s.ToString());
  std::vector<std::string> values;
  const std::vector<Status> multi = db_->MultiGet(ReadOptions(), {Key(1), "refused"}, &values);
  ASSERT_EQ(multi.size(), 2u);
  for (const Status& m : multi) EXPECT_EQ(m.ToString(), s.ToString());
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  EXPECT_EQ(it->status().ToString(), s.ToString());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->Seek("refused");
  EXPECT_FALSE(it->Valid());
  EXPECT_EQ(it->status().ToString(), s.ToString());
  // An iterator created before the failure stops at its next step.
  live->Next();
  EXPECT_FALSE(live->Valid());
  EXPECT_EQ(live->status().ToString(), s.ToString());
  live.reset();
  it.reset();
  // Writes stay refused with the same error.
  EXPECT_EQ(Put("later", "y").ToString(), s.ToString());

  // Reopened on a healthy disk, recovery decides: everything acknowledged is there, the
  // refused write is either wholly there or absent (it reached write(2), not fsync).
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(Property("jadedb.background-error"), "OK");
  for (int i = 0; i < 50; i++) EXPECT_EQ(Get(Key(i)), Value(i)) << i;
  const std::string refused = Get("refused");
  EXPECT_TRUE(refused == "x" || refused == "NOT_FOUND") << refused;
  EXPECT_EQ(Get("later"), "NOT_FOUND");
  ASSERT_TRUE(Put("after", "z", true).ok());
  EXPECT_EQ(Get("after"), "z");
}

// A failed WAL sync followed by a power loss: the reads that were fenced could have returned
// the refused write, which is now gone, while every acknowledged sync write survives.
TEST_P(BPlusTreeWalSyncFenceTest, FencedWriteMayVanishAfterPowerLoss) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 20; i++) ASSERT_TRUE(Put(Key(i), Value(i), /*sync=*/true).ok());
  fenv_.FailAlways(FaultOp::kSync, ".log");
  const Status s = Put("refused", "x", /*sync=*/true);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(Get("refused"), "ERROR: " + s.ToString());
  db_.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  for (int i = 0; i < 20; i++) EXPECT_EQ(Get(Key(i)), Value(i)) << i;
  EXPECT_EQ(Get("refused"), "NOT_FOUND");
}

// A failed log write(2) (not fsync) is rolled back before any reader can see it: reads go on.
TEST_P(BPlusTreeWalSyncFenceTest, FailedWalAppendDoesNotFenceReads) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Put("a", "1").ok());
  fenv_.FailAlways(FaultOp::kAppend, ".log", FaultKind::kNoSpace);
  EXPECT_TRUE(Put("b", "2").IsIOError());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(BPlusTreeWalSyncFenceTest);

}  // namespace
}  // namespace jadedb::test
