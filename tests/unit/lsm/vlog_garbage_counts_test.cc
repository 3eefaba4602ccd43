// An LSM DB keeps its value-log garbage counts across a close (VLOGGARBAGE), so automatic GC
// still finds garbage that compactions counted before a restart; a damaged or missing file
// only restarts the counting.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "jadedb/db.h"
#include "lsm/vlog/garbage_counts.h"
#include "testutil/test_util.h"
#include "value_log_test_util.h"

namespace jadedb::lsm::vlog {
namespace {

class GarbageCountsDbTest : public ::testing::Test {
 protected:
  GarbageCountsDbTest() : options_(test::SmallVlogGcOptions()) {
    // Counted but never collected, so the count is stable between close and reopen.
    options_.lsm.value_log_auto_gc = false;
  }
  void Open() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  uint64_t GarbageBytes() {
    std::string v;
    EXPECT_TRUE(db_->GetProperty("jadedb.value-log-garbage-bytes", &v));
    return std::stoull(v);
  }
  // Writes every key three times and compacts: two of three versions become garbage.
  void MakeGarbage() {
    for (int version = 0; version < 3; version++) {
      for (int i = 0; i < 40; i++) {
        ASSERT_TRUE(db_->Put(WriteOptions(), test::VlogKey(i), test::BigValue(i, version)).ok());
      }
    }
    ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  }

  test::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(GarbageCountsDbTest, CountsSurviveCloseAndReopen) {
  Open();
  MakeGarbage();
  const uint64_t before = GarbageBytes();
  ASSERT_GT(before, 40u * 5000u);  // at least one dropped version of each key
  Open();
  EXPECT_EQ(GarbageBytes(), before);
  // Segments GC deletes lose their counts; the rest keep theirs.
  ASSERT_TRUE(db_->CompactValueLog().ok());
  const uint64_t after_gc = GarbageBytes();
  EXPECT_LT(after_gc, before);
  Open();
  EXPECT_EQ(GarbageBytes(), after_gc);
  std::string v;
  for (int i = 0; i < 40; i++) {
    ASSERT_TRUE(db_->Get(ReadOptions(), test::VlogKey(i), &v).ok());
    EXPECT_EQ(v, test::BigValue(i, 2));
  }
  db_.reset();
  ASSERT_TRUE(std::filesystem::exists(GarbageCountsFileName(dir_.path())));
  ASSERT_TRUE(DestroyDB(dir_.path(), options_).ok());
  EXPECT_FALSE(std::filesystem::exists(GarbageCountsFileName(dir_.path())));
}

TEST_F(GarbageCountsDbTest, AutomaticGcCollectsGarbageCountedBeforeARestart) {
  Open();
  MakeGarbage();
  const uint64_t segments_before = [&] {
    std::string v;
    db_->GetProperty("jadedb.value-log-segments", &v);
    return std::stoull(v);
  }();
  options_.lsm.value_log_auto_gc = true;
  Open();
  // No new garbage after the restart: only the saved counts can trigger the run.
  std::string deleted = "0";
  for (int i = 0; i < 500 && deleted == "0"; i++) {
    db_->GetProperty("jadedb.value-log-gc-segments-deleted", &deleted);
    if (deleted == "0") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_NE(deleted, "0") << "segments before: " << segments_before;
}

TEST_F(GarbageCountsDbTest, DamagedOrMissingFileOpensWithCountingStartedOver) {
  Open();
  MakeGarbage();
  ASSERT_GT(GarbageBytes(), 0u);
  db_.reset();
  const std::string fname = GarbageCountsFileName(dir_.path());
  {
    std::fstream f(fname, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good());
    f.seekp(13);
    f.put('\x7f');
  }
  Open();
  EXPECT_EQ(GarbageBytes(), 0u);
  std::string v;
  ASSERT_TRUE(db_->Get(ReadOptions(), test::VlogKey(3), &v).ok());
  EXPECT_EQ(v, test::BigValue(3, 2));
  db_.reset();
  std::remove(fname.c_str());
  Open();
  EXPECT_EQ(GarbageBytes(), 0u);
}

}  // namespace
}  // namespace jadedb::lsm::vlog
