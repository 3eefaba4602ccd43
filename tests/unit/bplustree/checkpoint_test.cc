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

}  // namespace
}  // namespace jadedb::bplustree
