#include "lsm/sstable/table_cache.h"

#include <gtest/gtest.h>

#include "lsm/base/filename.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

class TableCacheTest : public ::testing::Test {
 protected:
  TableCacheTest() : env_(Env::Default()) {}

  // Writes table file `number` holding key "k<number>-<i>" for i < n; returns its size.
  uint64_t WriteTable(uint64_t number, int n) {
    sst_test::KVMap kvs;
    for (int i = 0; i < n; i++) {
      kvs["k" + std::to_string(number) + "-" + std::to_string(1000 + i)] = "v" + std::to_string(i);
    }
    std::string contents = sst_test::BuildTableContents(options_, kvs);
    EXPECT_TRUE(WriteStringToFile(env_, contents, TableFileName(dir_.path(), number), false).ok());
    return contents.size();
  }

  static int Count(InternalIterator* it) {
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    return n;
  }

  Env* env_;
  test::TempDir dir_;
  TableOptions options_;
};

TEST_F(TableCacheTest, OpensTablesByNumber) {
  uint64_t size1 = WriteTable(1, 10);
  uint64_t size2 = WriteTable(2, 20);
  TableCache cache(dir_.path(), options_, env_, 100);

  const Table* table = nullptr;
  auto it1 = cache.NewIterator({}, 1, size1, &table);
  ASSERT_NE(nullptr, table);
  EXPECT_EQ(10u, table->NumEntries());
  EXPECT_EQ(10, Count(it1.get()));
  auto it2 = cache.NewIterator({}, 2, size2);
  EXPECT_EQ(20, Count(it2.get()));
  EXPECT_EQ(2u, cache.cache()->Misses());

  // A second iterator on table 1 reuses the open table.
  const Table* again = nullptr;
  auto it1b = cache.NewIterator({}, 1, size1, &again);
  EXPECT_EQ(table, again);
  EXPECT_EQ(1u, cache.cache()->Hits());

  std::string found;
  ASSERT_TRUE(cache
                  .Get({}, 2, size2, "k2-1005",
                       [&](std::string_view k, std::string_view v) {
                         found = std::string(k) + "=" + std::string(v);
                       })
                  .ok());
  EXPECT_EQ("k2-1005=v5", found);
  EXPECT_GT(cache.ApproximateOffsetOf(2, size2, "zzz"), 0u);
  std::string report;
  EXPECT_TRUE(cache.VerifyTable(2, size2, &report).ok());
  EXPECT_NE(std::string::npos, report.find("data block"));
}

TEST_F(TableCacheTest, MissingOrBadFilesGiveErrors) {
  TableCache cache(dir_.path(), options_, env_, 100);
  const Table* table = reinterpret_cast<const Table*>(1);
  auto it = cache.NewIterator({}, 7, 100, &table);
  EXPECT_EQ(nullptr, table);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError() || it->status().IsNotFound()) << it->status().ToString();

  ASSERT_TRUE(
      WriteStringToFile(env_, std::string(100, 'x'), TableFileName(dir_.path(), 8), false).ok());
  Status s = cache.Get({}, 8, 100, "k", [](std::string_view, std::string_view) {});
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("000008.sst")) << s.ToString();
  EXPECT_EQ(0u, cache.ApproximateOffsetOf(8, 100, "k"));

  // Errors are not cached: once the file is fixed the table opens.
  uint64_t size = WriteTable(8, 3);
  auto it2 = cache.NewIterator({}, 8, size);
  EXPECT_EQ(3, Count(it2.get()));
}

TEST_F(TableCacheTest, EvictClosesTheTableButLiveIteratorsKeepWorking) {
  uint64_t size = WriteTable(3, 50);
  TableCache cache(dir_.path(), options_, env_, 100);
  auto it = cache.NewIterator({}, 3, size);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());

  cache.Evict(3);
  // The file can be deleted once evicted; the iterator holds the open table.
  ASSERT_TRUE(env_->RemoveFile(TableFileName(dir_.path(), 3)).ok());
  EXPECT_EQ(50, Count(it.get()));

  auto after = cache.NewIterator({}, 3, size);
  after->SeekToFirst();
  EXPECT_FALSE(after->status().ok());  // reopened: the file is gone
}

TEST_F(TableCacheTest, BoundedByMaxOpenFiles) {
  std::vector<uint64_t> sizes;
  for (uint64_t n = 1; n <= 10; n++) sizes.push_back(WriteTable(n, 5));
  TableCache cache(dir_.path(), options_, env_, 4);
  for (uint64_t n = 1; n <= 10; n++) {
    auto it = cache.NewIterator({}, n, sizes[n - 1]);
    EXPECT_EQ(5, Count(it.get()));
  }
  EXPECT_EQ(4u, cache.cache()->TotalCharge());
  // The most recent tables are still open (hits); the oldest were closed (misses).
  const uint64_t misses = cache.cache()->Misses();
  cache.NewIterator({}, 10, sizes[9]);
  EXPECT_EQ(misses, cache.cache()->Misses());
  cache.NewIterator({}, 1, sizes[0]);
  EXPECT_EQ(misses + 1, cache.cache()->Misses());
}

}  // namespace
}  // namespace jadedb::lsm
