// Faults while opening: a failed manifest write, a failed CURRENT rename, a failed directory
// sync, or (B+tree) a failed read of the meta pages or the double-write buffer makes Open fail
// with a clear IOError; a later open on a healthy env succeeds with every write that was
// acknowledged before.
#include <gtest/gtest.h>

#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class OpenFaultTest : public FaultTest {
 protected:
  // A DB with data both in tables and in the WAL, then closed.
  void Prepare() {
    ASSERT_NO_FATAL_FAILURE(Open());
    for (int i = 0; i < 50; i++) ASSERT_TRUE(Put(Key(i), Value(i)).ok());
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    for (int i = 50; i < 100; i++) ASSERT_TRUE(Put(Key(i), Value(i), true).ok());
    db_.reset();
  }
  void Check() {
    for (int i = 0; i < 100; i++) ASSERT_EQ(Get(Key(i)), Value(i)) << i;
  }
  // Open fails with an IOError naming `what`; a healthy open then has all the data.
  void ExpectOpenFailsThenRecovers(const std::string& what) {
    Status s = TryOpen();
    ASSERT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find(what), std::string::npos) << s.ToString();
    EXPECT_EQ(db_, nullptr);
    ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
    Check();
    ASSERT_TRUE(Put("new", "v", true).ok());
    db_.reset();
    Open();  // and again, to be sure the healthy open left a consistent DB
    Check();
    EXPECT_EQ(Get("new"), "v");
  }
};

TEST_P(OpenFaultTest, ManifestAppendFails) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kAppend, "MANIFEST");
  ExpectOpenFailsThenRecovers("MANIFEST");
}

TEST_P(OpenFaultTest, ManifestSyncFails) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kSync, "MANIFEST");
  ExpectOpenFailsThenRecovers("MANIFEST");
}

TEST_P(OpenFaultTest, ManifestCreateFails) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kCreate, "MANIFEST", FaultKind::kNoSpace);
  ExpectOpenFailsThenRecovers("No space left on device");
}

TEST_P(OpenFaultTest, CurrentRenameFails) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kRename, "CURRENT");
  ExpectOpenFailsThenRecovers("CURRENT");
}

TEST_P(OpenFaultTest, DirSyncFails) {
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kSyncDir, "");
  ExpectOpenFailsThenRecovers("syncdir");
}

TEST_P(OpenFaultTest, WalCreateFails) {
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kCreate, ".log");
  ExpectOpenFailsThenRecovers(".log");
}

TEST_P(OpenFaultTest, WalReadFails) {
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kRead, ".log");
  ExpectOpenFailsThenRecovers(".log");
}

TEST_P(OpenFaultTest, CreatingNewDbWithCurrentRenameFailure) {
  JADEDB_SKIP_UNLESS_LSM();
  fenv_.FailAlways(FaultOp::kRename, "CURRENT");
  Status s = TryOpen();
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  ASSERT_TRUE(Put("a", "1", true).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Get("a"), "1");
}

TEST_P(OpenFaultTest, CreatingNewDbWithManifestSyncFailure) {
  JADEDB_SKIP_UNLESS_LSM();
  fenv_.FailAlways(FaultOp::kSync, "MANIFEST");
  Status s = TryOpen();
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  ASSERT_TRUE(Put("a", "1", true).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Get("a"), "1");
}

TEST_P(OpenFaultTest, ManifestWriteFailureAtRuntime) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(Put(Key(i), Value(i)).ok());
  fenv_.FailAlways(FaultOp::kSync, "MANIFEST");
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(Put("x", "y").ok());
  Check();
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  Check();
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  Check();
}

TEST_P(OpenFaultTest, ManifestFailureThenPowerLoss) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Open());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(Put(Key(i), Value(i), i % 10 == 9).ok());
  fenv_.FailAlways(FaultOp::kSync, "MANIFEST");
  EXPECT_FALSE(db_->Flush(FlushOptions()).ok());
  db_.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  Check();
}

// The B+tree counterparts of the manifest faults: its meta pages (data-000000.jdb) and the
// double-write buffer, which every open reads.
TEST_P(OpenFaultTest, MetaPageOpenFails) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kOpenRead, "data-000000.jdb");
  ExpectOpenFailsThenRecovers("data-000000.jdb");
}

TEST_P(OpenFaultTest, MetaPageReadFails) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kRead, "data-000000.jdb");
  ExpectOpenFailsThenRecovers("data-000000.jdb");
}

TEST_P(OpenFaultTest, DoubleWriteReadFails) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kRead, "doublewrite.jdb");
  ExpectOpenFailsThenRecovers("doublewrite.jdb");
}

TEST_P(OpenFaultTest, PageFileCreateFailsAtRecovery) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Prepare());
  fenv_.FailAlways(FaultOp::kCreate, "data-", FaultKind::kNoSpace);
  ExpectOpenFailsThenRecovers("No space left on device");
}

TEST_P(OpenFaultTest, CreatingNewDbWithMetaPageSyncFailure) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  fenv_.FailAlways(FaultOp::kSync, "data-000000.jdb");
  Status s = TryOpen();
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000000.jdb"), std::string::npos) << s.ToString();
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  ASSERT_TRUE(Put("a", "1", true).ok());
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(Get("a"), "1");
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(OpenFaultTest);

}  // namespace
}  // namespace jadedb::test
