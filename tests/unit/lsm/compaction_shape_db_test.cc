// The compaction shape through the engine: an overwrite loop with dynamic level targets and
// min-overlap picking (a small L1 and small files) keeps the live table bytes near the data size,
// reads stay correct while background compactions replace files under them, and the data
// ends up mostly in the last level.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

constexpr int kKeys = 4000;
constexpr size_t kValueSize = 100;

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%012d", i);  // 15 bytes
  return buf;
}

// "<round>:<key>" padded to kValueSize, so a reader can tell which round wrote it.
std::string Value(int i, int round) {
  std::string v = std::to_string(round) + ":" + Key(i) + ":";
  v.resize(kValueSize, 'v');
  return v;
}

class CompactionShapeDbTest : public LsmFixture {
 protected:
  CompactionShapeDbTest() {
    options_.lsm.compression = Compression::kNone;
    options_.lsm.write_buffer_size = 64 << 10;
    options_.lsm.level0_file_num_compaction_trigger = 4;
    options_.lsm.max_bytes_for_level_base = 256 << 10;
    options_.lsm.target_file_size = 32 << 10;
    options_.lsm.max_background_jobs = 2;
    options_.lsm.level_compaction_dynamic_level_bytes = true;
    options_.lsm.compaction_pick_min_overlap = true;
  }

  // Live table bytes (the current version's files).
  uint64_t TableBytes() { return NumberProperty("jadedb.approximate-size"); }
};

TEST_F(CompactionShapeDbTest, OverwriteLoopKeepsSpaceBoundedAndReadsCorrect) {
  Open();
  constexpr int kRounds = 8;
  std::atomic<int> round_done{-1};  // the last round whose writes all returned
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0};
  std::string first_bad;
  std::thread reader([&] {
    std::mt19937 rng(7);
    while (!stop.load()) {
      // The round that finished before this read started bounds the value from below; the
      // round being written when it returned bounds it from above (read after the Get: a
      // reader paused between the two may see several rounds pass).
      const int low = round_done.load();
      const int i = static_cast<int>(rng() % kKeys);
      std::string v;
      Status s = db_->Get(ReadOptions(), Key(i), &v);
      const int high = round_done.load() + 1;
      bool ok = false;
      if (low < 0) {
        ok = s.ok() || s.IsNotFound();
      } else if (s.ok()) {
        const int round = std::stoi(v.substr(0, v.find(':')));
        ok = round >= low && round <= high && v == Value(i, round);
      }
      if (!ok && bad_reads.fetch_add(1) == 0) first_bad = Key(i) + " -> " + s.ToString() + " " + v;
    }
  });

  std::mt19937 rng(11);
  std::vector<int> order(kKeys);
  for (int i = 0; i < kKeys; i++) order[i] = i;
  for (int round = 0; round < kRounds; round++) {
    std::shuffle(order.begin(), order.end(), rng);  // random keys: every L0 file spans them all
    for (int i : order) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, round)).ok());
    round_done.store(round);
  }
  stop.store(true);
  reader.join();
  EXPECT_EQ(bad_reads.load(), 0) << first_bad;

  // Live data is about kKeys * (16 + 100 + per-entry overhead) = ~0.5 MiB. Once compaction
  // settles, stale versions may remain in fewer than trigger L0 files and in the levels above
  // the last, which target a tenth of it (at least one output file each).
  const uint64_t data = static_cast<uint64_t>(kKeys) * (16 + kValueSize + 16);
  const uint64_t bound = data * 3 / 2 + 3 * options_.lsm.write_buffer_size;
  // Settled: the deepest level holds more files than all levels above it together (L1
  // targets a tenth of the last level), and the live bytes are within the bound.
  auto last_level = [&] {
    int last = 0;
    for (int level = 1; level < 7; level++) {
      if (FilesAtLevel(level) > 0) last = level;
    }
    return last;
  };
  auto files_above = [&](int last) {
    int above = 0;
    for (int level = 0; level < last; level++) above += FilesAtLevel(level);
    return above;
  };
  auto settled = [&] {
    const int last = last_level();
    return last >= 1 && FilesAtLevel(last) > files_above(last) && TableBytes() <= bound;
  };
  for (int i = 0; i < 3000 && !settled(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const int last = last_level();
  ASSERT_GE(last, 1);
  EXPECT_GT(FilesAtLevel(last), files_above(last)) << Property("jadedb.stats");
  EXPECT_LE(TableBytes(), bound) << Property("jadedb.stats");

  // Every key reads its last value, point and scan, and again after a reopen.
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < kKeys; i++) ASSERT_EQ(Get(Key(i)), Value(i, kRounds - 1)) << i;
    auto it = db_->NewIterator(ReadOptions());
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
      ASSERT_EQ(it->key(), Key(n));
      ASSERT_EQ(it->value(), Value(n, kRounds - 1));
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_EQ(n, kKeys);
    it.reset();
    Open();
  }
}

TEST_F(CompactionShapeDbTest, ScansStayCorrectWhileCompactionsReplaceFiles) {
  Open();
  for (int i = 0; i < kKeys; i++) Put(Key(i), Value(i, 0));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937 rng(5);
    for (int round = 1; !stop.load() && round < 50; round++) {
      for (int j = 0; j < kKeys / 4; j++) {
        const int i = static_cast<int>(rng() % kKeys);
        if (!db_->Put(WriteOptions(), Key(i), Value(i, round)).ok()) return;
      }
    }
  });
  // Each iterator pins its version: whatever compactions install meanwhile, a scan sees every
  // key once, in order, with a value written for that key. Failures are collected, not
  // asserted, so the writer is always joined.
  std::string failure;
  for (int scan = 0; scan < 20 && failure.empty(); scan++) {
    auto it = db_->NewIterator(ReadOptions());
    int n = 0;
    for (it->SeekToFirst(); it->Valid() && failure.empty(); it->Next(), n++) {
      const std::string v(it->value());
      if (it->key() != Key(n) || v.size() != kValueSize ||
          v.find(":" + Key(n) + ":") == std::string::npos) {
        failure = "scan " + std::to_string(scan) + " entry " + std::to_string(n) + ": " +
                  std::string(it->key()) + "=" + v;
      }
    }
    if (failure.empty() && !it->status().ok()) failure = it->status().ToString();
    if (failure.empty() && n != kKeys) failure = "scan saw " + std::to_string(n) + " keys";
  }
  stop.store(true);
  writer.join();
  EXPECT_TRUE(failure.empty()) << failure;
}

}  // namespace
}  // namespace jadedb::lsm_test
