// The LSM write path: group commit under concurrent writers (every batch present and atomic,
// fewer WAL records than batches), and back-pressure (writes slow down and stop at the L0
// triggers, resume when compaction catches up, and the stall time is counted).
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

class WritePathTest : public LsmFixture {
 protected:
  WritePathTest() { options_.env = &env_; }
  // The DB closes before env_ goes, and never waits at a gate a failed test left closed.
  ~WritePathTest() override {
    env_.ReleaseTableGate();
    db_.reset();
  }
  GateEnv env_;
};

std::string BatchKey(int thread, int batch, int i) {
  return "t" + std::to_string(thread) + "-b" + std::to_string(batch) + "-" + std::to_string(i);
}

TEST_F(WritePathTest, GroupCommitUnderConcurrentWriters) {
  options_.lsm.write_buffer_size = 256 << 10;  // several memtable switches along the way
  Open();
  env_.wal_sync_micros = 2000;  // a slow fsync makes writers queue behind the leader
  constexpr int kThreads = 8;
  constexpr int kBatches = 60;
  constexpr int kPerBatch = 4;
  std::atomic<bool> writers_done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};

  // A reader checks atomicity while writers run: at one snapshot, a batch's keys are either
  // all present or all absent.
  std::thread reader([&] {
    Random rnd(5);
    while (!writers_done.load()) {
      const Snapshot* snap = nullptr;
      ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
      ReadOptions ro;
      ro.snapshot = snap;
      const int t = static_cast<int>(rnd.Uniform(kThreads));
      const int b = static_cast<int>(rnd.Uniform(kBatches));
      int found = 0;
      for (int i = 0; i < kPerBatch; i++) {
        std::string v;
        if (db_->Get(ro, BatchKey(t, b, i), &v).ok()) found++;
      }
      if (found != 0 && found != kPerBatch) torn++;
      reads++;
      db_->ReleaseSnapshot(snap);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; t++) {
    writers.emplace_back([&, t] {
      for (int b = 0; b < kBatches; b++) {
        WriteBatch batch;
        for (int i = 0; i < kPerBatch; i++) {
          batch.Put(BatchKey(t, b, i), std::string(200, static_cast<char>('a' + b % 26)));
        }
        WriteOptions wo;
        wo.sync = (b % 3 == 0);  // mixed: sync writers must not ride an unsynced group
        ASSERT_TRUE(db_->Write(wo, &batch).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  writers_done = true;
  reader.join();

  EXPECT_EQ(0, torn.load());
  EXPECT_GT(reads.load(), 0);
  for (int t = 0; t < kThreads; t++) {
    for (int b = 0; b < kBatches; b++) {
      for (int i = 0; i < kPerBatch; i++) {
        ASSERT_EQ(std::string(200, static_cast<char>('a' + b % 26)), Get(BatchKey(t, b, i)));
      }
    }
  }
  const uint64_t batches = NumberProperty("jadedb.write-batches");
  const uint64_t records = NumberProperty("jadedb.wal-records");
  EXPECT_EQ(static_cast<uint64_t>(kThreads * kBatches), batches);
  EXPECT_LT(records, batches) << "no write was grouped with another";
  EXPECT_GT(env_.wal_syncs.load(), 0);
  EXPECT_NE(std::string::npos, Property("jadedb.stats").find("WAL records (group commit)"));

  env_.wal_sync_micros = 0;
  Close();
  Open();  // everything was logged
  EXPECT_EQ(std::string(200, 'a'), Get(BatchKey(kThreads - 1, 0, kPerBatch - 1)));
}

// With the compaction held at its first output write, L0 reaches the slowdown and stop
// triggers: writes are delayed, then stop until the compaction finishes, then resume.
TEST_F(WritePathTest, WritesSlowDownStopAndResumeAtL0Triggers) {
  options_.lsm.write_buffer_size = 16 << 10;
  options_.lsm.level0_file_num_compaction_trigger = 2;
  options_.lsm.level0_slowdown_writes_trigger = 2;
  options_.lsm.level0_stop_writes_trigger = 2;
  options_.lsm.max_background_jobs = 2;
  Open();
  env_.ArmTableGate(/*pass=*/2);  // two flushes pass; the compaction's output is held
  // Two overlapping L0 tables: their compaction must merge (not just move) them.
  Put("a", "0");
  Put("b", "0");
  FlushMem();
  Put("a", "1");
  Put("b", "2");
  FlushMem();
  ASSERT_TRUE(env_.WaitUntilHeld(10000)) << "the compaction did not start";
  EXPECT_EQ(2, FilesAtLevel(0));

  std::atomic<int> written{0};
  auto writer = std::async(std::launch::async, [&] {
    for (int i = 0; i < 200; i++) {
      if (!db_->Put(WriteOptions(), "k" + std::to_string(i), std::string(400, 'v')).ok()) return;
      written++;
    }
  });
  // The memtable fills after some 40 writes; then the writer must wait for compaction.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(std::future_status::timeout, writer.wait_for(std::chrono::milliseconds(0)))
      << "writes went on although L0 is at the stop trigger";
  const int while_stopped = written.load();
  EXPECT_LT(while_stopped, 200);
  EXPECT_TRUE(env_.held());

  env_.ReleaseTableGate();
  ASSERT_EQ(std::future_status::ready, writer.wait_for(std::chrono::seconds(30)));
  EXPECT_EQ(200, written.load());
  const std::string stats = Property("jadedb.stats");
  EXPECT_GT(NumberProperty("jadedb.stall-micros"), 200000u) << stats;
  // "stalls: X s (N slowdowns, M stops)" with both kinds seen.
  EXPECT_EQ(std::string::npos, stats.find("(0 slowdowns")) << stats;
  EXPECT_EQ(std::string::npos, stats.find(", 0 stops)")) << stats;
  EXPECT_EQ("1", Get("a"));
  EXPECT_EQ(std::string(400, 'v'), Get("k199"));
}

}  // namespace
}  // namespace jadedb::lsm_test
