#include "bplustree/double_write.h"

#include <gtest/gtest.h>

#include "bplustree/page_file.h"
#include "storage_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

using test::SmallOptions;

// Tears page `id` in place: the first half keeps its bytes, the second half is garbage.
void TearPage(const std::string& dir, const BPlusTreeOptions& o, PageId id) {
  PageFile f(Env::Default(), dir, o.page_size, o.segment_file_bytes);
  std::unique_ptr<RandomRWFile> raw;
  ASSERT_TRUE(Env::Default()->NewRandomRWFile(f.PagePath(id), &raw).ok());
  std::string junk(o.page_size / 2, '\x5a');
  ASSERT_TRUE(raw->Write(f.PageOffset(id) + o.page_size / 2, junk).ok());
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
  DoubleWrite dw(env, dir.path(), 4096);
  std::string page(4096, '\0');
  InitPage(page.data(), 4096, 7, PageType::kLeaf, 0, 3);
  SealPage(page.data(), 4096);
  ASSERT_TRUE(f.WritePage(7, page.data()).ok());
  ASSERT_TRUE(dw.WriteBatch({{7, page.data()}}).ok());
  // Cut the copy in half: it fails its checksum and must not be applied.
  std::string data;
  ASSERT_TRUE(ReadFileToString(env, dw.path(), &data).ok());
  ASSERT_TRUE(WriteStringToFile(env, data.substr(0, data.size() - 2048), dw.path(), true).ok());
  uint64_t repaired = 99;
  ASSERT_TRUE(dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 0u);
  std::string buf(4096, '\0');
  EXPECT_TRUE(f.ReadPage(7, buf.data()).ok());
}

// The file is rewritten in place, so a small batch after a large one leaves stale copies past
// its count: only the counted ones may be used, and several batches reuse one file.
TEST(DoubleWriteTest, StaleCopiesPastTheCountAreIgnored) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  PageFile f(env, dir.path(), 4096, 4096 * 16);
  DoubleWrite dw(env, dir.path(), 4096);
  auto make = [](PageId id, Lsn lsn) {
    std::string page(4096, '\0');
    InitPage(page.data(), 4096, id, PageType::kLeaf, 0, lsn);
    SealPage(page.data(), 4096);
    return page;
  };
  std::string p7 = make(7, 3), p8 = make(8, 3), p9 = make(9, 3), p10 = make(10, 4);
  for (const std::string* p : {&p7, &p8, &p9}) {
    ASSERT_TRUE(f.WritePage(PageView(p->data(), 4096).id(), p->data()).ok());
  }
  ASSERT_TRUE(dw.WriteBatch({{7, p7.data()}, {8, p8.data()}, {9, p9.data()}}).ok());
  ASSERT_TRUE(f.WritePage(10, p10.data()).ok());
  ASSERT_TRUE(dw.WriteBatch({{10, p10.data()}}).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(dw.path(), &size).ok());
  EXPECT_EQ(size, 32u + 3 * 4096);  // not truncated
  // Tear 8 (only a stale copy exists) and 10 (the counted copy).
  std::unique_ptr<RandomRWFile> raw;
  ASSERT_TRUE(env->NewRandomRWFile(f.PagePath(8), &raw).ok());
  std::string junk(2048, '\x5a');
  ASSERT_TRUE(raw->Write(f.PageOffset(8) + 2048, junk).ok());
  ASSERT_TRUE(raw->Write(f.PageOffset(10) + 2048, junk).ok());
  uint64_t repaired = 0;
  ASSERT_TRUE(dw.Recover(&f, &repaired).ok());
  EXPECT_EQ(repaired, 1u);
  std::string buf(4096, '\0');
  EXPECT_TRUE(f.ReadPage(10, buf.data()).ok());
  EXPECT_EQ(buf, p10);
  EXPECT_TRUE(f.ReadPage(8, buf.data()).IsCorruption());
}

}  // namespace
}  // namespace jadedb::bplustree
