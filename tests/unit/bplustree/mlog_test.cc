// The mini-transaction change log (PageChangeLog, InnoDB's mlog): node and header writers
// report what they change, ChangedRanges turns the reports into the same redo ranges as a
// whole-page diff, Abort undoes them, and the whole-page fallback and the verification mode
// cover writers that do not report.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bplustree/mini_txn.h"
#include "bplustree/node.h"
#include "bplustree/page.h"
#include "bplustree/tree.h"
#include "bplustree/wal_record.h"
#include "crash_env.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

using test::AllocatePages;
using test::ReadSlot;
using test::SmallOptions;

void ExpectSameRanges(const std::vector<ByteRange>& a, const std::vector<ByteRange>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); i++) {
    EXPECT_EQ(a[i].offset, b[i].offset) << i;
    EXPECT_EQ(a[i].after, b[i].after) << i;
    EXPECT_EQ(a[i].before, b[i].before) << i;
  }
}

// Random node changes in rounds; after each round the log's ranges must equal a diff of the
// page against its image from the round's start, its whole-page image must be that image, and
// an undo must restore it.
void RunRandomNodeRounds(bool leaf, uint32_t seed) {
  constexpr size_t kPage = 4096;
  std::string page(kPage, '\0');
  InitPage(page.data(), kPage, 9, leaf ? PageType::kLeaf : PageType::kInternal, leaf ? 0 : 1);
  Node::Init(page.data() + kPageHeaderSize, PayloadSize(kPage), leaf);
  Random rnd(seed);
  uint64_t next_child = 100;
  for (int round = 0; round < 300; round++) {
    const std::string image = page;
    PageChangeLog log;
    log.Start(page.data(), kPage);
    EXPECT_FALSE(log.Modified());
    Node n(page.data() + kPageHeaderSize, PayloadSize(kPage), &log, kPageHeaderSize);
    PageMutator m(page.data(), kPage, &log);
    const int ops = 1 + static_cast<int>(rnd.Uniform(6));
    for (int op = 0; op < ops; op++) {
      const uint32_t what = rnd.Uniform(100);
      auto make_cell = [&](int pos) {
        std::string key = "k" + std::to_string(rnd.Uniform(1000000)) + std::to_string(pos);
        if (!leaf) return Node::EncodeInternalCell(0, key, next_child++);
        return Node::EncodeCell(0, key, std::string(rnd.Uniform(200), 'a' + rnd.Uniform(26)));
      };
      if (what < 45 || n.count() == 0) {
        const int pos = static_cast<int>(rnd.Uniform(n.count() + 1));
        n.InsertCell(pos, make_cell(pos));
      } else if (what < 65) {
        n.RemoveCell(static_cast<int>(rnd.Uniform(n.count())));
      } else if (what < 80) {
        const int i = static_cast<int>(rnd.Uniform(n.count()));
        if (!leaf) {
          n.set_child(i, next_child++);
        } else if (rnd.OneIn(2)) {
          std::string same(n.Cell(i));
          same.back() = static_cast<char>(same.back() + 1);
          n.ReplaceCell(i, same);
        } else {
          n.ReplaceCell(i, make_cell(i));
        }
      } else if (what < 88) {
        n.Compact();
      } else if (what < 90) {
        n.Clear();
      } else if (what < 92) {
        n.Format(leaf);
      } else {
        m.set_record_count(static_cast<uint16_t>(n.count()));
        m.set_next(rnd.Uniform(1000));
        m.set_flags(static_cast<uint16_t>(rnd.Uniform(4)));
      }
    }
    ASSERT_TRUE(n.Validate("random node").ok()) << "round " << round;
    std::vector<ByteRange> want, got;
    DiffPage(image.data(), page.data(), kPage, &want);
    ChangedRanges(log, &got);
    ExpectSameRanges(got, want);
    if (::testing::Test::HasFailure()) return;
    EXPECT_EQ(log.Modified(), !want.empty());
    // Redo on the old image and undo on the new page reproduce the two images.
    std::string redo = image, undo = page;
    ASSERT_TRUE(ApplyRanges(got, true, redo.data(), kPage).ok());
    ASSERT_TRUE(ApplyRanges(got, false, undo.data(), kPage).ok());
    EXPECT_TRUE(redo == page);
    EXPECT_TRUE(undo == image);
    if (round % 3 == 0) {
      log.Undo();
      EXPECT_TRUE(page == image) << "round " << round;
    } else if (round % 3 == 1) {
      // Falling back to whole-page mode mid-way yields the image from before the reports.
      const std::string now = page;
      log.SetWholePage();
      ASSERT_TRUE(log.whole_page());
      EXPECT_TRUE(std::string(log.before_image(), kPage) == image);
      log.WillChange(100, 4);  // no-op in whole-page mode
      EXPECT_TRUE(log.records().empty());
      log.Undo();
      EXPECT_TRUE(page == image);
      page = now;
    }
  }
}

TEST(PageChangeLogTest, LeafChangesGiveTheSameRangesAsAPageDiff) {
  RunRandomNodeRounds(/*leaf=*/true, 301);
}

TEST(PageChangeLogTest, InternalChangesGiveTheSameRangesAsAPageDiff) {
  RunRandomNodeRounds(/*leaf=*/false, 302);
}

TEST(PageChangeLogTest, OverlappingReportsKeepTheFirstBeforeBytes) {
  constexpr size_t kPage = 4096;
  std::string page(kPage, 'x');
  const std::string image = page;
  PageChangeLog log;
  log.Start(page.data(), kPage);
  log.WillChange(100, 10);
  std::memset(page.data() + 100, 'a', 10);
  log.WillChange(105, 10);  // saves "aaaaaxxxxx": its first half is not the before-image
  std::memset(page.data() + 105, 'b', 10);
  log.WillChange(95, 3);
  page[96] = 'c';
  log.WillChange(200, 2);  // reported, not changed
  std::vector<ByteRange> got, want;
  ChangedRanges(log, &got);
  DiffPage(image.data(), page.data(), kPage, &want);
  ExpectSameRanges(got, want);
  ASSERT_EQ(got.size(), 1u);  // 96 and 100..114 joined across the 3-byte gap
  EXPECT_EQ(got[0].offset, 96u);
  EXPECT_EQ(got[0].before, std::string(19, 'x'));
  log.Undo();
  EXPECT_TRUE(page == image);
}

TEST(PageChangeLogTest, MutatorRawBytesSwitchToWholePage) {
  constexpr size_t kPage = 4096;
  std::string page(kPage, '\0');
  InitPage(page.data(), kPage, 5, PageType::kLeaf, 0);
  const std::string image = page;
  PageChangeLog log;
  log.Start(page.data(), kPage);
  PageMutator m(page.data(), kPage, &log);
  m.set_next(42);
  EXPECT_FALSE(log.whole_page());
  EXPECT_EQ(log.records().size(), 1u);
  std::memset(m.mutable_payload(), 7, 100);  // not reported
  EXPECT_TRUE(log.whole_page());
  EXPECT_TRUE(std::string(log.before_image(), kPage) == image);
  log.Undo();
  EXPECT_TRUE(page == image);
}

// --- through the mini-transaction ---

TEST(MiniTxnChangeLogTest, TestBinariesVerify) { EXPECT_TRUE(MiniTxn::VerifyChangeLogs()); }

TEST(MiniTxnChangeLogTest, SingleKeyWritesLogWithoutWholePageImages) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  Tree tree(e.get(), nullptr, nullptr);
  ASSERT_TRUE(tree.Init().ok());
  for (int i = 0; i < 20; i++) {
    MiniTxn m = e->Begin();
    ASSERT_TRUE(tree.Put(&m, "key" + std::to_string(i), std::string(50, 'v')).ok());
    // The leaf (the root here) is logged by its reported ranges, not a whole-page image.
    const int slot = m.FindPage(e->RootPageId());
    ASSERT_GE(slot, 0);
    EXPECT_FALSE(m.entry(static_cast<size_t>(slot)).log.whole_page());
    EXPECT_FALSE(m.entry(static_cast<size_t>(slot)).log.records().empty());
    ASSERT_TRUE(m.Commit(false).ok());
  }
  // An overwrite and a delete too.
  MiniTxn m = e->Begin();
  ASSERT_TRUE(tree.Put(&m, "key3", std::string(50, 'w')).ok());
  ASSERT_TRUE(tree.Delete(&m, "key4").ok());
  const int slot = m.FindPage(e->RootPageId());
  ASSERT_GE(slot, 0);
  EXPECT_FALSE(m.entry(static_cast<size_t>(slot)).log.whole_page());
  ASSERT_TRUE(m.Commit(true).ok());
  std::string v;
  ASSERT_TRUE(tree.Get("key3", &v).ok());
  EXPECT_EQ(v, std::string(50, 'w'));
  EXPECT_TRUE(tree.Get("key4", &v).IsNotFound());
}

TEST(MiniTxnChangeLogTest, AbortUndoesReportedAndUnreportedWrites) {
  jadedb::test::TempDir dir;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(), dir.path(), &e).ok());
  std::vector<PageId> ids = AllocatePages(e.get(), 2);
  std::string before0;
  {
    PageReadGuard r;
    ASSERT_TRUE(e->buffer_pool()->FetchRead(ids[0], &r).ok());
    before0.assign(r.data(), e->page_size());
  }
  {
    MiniTxn m = e->Begin();
    PageWriteGuard a, b;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &a).ok());
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[1], &m, &b).ok());
    a.mutator().set_next(77);  // reported
    Node n(a.logged_data() + kPageHeaderSize, PayloadSize(e->page_size()), a.change_log(),
           kPageHeaderSize);
    n.Format(true);
    ASSERT_TRUE(n.InsertCell(0, Node::EncodeCell(0, "k", "v")));
    test::PutSlot(a.data(), 100, 5);  // unreported: a switches to whole-page mode
    test::PutSlot(b.data(), 3, 9);
    m.Abort();
  }
  PageReadGuard r;
  ASSERT_TRUE(e->buffer_pool()->FetchRead(ids[0], &r).ok());
  EXPECT_TRUE(std::string(r.data(), e->page_size()) == before0);
  r.Release();
  EXPECT_EQ(ReadSlot(e.get(), ids[1], 3), 0u);
}

TEST(MiniTxnChangeLogTest, ReportedWritesSurviveRecovery) {
  jadedb::test::TempDir dir;
  test::CrashEnv env;
  std::vector<PageId> ids;
  {
    std::unique_ptr<StorageEngine> e;
    ASSERT_TRUE(StorageEngine::Open(SmallOptions(&env), dir.path(), &e).ok());
    ids = AllocatePages(e.get(), 1);
    MiniTxn m = e->Begin();
    PageWriteGuard g;
    ASSERT_TRUE(e->buffer_pool()->FetchWrite(ids[0], &m, &g).ok());
    Node n(g.logged_data() + kPageHeaderSize, PayloadSize(e->page_size()), g.change_log(),
           kPageHeaderSize);
    n.Format(true);
    ASSERT_TRUE(n.InsertCell(0, Node::EncodeCell(0, "b", "2")));
    ASSERT_TRUE(n.InsertCell(0, Node::EncodeCell(0, "a", "1")));
    g.mutator().set_record_count(2);
    g.Release();
    ASSERT_TRUE(m.Commit(true).ok());
    // Power loss: the page was never flushed, the WAL alone must rebuild it.
    env.Crash();
  }
  env.Revive();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(SmallOptions(&env), dir.path(), &e).ok());
  PageReadGuard r;
  ASSERT_TRUE(e->buffer_pool()->FetchRead(ids[0], &r).ok());
  EXPECT_EQ(PageView(r.data(), e->page_size()).record_count(), 2);
  Node n(const_cast<char*>(r.data()) + kPageHeaderSize, PayloadSize(e->page_size()));
  ASSERT_EQ(n.count(), 2);
  EXPECT_EQ(n.raw_key(0), "a");
  EXPECT_EQ(n.raw_value(1), "2");
}

TEST(MiniTxnChangeLogDeathTest, VerificationCatchesAnUnreportedWrite) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        jadedb::test::TempDir dir;
        std::unique_ptr<StorageEngine> e;
        if (!StorageEngine::Open(SmallOptions(), dir.path(), &e).ok()) return;
        std::vector<PageId> ids = AllocatePages(e.get(), 1);
        MiniTxn m = e->Begin();
        PageWriteGuard g;
        if (!e->buffer_pool()->FetchWrite(ids[0], &m, &g).ok()) return;
        g.mutator().set_next(3);
        g.logged_data()[1000] = 1;  // bypasses the log
        g.Release();
        (void)m.Commit(false);
      },
      "change log incomplete: page [0-9]+ changed but unlogged at byte 1000");
}

}  // namespace
}  // namespace jadedb::bplustree
