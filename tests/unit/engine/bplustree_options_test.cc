// The public B+tree settings (Options::bplustree) reach the engine through DB::Open: page
// geometry is fixed at create time, bad values are rejected before anything is written, and
// the adaptive hash index and read-ahead switches take effect.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"

namespace jadedb {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

Options BPlusTree() {
  Options o;
  o.engine = EngineType::kBPlusTree;
  o.create_if_missing = true;
  return o;
}

uint64_t Property(DB* db, const std::string& name) {
  std::string v;
  EXPECT_TRUE(db->GetProperty(name, &v)) << name;
  return std::stoull(v);
}

void Fill(DB* db, int n) {
  WriteBatch batch;
  for (int i = 0; i < n; i++) batch.Put(Key(i), std::string(100, 'a' + i % 26));
  ASSERT_TRUE(db->Write(WriteOptions(), &batch).ok());
}

TEST(BPlusTreeOptionsTest, PageGeometryIsFixedAtCreateAndPoolSizeApplies) {
  test::TempDir dir;
  Options o = BPlusTree();
  o.bplustree.page_size = 4096;
  o.bplustree.segment_file_bytes = 64 * 4096;
  o.bplustree.buffer_pool_size = 1 << 20;
  o.bplustree.buffer_pool_partitions = 4;
  {
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
    EXPECT_EQ(Property(db.get(), "jadedb.bplustree.page-size"), 4096u);
    EXPECT_EQ(Property(db.get(), "jadedb.bplustree.buffer-pool.capacity-pages"), 256u);
    Fill(db.get(), 5000);  // ~600 KB of records: several 256 KiB segments
  }
  // Every data file is whole pages and no larger than a segment.
  std::vector<std::string> names;
  ASSERT_TRUE(Env::Default()->GetChildren(dir.path(), &names).ok());
  int data_files = 0;
  for (const std::string& name : names) {
    if (name.rfind("data-", 0) != 0) continue;
    uint64_t size = 0;
    ASSERT_TRUE(Env::Default()->GetFileSize(dir.path() + "/" + name, &size).ok());
    EXPECT_EQ(size % 4096, 0u) << name;
    EXPECT_LE(size, 64u * 4096) << name;
    data_files++;
  }
  EXPECT_GE(data_files, 2);

  // Reopening with other geometry keeps what the DB was created with.
  o.bplustree.page_size = 16384;
  o.bplustree.segment_file_bytes = 64ull << 20;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
  EXPECT_EQ(Property(db.get(), "jadedb.bplustree.page-size"), 4096u);
  std::string value;
  ASSERT_TRUE(db->Get(ReadOptions(), Key(4321), &value).ok());
  EXPECT_EQ(value, std::string(100, 'a' + 4321 % 26));
}

TEST(BPlusTreeOptionsTest, InvalidSettingsAreRejectedBeforeAnythingIsCreated) {
  struct Case {
    const char* what;
    void (*apply)(BPlusTreeOptions*);
  };
  const Case cases[] = {
      {"page size not a power of two", [](BPlusTreeOptions* b) { b->page_size = 12288; }},
      {"page size below 4 KiB", [](BPlusTreeOptions* b) { b->page_size = 2048; }},
      {"page size above 64 KiB", [](BPlusTreeOptions* b) { b->page_size = 128 << 10; }},
      {"segment not whole pages", [](BPlusTreeOptions* b) { b->segment_file_bytes += 100; }},
      {"segment under 16 pages", [](BPlusTreeOptions* b) { b->segment_file_bytes = 8 << 14; }},
      {"pool under 64 pages", [](BPlusTreeOptions* b) { b->buffer_pool_size = 63 << 14; }},
      {"no partitions", [](BPlusTreeOptions* b) { b->buffer_pool_partitions = 0; }},
  };
  for (const Case& c : cases) {
    test::TempDir dir;
    const std::string path = dir.path() + "/db";
    Options o = BPlusTree();
    c.apply(&o.bplustree);
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, path, &db);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.what << ": " << s.ToString();
    EXPECT_FALSE(Env::Default()->FileExists(path)) << c.what;
  }
}

TEST(BPlusTreeOptionsTest, AdaptiveHashIndexAndReadAheadSwitches) {
  for (bool on : {true, false}) {
    test::TempDir dir;
    Options o = BPlusTree();
    o.bplustree.adaptive_hash_index = on;
    o.bplustree.read_ahead = on;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(o, dir.path(), &db).ok());
    Fill(db.get(), 20000);  // ~150 leaves of 16 KiB
    std::string value;
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 200; i++) ASSERT_TRUE(db->Get(ReadOptions(), Key(i), &value).ok());
    }
    std::unique_ptr<Iterator> it(db->NewIterator(ReadOptions()));
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    ASSERT_TRUE(it->status().ok());
    EXPECT_EQ(n, 20000);
    EXPECT_EQ(Property(db.get(), "jadedb.bplustree.ahi.enabled"), on ? 1u : 0u);
    if (on) {
      EXPECT_GT(Property(db.get(), "jadedb.bplustree.ahi.hits"), 0u);
      EXPECT_GT(Property(db.get(), "jadedb.bplustree.prefetch.requests"), 0u);
    } else {
      EXPECT_EQ(Property(db.get(), "jadedb.bplustree.ahi.hits"), 0u);
      EXPECT_EQ(Property(db.get(), "jadedb.bplustree.prefetch.requests"), 0u);
    }
  }
}

}  // namespace
}  // namespace jadedb
