// LSM properties and statistics: approximate sizes of key ranges, jadedb.stats contents, and
// the table cache's max_open_files bound seen through its open counter.
#include <gtest/gtest.h>

#include <cstdio>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%05d", i);
  return buf;
}

std::string Hex(std::string_view s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

class PropertiesTest : public LsmFixture {
 protected:
  PropertiesTest() {
    options_.lsm.compression = Compression::kNone;  // sizes proportional to the data
    options_.lsm.level0_file_num_compaction_trigger = 20;
    options_.lsm.level0_slowdown_writes_trigger = 20;
    options_.lsm.level0_stop_writes_trigger = 30;
  }
  void Fill(int files, int per_file, size_t value_size) {
    for (int f = 0; f < files; f++) {
      for (int i = f * per_file; i < (f + 1) * per_file; i++) {
        Put(Key(i), std::string(value_size, 'v'));
      }
      FlushMem();
    }
  }
};

TEST_F(PropertiesTest, ApproximateSizes) {
  Open();
  Fill(4, 1000, 200);  // ~200 KiB per table
  std::vector<uint64_t> sizes;
  ASSERT_TRUE(db_->GetApproximateSizes({{Key(0), Key(4000)},
                                        {Key(1000), Key(2000)},
                                        {Key(1000), Key(1500)},
                                        {"a", "b"},
                                        {Key(3000), Key(1000)}},
                                       &sizes)
                  .ok());
  ASSERT_EQ(5u, sizes.size());
  EXPECT_GT(sizes[0], 800u * 1000);
  EXPECT_LT(sizes[0], 1000u * 1000);
  EXPECT_GT(sizes[1], sizes[0] / 5);
  EXPECT_LT(sizes[1], sizes[0] / 3);
  EXPECT_GT(sizes[2], sizes[1] / 3);
  EXPECT_LT(sizes[2], sizes[1] * 2 / 3);
  EXPECT_EQ(0u, sizes[3]);
  EXPECT_EQ(0u, sizes[4]);  // inverted range

  // The property form agrees with the API.
  EXPECT_EQ(std::to_string(sizes[1]),
            Property("jadedb.approximate-size:" + Hex(Key(1000)) + ":" + Hex(Key(2000))));
  std::string v;
  EXPECT_FALSE(db_->GetProperty("jadedb.approximate-size:zz:00", &v));
  EXPECT_FALSE(db_->GetProperty("jadedb.approximate-size:00", &v));
  EXPECT_GE(NumberProperty("jadedb.approximate-size"), sizes[0]);
}

TEST_F(PropertiesTest, StatsReportWhatTheEngineDid) {
  options_.lsm.compression = Compression::kLz4;
  Open();
  Fill(3, 500, 100);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  for (int i = 0; i < 1500; i += 7) ASSERT_NE("NOT_FOUND", Get(Key(i)));
  EXPECT_EQ(0, FilesAtLevel(0));
  const std::string stats = Property("jadedb.stats");
  for (const char* want :
       {"write amplification:", "compaction read", "stalls:", "block cache:", "hit rate",
        "WAL records (group commit)", "approximate size", "table opens"}) {
    EXPECT_NE(std::string::npos, stats.find(want)) << want << "\n" << stats;
  }
  EXPECT_GT(NumberProperty("jadedb.block-cache-hits") + NumberProperty("jadedb.block-cache-misses"),
            0u);
}

// max_open_files bounds the open tables: with room for 6 (16 minus 10 kept for logs and the
// manifest), reading 8 tables in turn twice must reopen evicted ones.
TEST_F(PropertiesTest, TableCacheIsBoundedByMaxOpenFiles) {
  options_.lsm.max_open_files = 16;
  Open();
  Fill(8, 100, 50);
  Open();  // empty table cache
  const uint64_t opens0 = NumberProperty("jadedb.table-cache-opens");
  for (int round = 0; round < 2; round++) {
    for (int f = 0; f < 8; f++) ASSERT_NE("NOT_FOUND", Get(Key(f * 100 + 5)));
  }
  const uint64_t opens = NumberProperty("jadedb.table-cache-opens") - opens0;
  EXPECT_GT(opens, 8u) << "no table was evicted";
  EXPECT_LE(opens, 16u);

  // A cache big enough for all: each table opened once.
  options_.lsm.max_open_files = 1000;
  Open();
  const uint64_t opens1 = NumberProperty("jadedb.table-cache-opens");
  for (int round = 0; round < 2; round++) {
    for (int f = 0; f < 8; f++) ASSERT_NE("NOT_FOUND", Get(Key(f * 100 + 5)));
  }
  EXPECT_EQ(8u, NumberProperty("jadedb.table-cache-opens") - opens1);
}

}  // namespace
}  // namespace jadedb::lsm_test
