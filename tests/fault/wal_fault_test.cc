// WAL faults: a failed fsync or append of the write-ahead log stops writes with a clear IOError,
// keeps reads working, is reported by jadedb.background-error, and loses nothing that was
// acknowledged once the DB is reopened on a healthy env.
#include <gtest/gtest.h>

#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class WalFaultTest : public FaultTest {};

TEST_P(WalFaultTest, SyncFailureStopsWritesButNotReads) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Put("a", "1", /*sync=*/true).ok());
  ASSERT_TRUE(Put("b", "2").ok());

  fenv_.FailAlways(FaultOp::kSync, ".log");
  Status s = Put("c", "3", /*sync=*/true);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(".log"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("Input/output error"), std::string::npos) << s.ToString();
  EXPECT_GE(fenv_.FaultCount(FaultOp::kSync), 1u);

  // Later writes, synced or not, fail with the same cause.
  Status later = Put("d", "4");
  EXPECT_TRUE(later.IsIOError()) << later.ToString();
  EXPECT_EQ(later.ToString(), s.ToString());
  WriteBatch batch;
  batch.Put("e", "5");
  EXPECT_EQ(Write(&batch).ToString(), s.ToString());
  EXPECT_EQ(Property("jadedb.background-error"), s.ToString());

  if (IsBPlusTree()) {
    // The B+tree fences reads after a failed WAL fsync (its commit unlatched pages before
    // the fsync): see bplustree_wal_sync_fence_test.cc.
    EXPECT_EQ(Get("a"), "ERROR: " + s.ToString());
  } else {
    // Reads are still served.
    EXPECT_EQ(Get("a"), "1");
    EXPECT_EQ(Get("b"), "2");
    EXPECT_EQ(Get("d"), "NOT_FOUND");
    const auto all = Scan();
    ASSERT_GE(all.size(), 2u);
    EXPECT_EQ(all[0], std::make_pair(std::string("a"), std::string("1")));
  }

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "2");
  EXPECT_EQ(Get("d"), "NOT_FOUND");
  EXPECT_EQ(Property("jadedb.background-error"), "OK");
  ASSERT_TRUE(Put("f", "6", true).ok());
  EXPECT_EQ(Get("f"), "6");
}

TEST_P(WalFaultTest, SyncFailureThenPowerLossKeepsSyncedWrites) {
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 20; i++) ASSERT_TRUE(Put(Key(i), Value(i), /*sync=*/true).ok());
  fenv_.FailAlways(FaultOp::kSync, ".log");
  EXPECT_FALSE(Put(Key(20), Value(20), true).ok());
  db_.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  for (int i = 0; i < 20; i++) EXPECT_EQ(Get(Key(i)), Value(i)) << i;
}

TEST_P(WalFaultTest, NoSpaceOnLogAppend) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Put("a", "1").ok());
  fenv_.FailAlways(FaultOp::kAppend, ".log", FaultKind::kNoSpace);
  Status s = Put("b", std::string(100000, 'x'));
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  EXPECT_EQ(Put("c", "3").ToString(), s.ToString());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(Get("a"), "1");
  ASSERT_TRUE(Put("c", "3").ok());
  EXPECT_EQ(Get("c"), "3");
}

// A small batch (one page, no overflow) whose log write fails: readers must never see it, not
// even before the DB is reopened (the B+tree rolls the pages back before releasing them).
TEST_P(WalFaultTest, FailedLogWriteIsNeverVisible) {
  ASSERT_NO_FATAL_FAILURE(Open());
  ASSERT_TRUE(Put("a", "1").ok());
  fenv_.FailAlways(FaultOp::kAppend, ".log", FaultKind::kNoSpace);
  WriteBatch batch;
  batch.Put("a", "changed");
  batch.Put("b", "2");
  Status s = Write(&batch);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Scan().size(), 1u);
  EXPECT_EQ(Property("jadedb.background-error"), s.ToString());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(Get("a"), "1");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
}

TEST_P(WalFaultTest, ShortWriteToLogLosesOnlyTheFailedBatch) {
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 10; i++) ASSERT_TRUE(Put(Key(i), Value(i, 3000)).ok());
  FaultRule rule;
  rule.op = FaultOp::kAppend;
  rule.file_filter = ".log";
  rule.kind = FaultKind::kShortWrite;
  fenv_.AddFault(rule);
  WriteBatch batch;
  for (int i = 10; i < 20; i++) batch.Put(Key(i), Value(i, 3000));
  EXPECT_TRUE(Write(&batch).IsIOError());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  for (int i = 0; i < 10; i++) EXPECT_EQ(Get(Key(i)), Value(i, 3000)) << i;
  // The batch is all or nothing.
  for (int i = 10; i < 20; i++) EXPECT_EQ(Get(Key(i)), "NOT_FOUND") << i;
  ASSERT_TRUE(Put("after", "x", true).ok());
}

TEST_P(WalFaultTest, SyncFailureOnMemtableSwitch) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  // Non-synced writes until the memtable switches; the switch syncs the old log and fails.
  fenv_.FailAlways(FaultOp::kSync, ".log");
  Status s;
  int acked = 0;
  for (int i = 0; i < 2000 && s.ok(); i++) {
    s = Put(Key(i), Value(i, 1000));
    if (s.ok()) acked = i + 1;
  }
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  for (int i = 0; i < acked; i++) ASSERT_EQ(Get(Key(i)), Value(i, 1000)) << i;
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  for (int i = 0; i < acked; i++) ASSERT_EQ(Get(Key(i)), Value(i, 1000)) << i;
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(WalFaultTest);

}  // namespace
}  // namespace jadedb::test
