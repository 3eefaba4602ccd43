#include "bplustree/free_list.h"

#include <gtest/gtest.h>

#include <set>

#include "jadedb/env.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::SmallOptions;

TEST(FreeListTest, FreedPagesAreReusedAndTheStoreDoesNotGrowUnderChurn) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  BufferPool* pool = e->buffer_pool();
  std::vector<PageId> live = test::AllocatePages(e.get(), 40);
  const uint64_t pages_after_fill = e->PageCount();
  Random rnd(7);
  for (int round = 0; round < 30; round++) {
    // Free 10 random pages in one mtr, then allocate 10 in another.
    MiniTxn m = e->Begin();
    for (int i = 0; i < 10; i++) {
      size_t k = rnd.Uniform(live.size());
      ASSERT_TRUE(pool->FreePage(&m, live[k]).ok());
      live.erase(live.begin() + k);
    }
    ASSERT_TRUE(m.Commit(false).ok());
    EXPECT_EQ(e->FreePageCount(), 10u);
    MiniTxn a = e->Begin();
    for (int i = 0; i < 10; i++) {
      PageWriteGuard g;
      ASSERT_TRUE(pool->AllocatePage(&a, PageType::kLeaf, 0, &g).ok());
      EXPECT_EQ(g.view().type(), PageType::kLeaf);
      live.push_back(g.id());
    }
    ASSERT_TRUE(a.Commit(false).ok());
    EXPECT_EQ(e->FreePageCount(), 0u);
  }
  EXPECT_EQ(e->PageCount(), pages_after_fill);
  EXPECT_EQ(std::set<PageId>(live.begin(), live.end()).size(), live.size());

  // The free list survives a reopen.
  MiniTxn m = e->Begin();
  ASSERT_TRUE(pool->FreePage(&m, live[0]).ok());
  ASSERT_TRUE(pool->FreePage(&m, live[1]).ok());
  ASSERT_TRUE(m.Commit(true).ok());
  ASSERT_TRUE(e->Close().ok());
  e.reset();
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  EXPECT_EQ(e->FreePageCount(), 2u);
  EXPECT_EQ(e->PageCount(), pages_after_fill);
  std::vector<PageId> again = test::AllocatePages(e.get(), 2);
  EXPECT_EQ(std::set<PageId>(again.begin(), again.end()), std::set<PageId>({live[0], live[1]}));
  EXPECT_EQ(e->PageCount(), pages_after_fill);
  // The data files hold whole pages only.
  uint64_t size = 0;
  ASSERT_TRUE(Env::Default()->GetFileSize(dir.Join("data-000000.jdb"), &size).ok());
  EXPECT_EQ(size % o.page_size, 0u);
}

TEST(FreeListTest, AbortReturnsAllocatedPages) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  const uint64_t before = e->PageCount();
  {
    MiniTxn m = e->Begin();
    PageWriteGuard g;
    ASSERT_TRUE(e->buffer_pool()->AllocatePage(&m, PageType::kOverflow, 0, &g).ok());
    m.Abort();
  }
  EXPECT_EQ(e->FreePageCount(), 1u);
  test::AllocatePages(e.get(), 1);
  EXPECT_EQ(e->FreePageCount(), 0u);
  EXPECT_EQ(e->PageCount(), before + 1);
}

}  // namespace
}  // namespace jadedb::bplustree
