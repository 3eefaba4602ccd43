#include "bplustree/checkpoint.h"

#include <gtest/gtest.h>

#include <thread>

#include "bplustree/page_file.h"
#include "bplustree/wal.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::SmallOptions;

TEST(CheckpointTest, CheckpointDeletesOldWalSegmentsAndMovesRedoStart) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.wal_segment_bytes = 2048;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 10);
  for (int i = 0; i < 200; i++) {
    ASSERT_TRUE(test::WriteSlot(e.get(), ids[i % 10], i % 7, i, i % 10 == 0).ok());
  }
  ASSERT_TRUE(e->SyncWal().ok());
  const size_t segments = e->wal()->segment_count();
  ASSERT_GT(segments, 3u);
  ASSERT_TRUE(e->Checkpoint().ok());
  EXPECT_LE(e->wal()->segment_count(), 2u);
  MetaPage meta;
  ASSERT_TRUE(PageFile::ReadMeta(Env::Default(), dir.path(), &meta).ok());
  EXPECT_EQ(meta.checkpoint_lsn, e->checkpointer()->last_checkpoint_lsn());
  EXPECT_LE(meta.redo_start, meta.checkpoint_lsn);
  EXPECT_GT(meta.redo_start, 1u);
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  for (int k = 0; k < 10; k++) {
    // Last write to (page k%10... ): i = 190 + k wrote slot (190+k)%7 of ids[k].
    EXPECT_EQ(test::ReadSlot(e.get(), ids[k], (190 + k) % 7), static_cast<uint64_t>(190 + k));
  }
}

// A background checkpoint writes only pages dirty since before the previous checkpoint (the
// redo start still passes it); a full one (Close, DB::Flush) writes every dirty page.
TEST(CheckpointTest, BackgroundCheckpointFlushesOnlyPagesOlderThanThePreviousOne) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 3);
  ASSERT_TRUE(e->Checkpoint().ok());
  BufferPool* pool = e->buffer_pool();
  ASSERT_EQ(pool->GetStats().dirty_pages, 0u);

  ASSERT_TRUE(test::WriteSlot(e.get(), ids[0], 0, 1, false).ok());
  Checkpointer* c = e->checkpointer();
  ASSERT_TRUE(c->Run(/*flush_all=*/false).ok());
  EXPECT_EQ(pool->GetStats().dirty_pages, 1u);  // changed after the previous checkpoint
  const Lsn first = c->last_checkpoint_lsn();

  ASSERT_TRUE(test::WriteSlot(e.get(), ids[1], 0, 2, false).ok());
  const uint64_t flushes = pool->GetStats().flushes;
  ASSERT_TRUE(c->Run(/*flush_all=*/false).ok());
  EXPECT_EQ(pool->GetStats().flushes, flushes + 1);  // ids[0] only
  EXPECT_EQ(pool->GetStats().dirty_pages, 1u);
  EXPECT_GT(pool->MinRecoveryLsn(), first);  // ids[1]'s change: after the first checkpoint
  MetaPage meta;
  ASSERT_TRUE(PageFile::ReadMeta(Env::Default(), dir.path(), &meta).ok());
  EXPECT_GT(meta.redo_start, first);

  ASSERT_TRUE(c->Run().ok());
  EXPECT_EQ(pool->GetStats().dirty_pages, 0u);
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  EXPECT_EQ(test::ReadSlot(e.get(), ids[0], 0), 1u);
  EXPECT_EQ(test::ReadSlot(e.get(), ids[1], 0), 2u);
}

TEST(CheckpointTest, FuzzyCheckpointWhileWritersRun) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.checkpoint_interval_ms = 20;
  o.flusher_interval_ms = 10;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 8);
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; t++) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 300; i++) {
        EXPECT_TRUE(test::WriteSlot(e.get(), ids[t * 4 + i % 4], 0, i, false).ok());
      }
    });
  }
  for (int i = 0; i < 5; i++) ASSERT_TRUE(e->Checkpoint().ok());
  for (auto& w : writers) w.join();
  ASSERT_TRUE(e->SyncWal().ok());
  EXPECT_GE(e->checkpointer()->checkpoints(), 5u);
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  for (int t = 0; t < 2; t++) {
    for (int k = 0; k < 4; k++) {
      EXPECT_EQ(test::ReadSlot(e.get(), ids[t * 4 + k], 0), static_cast<uint64_t>(296 + k));
    }
  }
}

// A segment whose deletion fails stays listed and on disk, and the next checkpoint deletes it
// (it used to be dropped from the list at once, so it stayed on disk for good).
TEST(CheckpointTest, FailedSegmentDeletionIsRetriedByTheNextCheckpoint) {
  jadedb::test::TempDir dir;
  test::FaultyEnv env;
  BPlusTreeOptions o = SmallOptions(&env);
  o.wal_segment_bytes = 2048;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 10);
  for (int i = 0; i < 200; i++) {
    ASSERT_TRUE(test::WriteSlot(e.get(), ids[i % 10], i % 7, i, false).ok());
  }
  ASSERT_TRUE(e->SyncWal().ok());
  const size_t segments = e->wal()->segment_count();
  ASSERT_GT(segments, 3u);
  auto files_on_disk = [&] {
    std::vector<std::string> names;
    EXPECT_TRUE(Env::Default()->GetChildren(dir.path(), &names).ok());
    size_t n = 0;
    for (const std::string& name : names) n += name.rfind("wal-", 0) == 0;
    return n;
  };
  env.fail_removes = true;
  EXPECT_TRUE(e->Checkpoint().IsIOError());
  EXPECT_EQ(e->wal()->segment_count(), segments);
  EXPECT_EQ(files_on_disk(), segments);
  // Not the read-only state: only disk space is at stake.
  EXPECT_TRUE(e->background_error().ok());
  EXPECT_TRUE(test::WriteSlot(e.get(), ids[0], 0, 7, true).ok());
  env.fail_removes = false;
  ASSERT_TRUE(e->Checkpoint().ok());
  EXPECT_LE(e->wal()->segment_count(), 2u);
  EXPECT_EQ(files_on_disk(), e->wal()->segment_count());
}

// In the read-only error state the checkpoint thread writes nothing more (it used to log a
// checkpoint record and try the meta page every interval, forever).
TEST(CheckpointTest, CheckpointThreadStopsInTheErrorState) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.checkpoint_interval_ms = 1;  // due at every poll
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 2);
  ASSERT_TRUE(e->Checkpoint().ok());
  e->RecordBackgroundError(Status::IOError("injected"));
  const uint64_t bytes = e->wal()->bytes_appended();
  const uint64_t checkpoints = e->checkpointer()->checkpoints();
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // > 3 polls of 200 ms
  EXPECT_EQ(e->wal()->bytes_appended(), bytes);
  EXPECT_EQ(e->checkpointer()->checkpoints(), checkpoints);
}

}  // namespace
}  // namespace jadedb::bplustree
