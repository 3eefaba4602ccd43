#include "bplustree/buffer_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "bplustree/wal.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::AllocatePages;
using test::ReadSlot;
using test::SmallOptions;
using test::WriteSlot;

TEST(BufferPoolTest, PinEvictDirtyFlushAndReload) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  BufferPool* pool = e->buffer_pool();
  const uint64_t cap = pool->GetStats().capacity_pages;
  ASSERT_EQ(cap, 64u);
  // Three times the pool: pages must be evicted (dirty ones written first) and read back.
  std::vector<PageId> ids = AllocatePages(e.get(), 3 * cap);
  for (size_t i = 0; i < ids.size(); i++) {
    ASSERT_TRUE(WriteSlot(e.get(), ids[i], 0, 1000 + i, false).ok());
  }
  for (size_t i = 0; i < ids.size(); i++) EXPECT_EQ(ReadSlot(e.get(), ids[i], 0), 1000 + i);
  BufferPoolStats st = pool->GetStats();
  EXPECT_GT(st.evictions, 0u);
  EXPECT_GT(st.flushes, 0u);
  EXPECT_GT(st.misses, 0u);
  EXPECT_LE(st.resident_pages, cap);

  // A pinned page is never evicted: hold a read guard across a full sweep.
  PageReadGuard pinned;
  ASSERT_TRUE(pool->FetchRead(ids[0], &pinned).ok());
  for (PageId id : ids) {
    if (id != ids[0]) ReadSlot(e.get(), id, 0);
  }
  EXPECT_EQ(test::GetSlot(pinned.data(), 0), 1000u);
  pinned.Release();

  ASSERT_TRUE(pool->FlushAll().ok());
  EXPECT_EQ(pool->GetStats().dirty_pages, 0u);
  EXPECT_EQ(pool->MinRecoveryLsn(), kInvalidLsn);
  pool->EvictAllClean();
  EXPECT_EQ(pool->GetStats().resident_pages, 0u);
  EXPECT_EQ(ReadSlot(e.get(), ids[5], 0), 1005u);
}

// Page writes are not synced one flush at a time: a page written in place but not yet synced
// is clean in the pool, yet its changes are not durable, so it must keep bounding the redo
// start that a checkpoint records until a sync covers it.
TEST(BufferPoolTest, PagesWrittenButNotSyncedStillBoundTheRedoStart) {
  for (bool double_write : {true, false}) {
    SCOPED_TRACE(double_write ? "double-write" : "no double-write");
    jadedb::test::TempDir dir;
    BPlusTreeOptions o = SmallOptions();
    o.double_write = double_write;
    std::unique_ptr<StorageEngine> e;
    ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
    BufferPool* pool = e->buffer_pool();
    std::vector<PageId> ids = AllocatePages(e.get(), 4);
    ASSERT_TRUE(pool->FlushAll().ok());
    ASSERT_EQ(pool->MinRecoveryLsn(), kInvalidLsn);
    const uint64_t syncs = pool->GetStats().in_place_syncs;

    ASSERT_TRUE(WriteSlot(e.get(), ids[1], 0, 7, false).ok());
    const Lsn rec_lsn = pool->MinRecoveryLsn();
    ASSERT_NE(rec_lsn, kInvalidLsn);
    ASSERT_TRUE(WriteSlot(e.get(), ids[2], 0, 8, false).ok());
    ASSERT_TRUE(pool->FlushDirty(UINT64_MAX, SIZE_MAX).ok());
    EXPECT_EQ(pool->GetStats().dirty_pages, 0u);
    EXPECT_EQ(pool->GetStats().in_place_syncs, syncs);  // written, not synced
    EXPECT_EQ(pool->MinRecoveryLsn(), rec_lsn);

    // Dirty again after the write: the older unsynced change still counts.
    ASSERT_TRUE(WriteSlot(e.get(), ids[1], 1, 9, false).ok());
    EXPECT_EQ(pool->MinRecoveryLsn(), rec_lsn);

    ASSERT_TRUE(pool->SyncInPlace().ok());
    EXPECT_EQ(pool->GetStats().in_place_syncs, syncs + 1);
    EXPECT_GT(pool->MinRecoveryLsn(), rec_lsn);  // only ids[1]'s new change is left
    ASSERT_TRUE(pool->FlushAll().ok());
    EXPECT_EQ(pool->MinRecoveryLsn(), kInvalidLsn);
  }
}

TEST(BufferPoolTest, MidpointLruResistsAScan) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.buffer_pool_partitions = 1;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  BufferPool* pool = e->buffer_pool();
  std::vector<PageId> ids = AllocatePages(e.get(), 300);
  ASSERT_TRUE(pool->FlushAll().ok());
  pool->EvictAllClean();
  // The hot set: 8 pages, each touched twice (the second touch promotes them to young).
  std::vector<PageId> hot(ids.begin(), ids.begin() + 8);
  for (int round = 0; round < 2; round++) {
    for (PageId id : hot) ReadSlot(e.get(), id, 0);
  }
  EXPECT_GE(pool->GetStats().young_pages, 8u);
  // A scan of 4x the pool, each page touched once.
  for (size_t i = 8; i < ids.size(); i++) ReadSlot(e.get(), ids[i], 0);
  const uint64_t misses = pool->GetStats().misses;
  for (PageId id : hot) ReadSlot(e.get(), id, 0);
  EXPECT_EQ(pool->GetStats().misses, misses) << "the scan evicted hot pages";
}

TEST(BufferPoolTest, WalRuleNoPageWrittenBeforeItsLogIsDurable) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::atomic<int> writes{0}, violations{0};
  Wal* wal = e->wal();
  e->buffer_pool()->SetBeforeWriteHook([&](PageId, Lsn lsn) {
    writes++;
    if (wal->durable_lsn() < lsn) violations++;
  });
  std::vector<PageId> ids = AllocatePages(e.get(), 150);
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < ids.size(); i++) {
      ASSERT_TRUE(WriteSlot(e.get(), ids[i], 1, round, /*sync=*/false).ok());
    }
  }
  ASSERT_TRUE(e->buffer_pool()->FlushAll().ok());
  EXPECT_GT(writes.load(), 150);
  EXPECT_EQ(violations.load(), 0);
}

TEST(BufferPoolTest, TryFetchReportsBusyInsteadOfWaiting) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  PageId id = AllocatePages(e.get(), 1)[0];
  MiniTxn m = e->Begin();
  PageWriteGuard w;
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(id, &m, &w).ok());
  std::thread other([&] {
    PageReadGuard r;
    EXPECT_TRUE(e->buffer_pool()->TryFetchRead(id, &r).IsBusy());
  });
  other.join();
  m.Abort();
  PageReadGuard r;
  EXPECT_TRUE(e->buffer_pool()->TryFetchRead(id, &r).ok());
  EXPECT_FALSE(w.valid());  // detached by Abort
}

TEST(BufferPoolTest, CountersAndPrefetch) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.prefetch_threads = 1;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = AllocatePages(e.get(), 20);
  ASSERT_TRUE(e->buffer_pool()->FlushAll().ok());
  e->buffer_pool()->EvictAllClean();
  for (PageId id : ids) e->buffer_pool()->Prefetch(id);
  for (int i = 0; i < 200 && e->buffer_pool()->GetStats().prefetches < ids.size(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(e->buffer_pool()->GetStats().prefetches, ids.size());
  const uint64_t misses = e->buffer_pool()->GetStats().misses;
  for (PageId id : ids) ReadSlot(e.get(), id, 0);
  EXPECT_EQ(e->buffer_pool()->GetStats().misses, misses);
  std::string v;
  ASSERT_TRUE(e->GetProperty("bplustree.buffer-pool.hits", &v));
  EXPECT_GT(std::stoull(v), 0u);
  ASSERT_TRUE(e->GetProperty("bplustree.stats", &v));
  EXPECT_NE(v.find("bplustree.buffer-pool.evictions"), std::string::npos);
  EXPECT_FALSE(e->GetProperty("bplustree.nope", &v));
}

// Writers move value between pages (sum stays constant) while readers check single pages;
// run under ThreadSanitizer too.
TEST(BufferPoolTest, ConcurrentReadersAndWriters) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.buffer_pool_bytes = 4096 * 32;  // smaller than the page set: eviction under load
  o.flusher_interval_ms = 5;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  constexpr size_t kPages = 48;
  std::vector<PageId> ids = AllocatePages(e.get(), kPages);
  for (PageId id : ids) ASSERT_TRUE(WriteSlot(e.get(), id, 0, 100, false).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; t++) {
    threads.emplace_back([&, t] {
      Random rnd(t + 1);
      for (int i = 0; i < 300; i++) {
        PageId a = ids[rnd.Uniform(kPages)], b = ids[rnd.Uniform(kPages)];
        if (a == b) continue;
        if (a > b) std::swap(a, b);  // lock order: ascending page id
        MiniTxn m = e->Begin();
        PageWriteGuard ga, gb;
        if (!e->buffer_pool()->FetchWrite(a, &m, &ga).ok() ||
            !e->buffer_pool()->FetchWrite(b, &m, &gb).ok()) {
          errors++;
          continue;
        }
        uint64_t va = test::GetSlot(ga.data(), 0), vb = test::GetSlot(gb.data(), 0);
        if (va == 0) continue;
        test::PutSlot(ga.data(), 0, va - 1);
        test::PutSlot(gb.data(), 0, vb + 1);
        if (!m.Commit(i % 50 == 0).ok()) errors++;
      }
    });
  }
  threads.emplace_back([&] {
    Random rnd(99);
    while (!stop) {
      PageReadGuard g;
      if (!e->buffer_pool()->FetchRead(ids[rnd.Uniform(kPages)], &g).ok()) errors++;
    }
  });
  for (size_t i = 0; i < 3; i++) threads[i].join();
  stop = true;
  threads.back().join();
  EXPECT_EQ(errors.load(), 0);
  uint64_t sum = 0;
  for (PageId id : ids) sum += ReadSlot(e.get(), id, 0);
  EXPECT_EQ(sum, 100 * kPages);
  // And the same after a clean reopen.
  ASSERT_TRUE(e->Close().ok());
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  sum = 0;
  for (PageId id : ids) sum += ReadSlot(e.get(), id, 0);
  EXPECT_EQ(sum, 100 * kPages);
}

// Misses that find the LRU tail dirty wake the flusher, which writes the tail pages in the
// background (the periodic flush never fires here), so foreground misses find clean victims.
TEST(BufferPoolTest, FlusherCleansTheLruTailsWhenMissesFindThemDirty) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.flusher_interval_ms = 3'600'000;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  const std::thread::id me = std::this_thread::get_id();
  std::atomic<int> background_writes{0}, foreground_writes{0};
  e->buffer_pool()->SetBeforeWriteHook([&](PageId, Lsn) {
    (std::this_thread::get_id() == me ? foreground_writes : background_writes)++;
  });
  // 64 frames; keep dirtying new pages so the tails fill with dirty pages.
  std::vector<PageId> ids = test::AllocatePages(e.get(), 300);
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < ids.size(); i++) {
      ASSERT_TRUE(test::WriteSlot(e.get(), ids[i], 2, i + round, false).ok());
    }
  }
  EXPECT_GT(background_writes.load(), 0);
  e->buffer_pool()->SetBeforeWriteHook(nullptr);
  for (size_t i = 0; i < ids.size(); i += 37) EXPECT_EQ(test::ReadSlot(e.get(), ids[i], 2), i + 2);
}

// After a failed page flush nothing is written again: not by the flusher thread (it used to
// retry every interval, forever), not by FlushAll, which returns the first error.
TEST(BufferPoolTest, NoFlushRetriesAfterAFailure) {
  jadedb::test::TempDir dir;
  test::FaultyEnv env;
  BPlusTreeOptions o = SmallOptions(&env);
  o.flusher_interval_ms = 5;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 4);
  env.fail_page_writes = true;
  for (int i = 0; i < 4; i++) ASSERT_TRUE(test::WriteSlot(e.get(), ids[i], 1, 100 + i, true).ok());
  for (int i = 0; i < 400 && e->background_error().ok(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(e->background_error().IsIOError()) << e->background_error().ToString();
  const int attempts = env.page_write_attempts;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // ~20 flusher rounds
  EXPECT_EQ(env.page_write_attempts, attempts);
  EXPECT_TRUE(e->buffer_pool()->FlushAll().IsIOError());
  EXPECT_EQ(env.page_write_attempts, attempts);
  // Reads still work from the pool.
  EXPECT_EQ(test::ReadSlot(e.get(), ids[2], 1), 102u);
  env.fail_page_writes = false;
  e.reset();  // Close writes nothing in the error state; recovery replays the WAL
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  for (int i = 0; i < 4; i++) EXPECT_EQ(test::ReadSlot(e.get(), ids[i], 1), 100u + i);
}

}  // namespace
}  // namespace jadedb::bplustree
