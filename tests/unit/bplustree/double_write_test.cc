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

}  // namespace
}  // namespace jadedb::bplustree
