#include "bplustree/page_file.h"

#include <gtest/gtest.h>

#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

std::string MakePage(PageId id, size_t n, char fill, Lsn lsn = 1) {
  std::string p(n, '\0');
  InitPage(p.data(), n, id, PageType::kLeaf, 0, lsn);
  std::memset(p.data() + PayloadBegin(), fill, 64);
  SealPage(p.data(), n);
  return p;
}

TEST(PageFileTest, PagesLiveInFixedSizeSegments) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  const size_t n = 4096;
  PageFile f(env, dir.path(), n, n * 4);  // 4 pages per segment
  for (PageId id = 2; id < 11; id++) {
    std::string p = MakePage(id, n, static_cast<char>('a' + id));
    ASSERT_TRUE(f.WritePage(id, p.data()).ok());
  }
  ASSERT_TRUE(f.Sync().ok());
  for (PageId id = 2; id < 11; id++) {
    std::string buf(n, '\0');
    ASSERT_TRUE(f.ReadPage(id, buf.data()).ok()) << id;
    EXPECT_EQ(buf[PayloadBegin()], static_cast<char>('a' + id));
  }
  for (uint64_t seg = 0; seg < 3; seg++) {
    uint64_t size = 0;
    ASSERT_TRUE(env->GetFileSize(dir.Join(PageFile::SegmentName(seg)), &size).ok());
    EXPECT_LE(size, n * 4);
    EXPECT_EQ(size % n, 0u);
  }
  EXPECT_EQ(f.PagePath(9), dir.Join("data-000002.jdb"));
  std::string buf(n, '\0');
  EXPECT_TRUE(f.ReadPage(11, buf.data()).IsNotFound());  // never written
}

TEST(PageFileTest, CorruptPageIsCorruptionNamingFileAndPage) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  const size_t n = 4096;
  {
    PageFile f(env, dir.path(), n, n * 4);
    std::string p = MakePage(5, n, 'q');
    ASSERT_TRUE(f.WritePage(5, p.data()).ok());
    ASSERT_TRUE(f.Sync().ok());
  }
  std::unique_ptr<RandomRWFile> raw;
  ASSERT_TRUE(env->NewRandomRWFile(dir.Join("data-000001.jdb"), &raw).ok());
  ASSERT_TRUE(raw->Write(n * 1 + 100, "garbage").ok());
  PageFile f(env, dir.path(), n, n * 4);
  std::string buf(n, '\0');
  Status s = f.ReadPage(5, buf.data());
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000001.jdb"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("page 5"), std::string::npos) << s.ToString();
}

TEST(PageFileTest, MetaPagesAlternateAndSurviveATornMetaWrite) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  MetaPage out;
  EXPECT_TRUE(PageFile::ReadMeta(env, dir.path(), &out).IsNotFound());
  for (uint32_t n : {4096u, 65536u}) {
    jadedb::test::TempDir d;
    PageFile f(env, d.path(), n, n * 8);
    MetaPage m;
    m.page_size = n;
    m.segment_file_bytes = n * 8;
    for (uint64_t seq = 1; seq <= 3; seq++) {
      m.sequence = seq;
      m.root = 100 + seq;
      m.checkpoint_lsn = 1000 + seq;
      ASSERT_TRUE(f.WriteMeta(m).ok());
    }
    ASSERT_TRUE(PageFile::ReadMeta(env, d.path(), &out).ok());
    EXPECT_EQ(out.sequence, 3u);
    EXPECT_EQ(out.root, 103u);
    EXPECT_EQ(out.page_size, n);
    EXPECT_EQ(out.checkpoint_lsn, 1003u);
    // Tear the newest copy (sequence 3 went to copy 1): the older copy must win.
    std::unique_ptr<RandomRWFile> raw;
    ASSERT_TRUE(env->NewRandomRWFile(d.Join("data-000000.jdb"), &raw).ok());
    std::string junk(n / 2, 'z');
    ASSERT_TRUE(raw->Write(n + n / 2, junk).ok());
    ASSERT_TRUE(PageFile::ReadMeta(env, d.path(), &out).ok());
    EXPECT_EQ(out.sequence, 2u);
    EXPECT_EQ(out.root, 102u);
    // Both torn: Corruption, not a crash.
    ASSERT_TRUE(raw->Write(n / 2, junk).ok());
    Status s = PageFile::ReadMeta(env, d.path(), &out);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  }
}

}  // namespace
}  // namespace jadedb::bplustree
