#include "bplustree/recovery.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "bplustree/free_list.h"
#include "bplustree/wal.h"
#include "crash_env.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::SmallOptions;

// A bank: kAccounts pages each hold a balance in slot 0; every mini-txn moves money between
// two pages and writes its sequence number into slot 1 of a counter page. After
// any crash: the total is unchanged (atomicity), and the counter is at least the last value
// acknowledged with sync=true (durability).
constexpr size_t kAccounts = 24;
constexpr uint64_t kInitial = 1000;

struct Bank {
  std::vector<PageId> accounts;
  PageId counter = kInvalidPageId;
};

Bank CreateBank(StorageEngine* e) {
  Bank b;
  b.accounts = test::AllocatePages(e, kAccounts);
  b.counter = test::AllocatePages(e, 1)[0];
  for (PageId id : b.accounts) EXPECT_TRUE(test::WriteSlot(e, id, 0, kInitial, false).ok());
  MiniTxn m = e->Begin();
  m.SetRootPageId(b.counter);  // the root doubles as "where the counter is"
  EXPECT_TRUE(m.Commit(true).ok());
  return b;
}

Status Transfer(StorageEngine* e, const Bank& b, Random* rnd, uint64_t seq, bool sync) {
  PageId x = b.accounts[rnd->Uniform(kAccounts)], y = b.accounts[rnd->Uniform(kAccounts)];
  if (x == y)
    y = b.accounts[(std::find(b.accounts.begin(), b.accounts.end(), x) - b.accounts.begin() + 1) %
                   kAccounts];
  MiniTxn m = e->Begin();
  PageWriteGuard gx, gy, gc;
  Status s = e->buffer_pool()->FetchWrite(x, &m, &gx);
  if (s.ok()) s = e->buffer_pool()->FetchWrite(y, &m, &gy);
  if (s.ok()) s = e->buffer_pool()->FetchWrite(b.counter, &m, &gc);
  if (!s.ok()) return s;
  const uint64_t vx = test::GetSlot(gx.data(), 0);
  const uint64_t amount = std::min<uint64_t>(vx, rnd->Uniform(10));
  test::PutSlot(gx.data(), 0, vx - amount);
  test::PutSlot(gy.data(), 0, test::GetSlot(gy.data(), 0) + amount);
  test::PutSlot(gc.data(), 1, seq);
  return m.Commit(sync);
}

void CheckBank(StorageEngine* e, const Bank& b, uint64_t min_seq, uint64_t max_seq) {
  uint64_t total = 0;
  for (PageId id : b.accounts) total += test::ReadSlot(e, id, 0);
  EXPECT_EQ(total, kInitial * kAccounts);
  const uint64_t seq = test::ReadSlot(e, b.counter, 1);
  EXPECT_GE(seq, min_seq);
  EXPECT_LE(seq, max_seq);
  EXPECT_EQ(e->RootPageId(), b.counter);
}

// Crash at many points: after k transfers, with background flushing, checkpoints, and
// double-write on or off; the last unsynced page write torn on odd rounds.
TEST(RecoveryTest, CrashAtManyPointsKeepsAtomicityAndDurability) {
  for (int round = 0; round < 8; round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    jadedb::test::TempDir dir;
    test::CrashEnv env;
    BPlusTreeOptions o = SmallOptions(&env);
    o.buffer_pool_bytes = 4096 * 16;  // evictions write pages between commits
    o.double_write = round % 4 != 3;
    o.wal_segment_bytes = 16 * 1024;
    std::unique_ptr<StorageEngine> e;
    ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
    Bank bank = CreateBank(e.get());
    ASSERT_TRUE(e->SyncWal().ok());
    Random rnd(round + 1);
    uint64_t acked = 0, seq = 0;
    const int ops = 20 + round * 15;
    for (int i = 0; i < ops; i++) {
      const bool sync = rnd.OneIn(3);
      ASSERT_TRUE(Transfer(e.get(), bank, &rnd, ++seq, sync).ok());
      if (sync) acked = seq;
      if (i == ops / 2 && round % 3 == 1) {
        ASSERT_TRUE(e->Checkpoint().ok());
      }
      if (i == ops / 3 && round % 3 == 2) {
        ASSERT_TRUE(e->buffer_pool()->FlushAll().ok());
      }
    }
    env.Crash(/*tear_last=*/o.double_write && round % 2 == 1);
    e.reset();  // its writes fail: the machine is "off"
    env.Revive();
    Status s = StorageEngine::Open(o, dir.path(), &e);
    ASSERT_TRUE(s.ok()) << s.ToString();
    CheckBank(e.get(), bank, acked, seq);
    // And the store keeps working after recovery.
    ASSERT_TRUE(Transfer(e.get(), bank, &rnd, seq + 1, true).ok());
    CheckBank(e.get(), bank, seq + 1, seq + 1);
    e.reset();
  }
}

// Recovery itself is interrupted at every few writes, then run again to completion.
TEST(RecoveryTest, CrashDuringRecoveryIsRecoveredByRecoveryAgain) {
  jadedb::test::TempDir dir;
  test::CrashEnv env;
  BPlusTreeOptions o = SmallOptions(&env);
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  Bank bank = CreateBank(e.get());
  Random rnd(5);
  uint64_t seq = 0;
  for (int i = 0; i < 150; i++) ASSERT_TRUE(Transfer(e.get(), bank, &rnd, ++seq, false).ok());
  ASSERT_TRUE(e->SyncWal().ok());
  env.Crash();
  e.reset();
  env.Revive();
  int failed_opens = 0;
  for (int budget = 1; budget < 40; budget += 3) {
    env.FailAfter(budget);
    Status s = StorageEngine::Open(o, dir.path(), &e);
    if (s.ok()) break;  // enough budget to finish
    failed_opens++;
    e.reset();
    env.Crash(/*tear_last=*/budget % 2 == 0);
    env.Revive();
  }
  EXPECT_GT(failed_opens, 0);
  env.Revive();
  if (!e) {
    ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  }
  CheckBank(e.get(), bank, seq, seq);
}

// The process dies after pages were allocated (each allocation commits on its own) but
// before the operation they were for committed: nothing references them, so recovery must put
// them back on the free list instead of leaking them. Covers reused and fresh pages, and a
// checkpoint taken in between (it must not move the redo start past the allocations).
TEST(RecoveryTest, PagesOfAnOperationCutShortAreReclaimed) {
  for (bool checkpoint_in_between : {false, true}) {
    jadedb::test::TempDir dir;
    test::CrashEnv env;
    BPlusTreeOptions o = SmallOptions(&env);
    std::unique_ptr<StorageEngine> e;
    ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
    std::vector<PageId> kept = test::AllocatePages(e.get(), 4);
    std::vector<PageId> freed = test::AllocatePages(e.get(), 2);
    ASSERT_TRUE(e->free_list()->Free(freed).ok());
    ASSERT_TRUE(e->SyncWal().ok());
    const uint64_t pages_before = e->PageCount();
    const uint64_t free_before = e->FreePageCount();
    ASSERT_EQ(free_before, 2u);
    // Nothing dirty is older than the allocations below, so only the allocations themselves
    // can hold the in-between checkpoint's redo start back.
    ASSERT_TRUE(e->Checkpoint().ok());
    {
      // Two pages come off the free list, two extend the store; the operation never commits.
      MiniTxn cut_short = e->Begin();
      for (int i = 0; i < 4; i++) {
        PageWriteGuard g;
        ASSERT_TRUE(e->buffer_pool()->AllocatePage(&cut_short, PageType::kLeaf, 0, &g).ok());
      }
      if (checkpoint_in_between) {
        ASSERT_TRUE(e->Checkpoint().ok());
      }
      ASSERT_TRUE(e->SyncWal().ok());
      env.Crash();  // the mtr's abort below runs against a dead disk
    }
    e.reset();
    env.Revive();
    ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
    EXPECT_EQ(e->recovery_stats().pages_reclaimed, 4u) << checkpoint_in_between;
    EXPECT_EQ(e->PageCount(), pages_before + 2);
    EXPECT_EQ(e->FreePageCount(), free_before + 2);
    // The reclaimed pages are handed out again before the store grows.
    std::vector<PageId> again = test::AllocatePages(e.get(), 4);
    EXPECT_EQ(e->PageCount(), pages_before + 2);
    EXPECT_EQ(e->FreePageCount(), 0u);
    for (PageId id : again) {
      EXPECT_EQ(std::count(kept.begin(), kept.end(), id), 0) << id;
    }
    ASSERT_TRUE(e->Close().ok());
  }
}

TEST(RecoveryTest, UncommittedTailIsRolledBackAndLoggedAsAborted) {
  jadedb::test::TempDir dir;
  test::CrashEnv env;
  BPlusTreeOptions o = SmallOptions(&env);
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  Bank bank = CreateBank(e.get());
  ASSERT_TRUE(e->Close().ok());
  e.reset();
  // Hand-craft a mini-txn without a commit record whose change did reach the page (as if
  // the WAL rule had been broken), then recover.
  MetaPage meta;
  ASSERT_TRUE(PageFile::ReadMeta(&env, dir.path(), &meta).ok());
  PageFile file(&env, dir.path(), meta.page_size, meta.segment_file_bytes);
  std::string page(meta.page_size, '\0');
  ASSERT_TRUE(file.ReadPage(bank.accounts[0], page.data()).ok());
  std::string after = page;
  test::PutSlot(after.data(), 0, 1);
  WalRecord r;
  r.type = WalRecordType::kPage;
  r.txn_id = 999999;
  r.page_id = bank.accounts[0];
  DiffPage(page.data(), after.data(), page.size(), &r.ranges);
  SealPage(after.data(), after.size());
  ASSERT_TRUE(file.WritePage(bank.accounts[0], after.data()).ok());
  ASSERT_TRUE(file.Sync().ok());
  {
    uint64_t last_seg;
    Lsn end;
    std::map<uint64_t, Lsn> segs;
    ASSERT_TRUE(Wal::ReadLog(
                    &env, dir.path(), 1, [](const WalRecord&) { return Status::OK(); }, &end,
                    &last_seg, &segs)
                    .ok());
    std::unique_ptr<Wal> wal;
    ASSERT_TRUE(Wal::Open(&env, dir.path(), 1 << 20, last_seg + 1, end + 1, segs, &wal).ok());
    std::vector<WalRecord> recs = {r};
    ASSERT_TRUE(wal->Append(&recs).ok());
    ASSERT_TRUE(wal->Sync().ok());
  }
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  EXPECT_EQ(e->recovery_stats().txns_undone, 1u);
  CheckBank(e.get(), bank, 0, 0);
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  EXPECT_EQ(e->recovery_stats().txns_undone, 0u);  // the kAbort record settled it
  CheckBank(e.get(), bank, 0, 0);
}

}  // namespace
}  // namespace jadedb::bplustree
