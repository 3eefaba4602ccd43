#include "bplustree/double_write.h"

#include <gtest/gtest.h>

#include "bplustree/page_file.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {

using test::SmallOptions;

// A sealed 4 KiB leaf page `id` at page LSN lsn, its first payload byte set to `mark`.
std::string MakePage(PageId id, Lsn lsn, char mark = 0) {
  std::string page(4096, '\0');
  InitPage(page.data(), 4096, id, PageType::kLeaf, 0, lsn);
  page[PayloadBegin()] = mark;
  SealPage(page.data(), 4096);
  return page;
}

// Tears page `id` in place: the first half keeps its bytes, the second half is garbage.
void TearInPlace(Env* env, const PageFile& f, PageId id) {
  std::unique_ptr<RandomRWFile> raw;
  ASSERT_TRUE(env->NewRandomRWFile(f.PagePath(id), &raw).ok());
  const uint32_t half = f.page_size() / 2;
  ASSERT_TRUE(raw->Write(f.PageOffset(id) + half, std::string(half, '\x5a')).ok());
}

// A DoubleWrite over f that counts the syncs it asks for.
struct CountingDoubleWrite {
  CountingDoubleWrite(Env* env, const std::string& dir, PageFile* f)
      : dw(env, dir, 4096, [this, f] {
          syncs++;
          return f->Sync();
        }) {}
  int syncs = 0;
  DoubleWrite dw;
};

// TearInPlace on the store in dir.
void TearPage(const std::string& dir, const BPlusTreeOptions& o, PageId id) {
  PageFile f(Env::Default(), dir, o.page_size, o.segment_file_bytes);
  TearInPlace(Env::Default(), f, id);
}

TEST(DoubleWriteTest, TornPageIsRepairedFromTheDoubleWriteCopy) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 3);
  ASSERT_TRUE(e->Checkpoint().ok());
  // The last flush batch (which is what doublewrite.jdb holds) contains page ids[1].
  ASSERT_TRUE(test::WriteSlot(e.get(), ids[1], 4, 4242, true).ok());
  ASSERT_TRUE(e->buffer_pool()->FlushAll().ok());
  e.reset();  // Close: checkpoint, nothing dirty, so the double-write file still holds ids[1]
  TearPage(dir.path(), o, ids[1]);
  {
    PageFile f(Env::Default(), dir.path(), o.page_size, o.segment_file_bytes);
    std::string buf(o.page_size, '\0');
    ASSERT_TRUE(f.ReadPage(ids[1], buf.data()).IsCorruption());
  }
  Status s = StorageEngine::Open(o, dir.path(), &e);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(e->recovery_stats().pages_repaired, 1u);
  EXPECT_EQ(test::ReadSlot(e.get(), ids[1], 4), 4242u);
}

TEST(DoubleWriteTest, TornPageWithoutACopyIsCorruptionNamingFileAndPage) {
  jadedb::test::TempDir dir;
  BPlusTreeOptions o = SmallOptions();
  o.double_write = false;
  std::unique_ptr<StorageEngine> e;
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());
  std::vector<PageId> ids = test::AllocatePages(e.get(), 3);
  ASSERT_TRUE(e->Close().ok());
  e.reset();
  Env::Default()->RemoveFile(dir.Join("doublewrite.jdb"));
  TearPage(dir.path(), o, ids[2]);
  ASSERT_TRUE(StorageEngine::Open(o, dir.path(), &e).ok());  // not needed by recovery
  PageReadGuard g;
  Status s = e->buffer_pool()->FetchRead(ids[2], &g);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000000.jdb"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("page " + std::to_string(ids[2])), std::string::npos);
  // Other pages still work.
  EXPECT_EQ(test::ReadSlot(e.get(), ids[0], 0), 0u);
}

TEST(DoubleWriteTest, TornDoubleWriteFileIsIgnored) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  CountingDoubleWrite c(env, dir.path(), &f);
  std::string page = MakePage(7, 3);
  ASSERT_TRUE(f.WritePage(7, page.data()).ok());
  ASSERT_TRUE(c.dw.WriteBatch({{7, page.data()}}).ok());
  // Cut the copy in half: it fails its checksum and must not be applied.
  std::string data;
  ASSERT_TRUE(ReadFileToString(env, c.dw.path(), &data).ok());
  ASSERT_TRUE(WriteStringToFile(env, data.substr(0, data.size() - 2048), c.dw.path(), true).ok());
  uint64_t repaired = 99;
  ASSERT_TRUE(c.dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 0u);
  std::string buf(4096, '\0');
  EXPECT_TRUE(f.ReadPage(7, buf.data()).ok());
}

// Each slot is rewritten in place, so a small batch after a large one in the same slot leaves
// stale copies past its count: only the counted ones may be used.
TEST(DoubleWriteTest, StaleCopiesPastTheCountAreIgnored) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  CountingDoubleWrite c(env, dir.path(), &f);
  std::string p7 = MakePage(7, 3), p8 = MakePage(8, 3), p9 = MakePage(9, 3), p10 = MakePage(10, 4);
  for (const std::string* p : {&p7, &p8, &p9}) {
    ASSERT_TRUE(f.WritePage(PageView(p->data(), 4096).id(), p->data()).ok());
  }
  ASSERT_TRUE(c.dw.WriteBatch({{7, p7.data()}, {8, p8.data()}, {9, p9.data()}}).ok());
  // Around the ring back to slot 0.
  for (size_t i = 1; i < kDoubleWriteSlots; i++) {
    ASSERT_TRUE(c.dw.WriteBatch({{7, p7.data()}}).ok());
  }
  ASSERT_TRUE(f.WritePage(10, p10.data()).ok());
  ASSERT_TRUE(c.dw.WriteBatch({{10, p10.data()}}).ok());
  // Tear 8 (only a stale copy exists) and 10 (the counted copy).
  TearInPlace(env, f, 8);
  TearInPlace(env, f, 10);
  uint64_t repaired = 0;
  ASSERT_TRUE(c.dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 1u);
  std::string buf(4096, '\0');
  EXPECT_TRUE(f.ReadPage(10, buf.data()).ok());
  EXPECT_EQ(buf, p10);
  EXPECT_TRUE(f.ReadPage(8, buf.data()).IsCorruption());
}

// Batches go round the ring; a torn page is restored from its newest copy (highest page LSN),
// whichever slot holds it, never from an older one.
TEST(DoubleWriteTest, TornPageIsRestoredFromItsNewestCopyInTheRing) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  CountingDoubleWrite c(env, dir.path(), &f);
  const std::string old5 = MakePage(5, 10, 'a'), new5 = MakePage(5, 30, 'c'),
                    mid5 = MakePage(5, 20, 'b'), p6 = MakePage(6, 25);
  // Slot order: old (slot 0), newest (slot 1), middle (slot 2): the file order must not
  // decide.
  ASSERT_TRUE(c.dw.WriteBatch({{5, old5.data()}}).ok());
  ASSERT_TRUE(c.dw.WriteBatch({{5, new5.data()}, {6, p6.data()}}).ok());
  ASSERT_TRUE(c.dw.WriteBatch({{5, mid5.data()}}).ok());
  ASSERT_TRUE(f.WritePage(5, new5.data()).ok());
  ASSERT_TRUE(f.WritePage(6, p6.data()).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(c.dw.path(), &size).ok());
  EXPECT_GT(size, 2 * c.dw.slot_bytes() + kDoubleWriteHeaderBytes);  // slot 2, one copy
  EXPECT_LE(size, 2 * c.dw.slot_bytes() + kDoubleWriteHeaderBytes + 4096);
  TearInPlace(env, f, 5);
  uint64_t repaired = 0;
  ASSERT_TRUE(c.dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 1u);
  std::string buf(4096, '\0');
  ASSERT_TRUE(f.ReadPage(5, buf.data()).ok());
  EXPECT_EQ(buf, new5);
  EXPECT_EQ(c.syncs, 0);  // the ring was never full
}

// The in-place writes of a batch must be durable before its slot is reused, one trip around
// the ring later, and not before: one sync per kDoubleWriteSlots batches, none when the caller
// synced itself.
TEST(DoubleWriteTest, SlotIsReusedOnlyAfterItsBatchIsSyncedInPlace) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  CountingDoubleWrite c(env, dir.path(), &f);
  const std::string p = MakePage(3, 1);
  for (size_t i = 0; i < kDoubleWriteSlots; i++) {
    EXPECT_FALSE(c.dw.NextSlotNeedsInPlaceSync());
    ASSERT_TRUE(c.dw.WriteBatch({{3, p.data()}}).ok());
  }
  EXPECT_EQ(c.syncs, 0);
  EXPECT_TRUE(c.dw.NextSlotNeedsInPlaceSync());
  ASSERT_TRUE(c.dw.WriteBatch({{3, p.data()}}).ok());  // reuses slot 0
  EXPECT_EQ(c.syncs, 1);
  // That sync covered every batch so far: the next trip needs no sync until it reaches the
  // first slot written after it.
  for (size_t i = 1; i < kDoubleWriteSlots; i++) {
    ASSERT_TRUE(c.dw.WriteBatch({{3, p.data()}}).ok());
  }
  EXPECT_EQ(c.syncs, 1);
  EXPECT_TRUE(c.dw.NextSlotNeedsInPlaceSync());
  // A sync by the caller covering the first `batches()` batches spares the ring's own.
  c.dw.InPlaceSyncedThrough(c.dw.batches());
  EXPECT_FALSE(c.dw.NextSlotNeedsInPlaceSync());
  ASSERT_TRUE(c.dw.WriteBatch({{3, p.data()}}).ok());
  EXPECT_EQ(c.syncs, 1);
  EXPECT_EQ(c.dw.in_place_syncs(), 1u);
}

// A copy leaves out its longest run of zero bytes: the slot stores only the bytes around it,
// and recovery puts the zeros back, giving the page exactly as written.
TEST(DoubleWriteTest, CopiesLeaveOutTheirLongestZeroRunAndAreRestoredWhole) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  CountingDoubleWrite c(env, dir.path(), &f);
  // Payload bytes outside the given zero runs are non-zero.
  auto make = [](PageId id, std::vector<std::pair<size_t, size_t>> zero_runs) {
    std::string page(4096, '\0');
    InitPage(page.data(), 4096, id, PageType::kLeaf, 0, 5);
    for (size_t i = PayloadBegin(); i < PayloadEnd(4096); i++) {
      bool zero = false;
      for (const auto& [b, e] : zero_runs) zero |= i >= b && i < e;
      if (!zero) page[i] = static_cast<char>('a' + i % 23);
    }
    SealPage(page.data(), 4096);
    return page;
  };
  // 3: a short run, then the longest (2904 bytes); 4: none; 5: an odd-aligned run of 3885.
  const std::string p3 = make(3, {{100, 300}, {1000, 3904}}), p4 = make(4, {}),
                    p5 = make(5, {{195, 4080}});
  ASSERT_TRUE(c.dw.WriteBatch({{3, p3.data()}, {4, p4.data()}, {5, p5.data()}}).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(c.dw.path(), &size).ok());
  EXPECT_LE(size, kDoubleWriteHeaderBytes + 3 * 4096 - 2904 - 3872);
  // (A page header has zero runs of its own: at most 64 bytes less.)
  EXPECT_GE(size, kDoubleWriteHeaderBytes + 3 * 4096 - 2904 - 3885 - 3 * 64);
  for (const std::string* p : {&p3, &p4, &p5}) {
    const PageId id = PageView(p->data(), 4096).id();
    ASSERT_TRUE(f.WritePage(id, p->data()).ok());
    TearInPlace(env, f, id);
  }
  uint64_t repaired = 0;
  ASSERT_TRUE(c.dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 3u);
  std::string buf(4096, '\0');
  for (const std::string* p : {&p3, &p4, &p5}) {
    ASSERT_TRUE(f.ReadPage(PageView(p->data(), 4096).id(), buf.data()).ok());
    EXPECT_TRUE(buf == *p);
  }
}

// A file written by the single-batch format (version 1: 32-byte header, pages from offset 32)
// still repairs a torn page after an upgrade.
TEST(DoubleWriteTest, VersionOneFileIsStillRecovered) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  const std::string p4 = MakePage(4, 7, 'x'), p9 = MakePage(9, 8);
  std::string v1(32, '\0');
  EncodeFixed32(v1.data(), kDoubleWriteMagic);
  EncodeFixed32(v1.data() + 4, 1);
  EncodeFixed32(v1.data() + 8, 4096);
  EncodeFixed32(v1.data() + 12, 2);
  EncodeFixed32(v1.data() + 28, crc32c::Mask(crc32c::Value(v1.data(), 28)));
  v1 += p4 + p9;
  CountingDoubleWrite c(env, dir.path(), &f);
  ASSERT_TRUE(WriteStringToFile(env, v1, c.dw.path(), true).ok());
  ASSERT_TRUE(f.WritePage(4, p4.data()).ok());
  ASSERT_TRUE(f.WritePage(9, p9.data()).ok());
  TearInPlace(env, f, 4);
  uint64_t repaired = 0;
  ASSERT_TRUE(c.dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 1u);
  std::string buf(4096, '\0');
  ASSERT_TRUE(f.ReadPage(4, buf.data()).ok());
  EXPECT_EQ(buf, p4);
}

}  // namespace
}  // namespace jadedb::bplustree
