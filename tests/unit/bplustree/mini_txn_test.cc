#include "bplustree/mini_txn.h"

#include <gtest/gtest.h>

#include <thread>

#include "bplustree/wal.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::AllocatePages;
using test::ReadSlot;
using test::SmallOptions;

TEST(MiniTxnTest, AbortRestoresEveryPageAndTheRoot) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  std::vector<PageId> ids = AllocatePages(e.get(), 3);
  const Lsn lsn_before = e->wal()->last_lsn();
  {
    MiniTxn m = e->Begin();
    for (PageId id : ids) {
      PageWriteGuard g;
      ASSERT_TRUE(e->buffer_pool()->FetchWrite(id, &m, &g).ok());
      test::PutSlot(g.data(), 0, 77);
    }
    m.SetRootPageId(ids[1]);
    EXPECT_EQ(e->RootPageId(), ids[1]);
    m.Abort();
  }
  for (PageId id : ids) EXPECT_EQ(ReadSlot(e.get(), id, 0), 0u);
  EXPECT_EQ(e->RootPageId(), kInvalidPageId);
  EXPECT_EQ(e->wal()->last_lsn(), lsn_before);  // nothing logged
  {
    MiniTxn m = e->Begin();  // destroyed without Commit: aborted
    PageWriteGuard g;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &g).ok());
    test::PutSlot(g.data(), 0, 5);
  }
  EXPECT_EQ(ReadSlot(e.get(), ids[0], 0), 0u);
}

TEST(MiniTxnTest, CommitLogsOneGroupAndStampsPages) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  std::vector<PageId> ids = AllocatePages(e.get(), 3);
  MiniTxn m = e->Begin();
  for (PageId id : ids) {
    PageWriteGuard g;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(id, &m, &g).ok());
    test::PutSlot(g.data(), 2, id * 10);
  }
  m.SetRootPageId(ids[0]);
  ASSERT_TRUE(m.Commit(true).ok());
  EXPECT_FALSE(m.active());
  const Lsn commit = m.commit_lsn();
  EXPECT_GE(e->wal()->durable_lsn(), commit);
  for (PageId id : ids) {
    PageReadGuard g;
    ASSERT_TRUE(e->buffer_pool()->FetchRead(id, &g).ok());
    EXPECT_EQ(g.view().lsn(), commit);
    EXPECT_EQ(test::GetSlot(g.data(), 2), id * 10);
  }
  EXPECT_EQ(e->RootPageId(), ids[0]);
  EXPECT_EQ(e->committed_meta().root, ids[0]);
  // An mtr that changes nothing logs nothing.
  const Lsn last = e->wal()->last_lsn();
  MiniTxn idle = e->Begin();
  PageWriteGuard g;
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &idle, &g).ok());
  g.Release();
  ASSERT_TRUE(idle.Commit(true).ok());
  EXPECT_EQ(e->wal()->last_lsn(), last);
}

TEST(MiniTxnTest, UnmodifiedPagesAreReleasedEarlyModifiedOnesAtCommit) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  std::vector<PageId> ids = AllocatePages(e.get(), 2);
  MiniTxn m = e->Begin();
  PageWriteGuard a, b;
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &a).ok());
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[1], &m, &b).ok());
  test::PutSlot(b.data(), 0, 9);
  a.Release();  // untouched: latch dropped now
  b.Release();  // modified: the mtr keeps it latched
  auto try_read = [&](PageId id) {
    bool ok = false;
    std::thread t([&] {
      PageReadGuard r;
      ok = e->buffer_pool()->TryFetchRead(id, &r).ok();
    });
    t.join();
    return ok;
  };
  EXPECT_TRUE(try_read(ids[0]));
  EXPECT_FALSE(try_read(ids[1]));
  // Fetching it again in the same mtr does not self-deadlock and sees our change.
  PageWriteGuard again;
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[1], &m, &again).ok());
  EXPECT_EQ(test::GetSlot(again.data(), 0), 9u);
  ASSERT_TRUE(m.Commit(false).ok());
  EXPECT_FALSE(again.valid());
  EXPECT_TRUE(try_read(ids[1]));
}

// An mtr holding many pages finds them through its index (a large WriteBatch): every page is
// found, an unmodified page released early is not, and a page fetched again after its
// release is found in its new slot and committed with its change.
TEST(MiniTxnTest, FindsPagesOfLargeMtrsIncludingRefetchedOnes) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  constexpr int kPages = 40;  // well past the linear-search limit
  std::vector<PageId> ids = AllocatePages(e.get(), kPages);
  MiniTxn m = e->Begin();
  {
    PageWriteGuard untouched;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &untouched).ok());
    untouched.Release();  // unmodified: released now
  }
  EXPECT_EQ(m.FindPage(ids[0]), -1);
  for (int i = 1; i < kPages; i++) {
    PageWriteGuard g;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[i], &m, &g).ok());
    test::PutSlot(g.data(), 1, 100 + i);
  }
  for (int i = 1; i < kPages; i++) EXPECT_GE(m.FindPage(ids[i]), 0) << i;
  EXPECT_EQ(m.FindPage(ids[0]), -1);
  {
    PageWriteGuard again;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &again).ok());
    test::PutSlot(again.data(), 1, 100);
  }
  const int slot = m.FindPage(ids[0]);
  ASSERT_GE(slot, 0);
  EXPECT_EQ(m.entry(static_cast<size_t>(slot)).id, ids[0]);
  EXPECT_NE(m.entry(static_cast<size_t>(slot)).frame, nullptr);
  // Fetching a held page again returns the same latched page (no self-deadlock).
  {
    PageWriteGuard same;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[20], &m, &same).ok());
    EXPECT_EQ(test::GetSlot(same.data(), 1), 120u);
  }
  ASSERT_TRUE(m.Commit(false).ok());
  for (int i = 0; i < kPages; i++) EXPECT_EQ(ReadSlot(e.get(), ids[i], 1), 100u + i) << i;
}

TEST(MiniTxnTest, MovedMiniTxnKeepsItsGuards) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  PageId id = AllocatePages(e.get(), 1)[0];
  MiniTxn m1 = e->Begin();
  PageWriteGuard g;
  ASSERT_TRUE(e->buffer_pool()->FetchWrite(id, &m1, &g).ok());
  test::PutSlot(g.data(), 0, 3);
  MiniTxn m2 = std::move(m1);
  EXPECT_FALSE(m1.active());
  g.Release();
  ASSERT_TRUE(m2.Commit(false).ok());
  EXPECT_EQ(ReadSlot(e.get(), id, 0), 3u);
}

}  // namespace
}  // namespace jadedb::bplustree
