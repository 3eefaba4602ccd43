// Value separation (WiscKey) in the LSM engine: large values in the value log, pointers in the
// tree; value-log GC, including GC killed at each of its steps (fork + SIGKILL).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/env.h"
#include "lsm/lsm_db.h"
#include "lsm/lsm_db_impl.h"
#include "testutil/test_util.h"
#include "value_log_test_util.h"

namespace jadedb {
namespace {

namespace fs = std::filesystem;

std::string Big(int i, int version, size_t size = 5000) { return test::BigValue(i, version, size); }
std::string Key(int i) { return test::VlogKey(i); }

class ValueLogDBTest : public ::testing::Test {
 protected:
  ValueLogDBTest() {
    options_.create_if_missing = true;
    options_.lsm.value_threshold = 1000;
    options_.lsm.value_log_segment_size = 64 << 10;
    options_.lsm.write_buffer_size = 256 << 10;
    options_.lsm.target_file_size = 128 << 10;
    options_.lsm.max_bytes_for_level_base = 512 << 10;
  }
  // Opens the LSM engine directly, so tests reach LsmDB's GC hook.
  void Open() {
    std::unique_ptr<DB> db;
    Status s = lsm::OpenLsmDB(options_, dir_.path(), &db);
    ASSERT_TRUE(s.ok()) << s.ToString();
    db_ = std::move(db);
  }
  lsm::LsmDB* impl() { return static_cast<lsm::LsmDB*>(db_.get()); }
  void Close() { db_.reset(); }
  void Reopen() {
    Close();
    Open();
  }
  std::string Get(const std::string& key, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }
  std::vector<std::string> Files(const std::string& suffix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      std::string name = e.path().filename();
      if (name.ends_with(suffix)) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  uint64_t VlogBytes() {
    uint64_t total = 0;
    for (const auto& f : Files(".vlog")) total += fs::file_size(f);
    return total;
  }
  // Every key of `expected` reads back, by Get and by a full scan.
  void Verify(const std::map<std::string, std::string>& expected) {
    for (const auto& [k, v] : expected) ASSERT_EQ(Get(k), v) << k;
    auto it = db_->NewIterator(ReadOptions());
    auto e = expected.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++e) {
      ASSERT_NE(e, expected.end());
      ASSERT_EQ(it->key(), e->first);
      ASSERT_EQ(it->value(), e->second) << e->first;
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(e, expected.end());
  }
  // Writes n keys, `versions` times each (the last version wins).
  std::map<std::string, std::string> Fill(int n, int versions, size_t size = 5000) {
    std::map<std::string, std::string> expected;
    for (int v = 0; v < versions; v++) {
      for (int i = 0; i < n; i++) {
        EXPECT_TRUE(db_->Put(WriteOptions(), Key(i), Big(i, v, size)).ok());
        expected[Key(i)] = Big(i, v, size);
      }
    }
    return expected;
  }

  test::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(ValueLogDBTest, LargeValuesSeparatedSmallInline) {
  Open();
  std::map<std::string, std::string> expected;
  uint64_t large_bytes = 0;
  for (int i = 0; i < 50; i++) {
    const std::string v = i % 2 ? Big(i, 0) : std::string(100 + i, 's');
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), v).ok());
    expected[Key(i)] = v;
    if (i % 2) large_bytes += 12 + Key(i).size() + v.size();
  }
  // Exactly the large values are in the log (plus one 16-byte header per segment).
  const auto segments = Files(".vlog").size();
  ASSERT_GE(segments, 1u);
  EXPECT_EQ(VlogBytes(), large_bytes + 16 * segments);
  Verify(expected);
  // Reverse iteration and MultiGet resolve pointers too.
  auto it = db_->NewIterator(ReadOptions());
  auto e = expected.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++e) ASSERT_EQ(it->value(), e->second);
  const std::vector<std::string> key_strings = {Key(1), Key(2), "missing", Key(49)};
  const std::vector<std::string_view> keys(key_strings.begin(), key_strings.end());
  std::vector<std::string> values;
  auto st = db_->MultiGet(ReadOptions(), keys, &values);
  EXPECT_TRUE(st[0].ok() && st[1].ok() && st[2].IsNotFound() && st[3].ok());
  EXPECT_EQ(values[0], expected[Key(1)]);
  EXPECT_EQ(values[1], expected[Key(2)]);
  EXPECT_EQ(values[3], expected[Key(49)]);
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("jadedb.stats", &stats));
  EXPECT_NE(stats.find("value log:"), std::string::npos) << stats;
}

TEST_F(ValueLogDBTest, ThresholdZeroKeepsValuesInline) {
  options_.lsm.value_threshold = 0;
  Open();
  auto expected = Fill(20, 1);
  EXPECT_TRUE(Files(".vlog").empty());
  Verify(expected);
  // Switching separation on later: old inline values and new separated ones coexist.
  Close();
  options_.lsm.value_threshold = 1000;
  Open();
  for (int i = 0; i < 10; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Big(i, 1)).ok());
    expected[Key(i)] = Big(i, 1);
  }
  EXPECT_FALSE(Files(".vlog").empty());
  Verify(expected);
}

TEST_F(ValueLogDBTest, SurvivesFlushCompactionAndReopen) {
  Open();
  auto expected = Fill(300, 2);
  ASSERT_TRUE(db_->Delete(WriteOptions(), Key(7)).ok());
  expected.erase(Key(7));
  Verify(expected);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Verify(expected);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  Verify(expected);
  Reopen();
  Verify(expected);
  // Unflushed writes are replayed from the WAL with their pointers.
  for (int i = 0; i < 20; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Big(i, 9)).ok());
    expected[Key(i)] = Big(i, 9);
  }
  Reopen();
  Verify(expected);
}

TEST_F(ValueLogDBTest, SnapshotsSeeOldValues) {
  Open();
  auto expected = Fill(30, 1);
  const Snapshot* snap = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
  auto newer = Fill(30, 2);
  for (int i = 0; i < 30; i++) {
    EXPECT_EQ(Get(Key(i), snap), Big(i, 0));
    EXPECT_EQ(Get(Key(i)), Big(i, 1));
  }
  ReadOptions ro;
  ro.snapshot = snap;
  auto it = db_->NewIterator(ro);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) EXPECT_EQ(it->value(), Big(n, 0));
  EXPECT_EQ(n, 30);
  it.reset();
  db_->ReleaseSnapshot(snap);
}

TEST_F(ValueLogDBTest, GcReclaimsSpaceAndKeepsLiveValues) {
  Open();
  auto expected = Fill(100, 4);
  const uint64_t before = VlogBytes();
  const size_t files_before = Files(".vlog").size();
  for (int round = 0; round < 20; round++) ASSERT_TRUE(db_->CompactValueLog().ok());
  EXPECT_LT(VlogBytes(), before / 2) << "before " << before;
  EXPECT_LT(Files(".vlog").size(), files_before);
  Verify(expected);
  Reopen();
  Verify(expected);
  std::string stats;
  ASSERT_TRUE(db_->GetProperty("jadedb.stats", &stats));
  EXPECT_NE(stats.find("value-log GC:"), std::string::npos);
}

TEST_F(ValueLogDBTest, GcNothingToDoBelowRatio) {
  Open();
  auto expected = Fill(100, 1);
  const auto files = Files(".vlog");
  ASSERT_TRUE(db_->CompactValueLog().ok());
  EXPECT_EQ(Files(".vlog"), files);  // no garbage: nothing rewritten or deleted
  Verify(expected);
}

TEST_F(ValueLogDBTest, GcKeepsSegmentsASnapshotNeeds) {
  Open();
  Fill(60, 1);
  const Snapshot* snap = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
  auto expected = Fill(60, 3);
  const auto first_segment = Files(".vlog").front();
  for (int round = 0; round < 10; round++) ASSERT_TRUE(db_->CompactValueLog().ok());
  EXPECT_TRUE(fs::exists(first_segment));
  for (int i = 0; i < 60; i++) ASSERT_EQ(Get(Key(i), snap), Big(i, 0));
  Verify(expected);
  db_->ReleaseSnapshot(snap);
  ASSERT_TRUE(db_->CompactValueLog().ok());
  EXPECT_FALSE(fs::exists(first_segment));
  Verify(expected);
}

TEST_F(ValueLogDBTest, IteratorOpenAcrossGcReadsDeletedSegments) {
  Open();
  auto old_values = Fill(60, 1);
  auto it = db_->NewIterator(ReadOptions());
  auto expected = Fill(60, 3);
  const auto first_segment = Files(".vlog").front();
  for (int round = 0; round < 10; round++) ASSERT_TRUE(db_->CompactValueLog().ok());
  EXPECT_FALSE(fs::exists(first_segment));  // iterators do not hold segments on disk
  auto e = old_values.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++e) ASSERT_EQ(it->value(), e->second);
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(e, old_values.end());
  it.reset();
  Verify(expected);
}

TEST_F(ValueLogDBTest, GcVersusConcurrentWritersNewerWritesWin) {
  Open();
  Fill(80, 3);
  std::atomic<bool> stop{false};
  std::map<std::string, std::string> last;
  std::thread writer([&] {
    for (int v = 10; v < 16; v++) {
      for (int i = 0; i < 80; i++) {
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Big(i, v)).ok());
        last[Key(i)] = Big(i, v);
      }
    }
    stop = true;
  });
  std::thread reader([&] {
    while (!stop) {
      for (int i = 0; i < 80 && !stop; i += 7) {
        std::string v = Get(Key(i));
        ASSERT_EQ(v.rfind("v" + std::to_string(i) + "/", 0), 0u) << v.substr(0, 80);
      }
    }
  });
  while (!stop) ASSERT_TRUE(db_->CompactValueLog().ok());
  writer.join();
  reader.join();
  for (int round = 0; round < 5; round++) ASSERT_TRUE(db_->CompactValueLog().ok());
  Verify(last);
  Reopen();
  Verify(last);
}

TEST_F(ValueLogDBTest, TornValueLogTailDropsTheWholeBatch) {
  Open();
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", Big(1, 0)).ok());
  WriteBatch batch;
  batch.Put("b", Big(2, 0));
  batch.Put("small", "inline");
  ASSERT_TRUE(db_->Write(WriteOptions(), &batch).ok());
  Close();
  // A crash before the last value-log append reached the disk.
  const auto segment = Files(".vlog").back();
  fs::resize_file(segment, fs::file_size(segment) - 100);
  Open();
  EXPECT_EQ(Get("a"), Big(1, 0));
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Get("small"), "NOT_FOUND");  // same batch: atomic
  ASSERT_TRUE(db_->Put(WriteOptions(), "c", Big(3, 0)).ok());
  Reopen();
  EXPECT_EQ(Get("a"), Big(1, 0));
  EXPECT_EQ(Get("c"), Big(3, 0));
}

TEST_F(ValueLogDBTest, CorruptedValueIsCorruptionNamingFileAndOffset) {
  Open();
  ASSERT_TRUE(db_->Put(WriteOptions(), "a", Big(1, 0)).ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Close();
  const auto segment = Files(".vlog").back();
  {
    std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(16 + 12 + 1 + 100);
    f.put('#');
  }
  Open();
  const std::string got = Get("a");
  EXPECT_NE(got.find("Corruption"), std::string::npos) << got.substr(0, 100);
  EXPECT_NE(got.find(fs::path(segment).filename().string()), std::string::npos) << got;
  EXPECT_NE(got.find("offset 16"), std::string::npos) << got;
  auto it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  if (it->Valid()) (void)it->value();
  EXPECT_TRUE(it->status().IsCorruption());
}

// GC killed (SIGKILL) at each of its steps, in a child process; the parent reopens the DB and
// checks every key, then lets a GC finish.
class ValueLogCrashTest : public ValueLogDBTest,
                          public ::testing::WithParamInterface<const char*> {};

TEST_P(ValueLogCrashTest, KilledGcLosesNothing) {
  Open();
  auto expected = Fill(100, 3);
  const uint64_t before = VlogBytes();
  Close();
  const std::string point = GetParam();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Options options = options_;
    options.lsm.value_log_auto_gc = false;  // only the manual runs below reach the point
    std::unique_ptr<DB> db;
    if (!lsm::OpenLsmDB(options, dir_.path(), &db).ok()) _exit(3);
    static_cast<lsm::LsmDB*>(db.get())->SetValueLogGcHookForTesting([&](std::string_view step) {
      if (step == point) raise(SIGKILL);
    });
    for (int i = 0; i < 20; i++) db->CompactValueLog();
    _exit(2);  // the point was never reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  Open();
  Verify(expected);
  for (int i = 0; i < 20; i++) ASSERT_TRUE(db_->CompactValueLog().ok());
  Verify(expected);
  EXPECT_LT(VlogBytes(), before / 2);
  Reopen();
  Verify(expected);
}

// The same for automatic GC: the parent leaves overwritten values in the tree uncompacted;
// the child's CompactRange drops them, which schedules an automatic run, killed at the step.
TEST_P(ValueLogCrashTest, KilledAutomaticGcLosesNothing) {
  options_.lsm.value_log_auto_gc = false;
  Open();
  // Two overlapping level-0 tables, so the compaction merges (a single table would move).
  Fill(100, 1);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  auto expected = Fill(100, 3);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  const uint64_t before = VlogBytes();
  Close();
  const std::string point = GetParam();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Options options = options_;
    options.lsm.value_log_auto_gc = true;
    std::unique_ptr<DB> db;
    if (!lsm::OpenLsmDB(options, dir_.path(), &db).ok()) _exit(3);
    static_cast<lsm::LsmDB*>(db.get())->SetValueLogGcHookForTesting([&](std::string_view step) {
      if (step == point) raise(SIGKILL);
    });
    if (!db->CompactRange(nullptr, nullptr).ok()) _exit(4);
    // Bounded wait for the background run to reach the point.
    for (int i = 0; i < 6000; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    _exit(2);  // the point was never reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  Open();
  Verify(expected);
  for (int i = 0; i < 20; i++) ASSERT_TRUE(db_->CompactValueLog().ok());
  Verify(expected);
  EXPECT_LT(VlogBytes(), before / 2);
  Reopen();
  Verify(expected);
}

INSTANTIATE_TEST_SUITE_P(Steps, ValueLogCrashTest,
                         ::testing::Values("gc:before_rewrite", "gc:mid_rewrite",
                                           "gc:after_rewrite", "gc:before_delete",
                                           "gc:after_delete"));

}  // namespace
}  // namespace jadedb

namespace jadedb {
namespace {

// Not a test: a measurement (fill16k-like: 16 KiB values, random order, fresh DB, default
// options but the threshold), printed for comparison. Run with
//   lsm_test --gtest_also_run_disabled_tests --gtest_filter='*BenchFill16k*'
// JADEDB_BENCH_N sets the number of values (default 20000 = fill16k at its default size).
TEST(ValueLogBench, DISABLED_BenchFill16k) {
  const char* env_n = std::getenv("JADEDB_BENCH_N");
  const int n = env_n != nullptr ? std::atoi(env_n) : 20000;
  std::vector<int> order(n);
  for (int i = 0; i < n; i++) order[i] = i;
  Random rnd(301);
  for (int i = n - 1; i > 0; i--) std::swap(order[i], order[rnd.Uniform(i + 1)]);
  // Half compressible, like jadedb-bench's values.
  std::string value = test::RandomPrintable(&rnd, 8192) + std::string(8192, 'x');
  for (size_t threshold : {size_t{0}, size_t{4096}}) {
    test::TempDir dir;
    Options options;
    options.create_if_missing = true;
    options.lsm.value_threshold = threshold;
    std::unique_ptr<DB> db;
    ASSERT_TRUE(DB::Open(options, dir.path(), &db).ok());
    const uint64_t start = Env::Default()->NowMicros();
    for (int i = 0; i < n; i++) {
      char key[17];
      std::snprintf(key, sizeof(key), "%016d", order[i]);
      value[i % 8192] = static_cast<char>('a' + i % 26);
      ASSERT_TRUE(db->Put(WriteOptions(), key, value).ok());
    }
    const double secs = (Env::Default()->NowMicros() - start) / 1e6;
    std::string stats;
    db->GetProperty("jadedb.stats", &stats);
    std::printf("value_threshold=%zu: %d puts of 16 KiB in %.2f s = %.0f ops/s\n%s\n", threshold, n,
                secs, n / secs, stats.c_str());
  }
}

}  // namespace
}  // namespace jadedb
