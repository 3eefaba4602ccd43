// B+tree page-write faults, the counterpart of the LSM table-write faults: ENOSPC, EIO, short
// and torn writes of pages (data-NNNNNN.jdb) and of the double-write buffer (doublewrite.jdb),
// and failed fsyncs of the data files, whether a checkpoint (DB::Flush) or the background
// flusher meets them. Each puts the DB in its read-only error state (writes return the cause,
// also in jadedb.background-error; reads work) and loses nothing acknowledged; a torn page is
// put back from the double-write buffer when the DB is reopened.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "bplustree/page_file.h"
#include "bplustree/storage_engine.h"
#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class PageWriteFaultTest : public FaultTest {
 protected:
  void PutRange(int from, int to, int version = 0) {
    for (int i = from; i < to; i++) {
      ASSERT_TRUE(Put(Key(i), Value(i + version, 1000)).ok()) << i;
    }
  }
  void CheckRange(int from, int to, int version = 0) {
    for (int i = from; i < to; i++) ASSERT_EQ(Get(Key(i)), Value(i + version, 1000)) << i;
  }
  // The failure s put the DB in its read-only error state: later writes return s, the
  // property reports it, the keys [0, keys) are still readable.
  void ExpectReadOnly(const Status& s, int keys, int version = 0) {
    EXPECT_EQ(Put("x", "y").ToString(), s.ToString());
    WriteBatch batch;
    batch.Put("z", "1");
    EXPECT_EQ(Write(&batch).ToString(), s.ToString());
    EXPECT_EQ(Property("jadedb.background-error"), s.ToString());
    EXPECT_EQ(db_->Flush(FlushOptions()).ToString(), s.ToString());
    CheckRange(0, keys, version);
    EXPECT_EQ(Scan().size(), static_cast<size_t>(keys));
  }
  // Reopens on a healthy env (after a power loss when power_loss) and checks everything.
  void ExpectRecovered(int keys, bool power_loss, int version = 0) {
    db_.reset();
    if (power_loss) {
      ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
    }
    ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
    CheckRange(0, keys, version);
    EXPECT_EQ(Get("x"), "NOT_FOUND");
    EXPECT_EQ(Property("jadedb.background-error"), "OK");
    std::string report;
    Status v = db_->VerifyChecksums(&report);
    EXPECT_TRUE(v.ok()) << v.ToString() << "\n" << report;
    ASSERT_TRUE(Put("after", "1", true).ok());
    EXPECT_EQ(Get("after"), "1");
  }
};

TEST_P(PageWriteFaultTest, NoSpaceOnPageWriteDuringCheckpoint) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 40);
  fenv_.FailAlways(FaultOp::kWrite, "data-", FaultKind::kNoSpace);
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000000.jdb"), std::string::npos) << s.ToString();
  EXPECT_GE(fenv_.FaultCount(FaultOp::kWrite), 1u);
  ExpectReadOnly(s, 40);
  ExpectRecovered(40, /*power_loss=*/false);
}

TEST_P(PageWriteFaultTest, ShortPageWriteThenPowerLoss) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 40);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  PutRange(0, 40, /*version=*/7);
  FaultRule rule;
  rule.op = FaultOp::kWrite;
  rule.file_filter = "data-";
  rule.kind = FaultKind::kShortWrite;
  rule.trigger = FaultTrigger::kNthCall;
  rule.n = 2;
  fenv_.AddFault(rule);
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("short write"), std::string::npos) << s.ToString();
  ExpectReadOnly(s, 40, 7);
  // The checkpoint made the WAL durable before it wrote a page, so the new values survive.
  ExpectRecovered(40, /*power_loss=*/true, 7);
}

TEST_P(PageWriteFaultTest, DoubleWriteFailureStopsWrites) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  // The double-write file is overwritten in place (positional writes), then synced.
  for (FaultOp op : {FaultOp::kWrite, FaultOp::kSync}) {
    SCOPED_TRACE(FaultOpName(op));
    path_ = dir_.Join(std::string("db-") + FaultOpName(op));
    ASSERT_NO_FATAL_FAILURE(Open());
    PutRange(0, 40);
    const int id = fenv_.FailAlways(op, "doublewrite");
    Status s = db_->Flush(FlushOptions());
    ASSERT_TRUE(s.IsIOError()) << s.ToString();
    EXPECT_NE(s.ToString().find("doublewrite.jdb"), std::string::npos) << s.ToString();
    ExpectReadOnly(s, 40);
    fenv_.RemoveFault(id);
    ExpectRecovered(40, /*power_loss=*/true);
    db_.reset();
    options_.env = &fenv_;
  }
}

TEST_P(PageWriteFaultTest, CheckpointFsyncFailureThenPowerLoss) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 40);
  fenv_.FailAlways(FaultOp::kSync, "data-");
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("sync"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000000.jdb"), std::string::npos) << s.ToString();
  EXPECT_GT(fenv_.UnsyncedBytes(path_ + "/data-000000.jdb"), 0u);
  ExpectReadOnly(s, 40);
  // The pages written by the failed checkpoint are lost with the power; the WAL has them.
  ExpectRecovered(40, /*power_loss=*/true);
}

TEST_P(PageWriteFaultTest, BackgroundFlusherFailureStopsWrites) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  fenv_.FailAlways(FaultOp::kWrite, "data-", FaultKind::kNoSpace);
  PutRange(0, 40);
  // The flusher wakes every second; give it a few.
  for (int i = 0; i < 100 && Property("jadedb.background-error") == "OK"; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string error = Property("jadedb.background-error");
  ASSERT_NE(error, "OK");
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;
  Status s = Put("x", "y");
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(s.ToString(), error);
  ExpectReadOnly(s, 40);
  ExpectRecovered(40, /*power_loss=*/true);
}

// A page write torn by the power failure (a prefix of the new page over the old one) is found
// on reopening and put back from the double-write buffer, which held the whole page.
TEST_P(PageWriteFaultTest, TornPageWriteRepairedByDoubleWriteOnReopen) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  ASSERT_NO_FATAL_FAILURE(Open());
  PutRange(0, 60);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  PutRange(0, 60, /*version=*/3);
  FaultRule rule;
  rule.op = FaultOp::kWrite;
  rule.file_filter = "data-";
  rule.kind = FaultKind::kTornWrite;
  rule.trigger = FaultTrigger::kNthCall;
  rule.n = 2;
  fenv_.AddFault(rule);
  Status s = db_->Flush(FlushOptions());
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(fenv_.IsFilesystemActive());
  db_.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());

  // The torn page really is on disk: some page fails verification.
  {
    bplustree::MetaPage meta;
    ASSERT_TRUE(bplustree::PageFile::ReadMeta(Env::Default(), path_, &meta).ok());
    bplustree::PageFile file(Env::Default(), path_, meta.page_size, meta.segment_file_bytes);
    std::string buf(meta.page_size, '\0');
    int corrupt = 0;
    for (bplustree::PageId id = bplustree::kFirstDataPageId; id < meta.page_count + 8; id++) {
      if (file.ReadPage(id, buf.data()).IsCorruption()) corrupt++;
    }
    ASSERT_EQ(corrupt, 1);
  }
  ASSERT_NO_FATAL_FAILURE(ReopenHealthy());
  EXPECT_EQ(Property("jadedb.bplustree.recovery.pages-repaired"), "1");
  CheckRange(0, 60, 3);
  std::string report;
  Status v = db_->VerifyChecksums(&report);
  EXPECT_TRUE(v.ok()) << v.ToString() << "\n" << report;
}

// A segment file created by a checkpoint must be durable in the directory before its pages
// count as written; otherwise a power loss deletes the file while the meta page and the
// truncated WAL rely on it. Small segments (4 pages) so the store spans several files.
TEST_P(PageWriteFaultTest, NewSegmentFileSurvivesPowerLoss) {
  JADEDB_SKIP_UNLESS_BPLUSTREE();
  bplustree::BPlusTreeOptions o;
  o.env = &fenv_;
  o.page_size = 4096;
  o.segment_file_bytes = 4 * 4096;
  o.checkpoint_interval_ms = 0;
  o.checkpoint_wal_bytes = 0;
  o.flusher_interval_ms = 0;
  o.prefetch_threads = 0;
  const std::string dir = dir_.Join("segments");
  std::unique_ptr<bplustree::StorageEngine> engine;
  ASSERT_TRUE(bplustree::StorageEngine::Open(o, dir, &engine).ok());
  std::vector<bplustree::PageId> ids;
  for (int i = 0; i < 12; i++) {
    // A checkpoint per segment: the double-write file (which syncs the directory once, and
    // holds only the last flush batch for recovery) then covers none but the last segment.
    if (i % 4 == 2) {
      ASSERT_TRUE(engine->Checkpoint().ok());
    }
    bplustree::MiniTxn m = engine->Begin();
    bplustree::PageWriteGuard g;
    ASSERT_TRUE(
        engine->buffer_pool()->AllocatePage(&m, bplustree::PageType::kOverflow, 0, &g).ok());
    ids.push_back(g.id());
    g.Release();
    ASSERT_TRUE(m.Commit(false).ok());
  }
  ASSERT_TRUE(engine->Checkpoint().ok());  // pages in data-000000.jdb to data-000003.jdb
  ASSERT_TRUE(Env::Default()->FileExists(dir + "/data-000002.jdb"));
  engine.reset();
  ASSERT_TRUE(fenv_.SimulatePowerLoss().ok());
  ASSERT_TRUE(bplustree::StorageEngine::Open(o, dir, &engine).ok());
  std::string buf(o.page_size, '\0');
  for (bplustree::PageId id : ids) {
    Status s = engine->page_file()->ReadPage(id, buf.data());
    EXPECT_TRUE(s.ok()) << "page " << id << ": " << s.ToString();
  }
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(PageWriteFaultTest);

}  // namespace
}  // namespace jadedb::test
