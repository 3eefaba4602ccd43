// Table-write faults: ENOSPC or EIO while a flush or a compaction writes a table puts the DB in
// its read-only error state (writes return the cause, reads work) without losing the memtable
// or the compaction's inputs; everything acknowledged is there after reopening.
#include <gtest/gtest.h>

#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class TableWriteFaultTest : public FaultTest {
 protected:
  void PutRange(int from, int to, size_t len = 1000) {
    for (int i = from; i < to; i++) ASSERT_TRUE(Put(Key(i), Value(i, len)).ok()) << i;
  }
  void CheckRange(int from, int to, size_t len = 1000) {
    for (int i = from; i < to; i++) ASSERT_EQ(Get(Key(i)), Value(i, len)) << i;
  }
};

TEST_P(TableWriteFaultTest, NoSpaceDuringFlush) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 30);
  fenv_.FailAlways(FaultOp::kAppend, DataFileSuffix(), FaultKind::kNoSpace);
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  EXPECT_GE(fenv_.FaultCount(FaultKind::kNoSpace), 1u);

  // Read-only: writes return the cause, reads (from the unflushed memtable) work.
  EXPECT_EQ(Put("x", "y").ToString(), s.ToString());
  EXPECT_EQ(Property("jadedb.background-error"), s.ToString());
  CheckRange(0, 30);
  EXPECT_EQ(Scan().size(), 30u);

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  CheckRange(0, 30);
  EXPECT_EQ(Get("x"), "NOT_FOUND");
  PutRange(30, 40);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  CheckRange(0, 40);
}

TEST_P(TableWriteFaultTest, BackgroundFlushFailureStopsWrites) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  fenv_.FailAlways(FaultOp::kAppend, DataFileSuffix(), FaultKind::kNoSpace);
  // Keep writing until the background flush's failure reaches the writers.
  Status s;
  int acked = 0;
  for (int i = 0; i < 5000 && s.ok(); i++) {
    s = Put(Key(i), Value(i, 1000));
    if (s.ok()) acked = i + 1;
  }
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  CheckRange(0, acked);
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  CheckRange(0, acked);
}

TEST_P(TableWriteFaultTest, SyncFailureOfTable) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 30);
  fenv_.FailAlways(FaultOp::kSync, DataFileSuffix());
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  CheckRange(0, 30);
  // Power loss after the failed flush: the data is still in the (synced-at-switch) WAL.
  db_.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  CheckRange(0, 30);
}

TEST_P(TableWriteFaultTest, NoSpaceDuringCompactionKeepsInputs) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int round = 0; round < 3; round++) {
    PutRange(round * 20, round * 20 + 40);  // overlapping ranges: the compaction merges
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  }
  fenv_.FailAlways(FaultOp::kAppend, DataFileSuffix(), FaultKind::kNoSpace);
  Status s = db_->CompactRange(nullptr, nullptr);
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  CheckRange(0, 80);
  EXPECT_EQ(Scan().size(), 80u);
  EXPECT_FALSE(Put("x", "y").ok());

  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  CheckRange(0, 80);
  std::string report;
  Status v = db_->VerifyChecksums(&report);
  EXPECT_TRUE(v.ok()) << v.ToString() << "\n" << report;
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  CheckRange(0, 80);
}

TEST_P(TableWriteFaultTest, ShortWriteOfTableDuringCompaction) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int round = 0; round < 3; round++) {
    PutRange(round * 20, round * 20 + 40);
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  }
  FaultRule rule;
  rule.op = FaultOp::kAppend;
  rule.file_filter = DataFileSuffix();
  rule.kind = FaultKind::kShortWrite;
  rule.trigger = FaultTrigger::kNthCall;
  rule.n = 3;
  fenv_.AddFault(rule);
  EXPECT_FALSE(db_->CompactRange(nullptr, nullptr).ok());
  CheckRange(0, 80);
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  CheckRange(0, 80);
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(TableWriteFaultTest);

}  // namespace
}  // namespace jadedb::test
