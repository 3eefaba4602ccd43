// Read-triggered ("seek") compaction through the engine (LsmOptions::read_triggered_compaction):
// reads that pay for level-0 files below the size trigger compact them away; filter-negative
// probes are free and do not; Seeks charge only level-0 files; nothing happens with the
// option off; results stay correct throughout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

constexpr int kKeys = 2000;
constexpr int kRounds = 4;  // round 0 is compacted into L1; rounds 1..3 stay as L0 files

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

std::string Value(int i, int round) {
  std::string v = "r" + std::to_string(round) + "-" + Key(i) + "-";
  v.resize(100, 'v');
  return v;
}

// The round whose write of key i is the newest (see Build).
int NewestRound(int i) { return (i == 0 || i == kKeys - 1) ? kRounds - 1 : i % kRounds; }

class ReadCompactionTest : public LsmFixture {
 protected:
  ReadCompactionTest() {
    options_.lsm.compression = Compression::kNone;
    options_.lsm.write_buffer_size = 4 << 20;  // no flush but ours
    options_.lsm.level0_file_num_compaction_trigger = 4;
  }

  // Round r writes the keys i with i % kRounds == r, plus the first and last key, so every
  // table spans the whole key range and each key's newest version is in exactly one table.
  // Round 0 is compacted into L1; each later round is flushed to an L0 file: three of them,
  // below the size trigger of 4.
  void Build() {
    Open();
    for (int r = 0; r < kRounds; r++) {
      for (int i = 0; i < kKeys; i++) {
        if (i % kRounds == r || i == 0 || i == kKeys - 1) Put(Key(i), Value(i, r));
      }
      if (r == 0) {
        ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
      } else {
        FlushMem();
      }
    }
  }

  // Polls until pred holds or about timeout_ms passed.
  bool WaitFor(const std::function<bool()>& pred, int timeout_ms = 10000) {
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  // Gets `count` keys whose newest version is in the oldest table (round 0, in L1): each
  // lookup passes through every L0 file first.
  void GetOldKeys(int count) {
    for (int n = 0; n < count; n++) {
      const int i = kRounds * (1 + n % (kKeys / kRounds - 1));
      ASSERT_EQ(Get(Key(i)), Value(i, 0)) << i;
    }
  }

  void ExpectAllValues() {
    for (int i = 0; i < kKeys; i++) ASSERT_EQ(Get(Key(i)), Value(i, NewestRound(i))) << i;
    auto it = db_->NewIterator(ReadOptions());
    int i = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
      ASSERT_EQ(it->key(), Key(i));
      ASSERT_EQ(it->value(), Value(i, NewestRound(i)));
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    ASSERT_EQ(i, kKeys);
  }

  // Seeks to `count` keys with a fresh iterator each, checking the entries found (when
  // check: the DB holds every round).
  void SeekKeys(int count, bool check = true) {
    for (int n = 0; n < count; n++) {
      const int i = (n * 7919) % (kKeys - 3);
      auto it = db_->NewIterator(ReadOptions());
      it->Seek(Key(i));
      ASSERT_TRUE(it->Valid()) << i;
      for (int j = 0; check && j < 3; j++, it->Next()) {
        ASSERT_TRUE(it->Valid()) << i;
        ASSERT_EQ(it->key(), Key(i + j));
        ASSERT_EQ(it->value(), Value(i + j, NewestRound(i + j)));
      }
    }
  }
};

TEST_F(ReadCompactionTest, WastedGetsCompactLevel0) {
  options_.lsm.bloom_bits_per_key = 0;  // no filter: every L0 file's data block is read
  Build();
  ASSERT_EQ(FilesAtLevel(0), 3);
  ASSERT_EQ(FilesAtLevel(1), 1);
  // A small table's budget is 100 wasted reads; each Get wastes reads in all L0 files.
  GetOldKeys(150);
  EXPECT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0; })) << "L0 files: " << FilesAtLevel(0);
  ExpectAllValues();
}

TEST_F(ReadCompactionTest, OptionOffNeverCompactsOnReads) {
  options_.lsm.bloom_bits_per_key = 0;
  options_.lsm.read_triggered_compaction = false;
  Build();
  ASSERT_EQ(FilesAtLevel(0), 3);
  GetOldKeys(1000);
  SeekKeys(1000);
  for (int scan = 0; scan < 200; scan++) {
    auto it = db_->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(FilesAtLevel(0), 3);
  EXPECT_EQ(FilesAtLevel(1), 1);
  ExpectAllValues();
}

// With bloom filters, a key absent from the L0 files is ruled out by their filters: no data
// block read, no charge. Only false positives (~1% per file) charge, far below the budget of
// 100 in 400 Gets (charging every consulted file would take 400).
TEST_F(ReadCompactionTest, FilterNegativeProbesDoNotCharge) {
  options_.lsm.bloom_bits_per_key = 10;
  Build();
  ASSERT_EQ(FilesAtLevel(0), 3);
  GetOldKeys(400);
  // Absent keys between the present ones: L0, L1 and L2 filters all say no.
  for (int n = 0; n < 400; n++) ASSERT_EQ(Get(Key(n) + "x"), "NOT_FOUND");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(FilesAtLevel(0), 3);
  ExpectAllValues();
}

TEST_F(ReadCompactionTest, SeeksCompactLevel0) {
  Build();  // filters on: Gets would not charge, Seeks do
  ASSERT_EQ(FilesAtLevel(0), 3);
  SeekKeys(3000);  // ~3000 reads charged in expectation (sampled), budget 100
  EXPECT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0; })) << "L0 files: " << FilesAtLevel(0);
  ExpectAllValues();
}

// One iterator reused for every Seek reads the Version it was created on; the file it
// exhausts is still marked on the current Version, so the compaction happens anyway.
TEST_F(ReadCompactionTest, ReusedIteratorSeeksCompactLevel0) {
  Build();
  ASSERT_EQ(FilesAtLevel(0), 3);
  {
    auto it = db_->NewIterator(ReadOptions());
    for (int n = 0; n < 3000; n++) {
      const int i = (n * 7919) % kKeys;
      it->Seek(Key(i));
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(it->value(), Value(i, NewestRound(i)));
    }
    EXPECT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0; })) << "L0 files: " << FilesAtLevel(0);
    // The old Version (and its files) stays readable while the iterator lives.
    it->Seek(Key(kRounds));
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->value(), Value(kRounds, 0));
  }
  ExpectAllValues();
}

// A Seek costs a cursor positioning in every sorted run; compacting an L1 file into L2
// would not remove L1's run, so Seeks never charge files below L0 (LevelDB's rule for read
// samples would charge the L1 file here: two files hold every key).
TEST_F(ReadCompactionTest, SeeksDoNotChargeDeeperLevels) {
  // Every flush is compacted into L1 at once, and L1's target is below one round's table:
  // a full round moves on to a deeper level, a small one stays in L1.
  options_.lsm.level0_file_num_compaction_trigger = 1;
  options_.lsm.max_bytes_for_level_base = 16 << 10;
  Open();
  for (int i = 0; i < kKeys; i++) Put(Key(i), Value(i, 0));
  FlushMem();
  ASSERT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0 && FilesAtLevel(1) == 0; }));
  // A small table spanning the key range.
  for (int i = 0; i < kKeys; i += kKeys / 10) Put(Key(i), Value(i, 1));
  Put(Key(kKeys - 1), Value(kKeys - 1, 1));
  FlushMem();
  ASSERT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0 && FilesAtLevel(1) == 1; }));
  const std::string shape = Property("jadedb.levels");
  SeekKeys(3000, /*check=*/false);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(FilesAtLevel(1), 1);
  EXPECT_EQ(Property("jadedb.levels"), shape);
}

// Long scans sample about one key per MiB read (no Seek at all here: SeekToFirst is not
// sampled as a Seek); ~120 MiB of scanning exhausts a 100-read budget.
TEST_F(ReadCompactionTest, ScannedBytesCompactLevel0) {
  Build();
  ASSERT_EQ(FilesAtLevel(0), 3);
  uint64_t bytes = 0;
  for (int scan = 0; scan < 2000 && FilesAtLevel(0) > 0 && bytes < (400ull << 20); scan++) {
    auto it = db_->NewIterator(ReadOptions());
    for (it->SeekToFirst(); it->Valid(); it->Next()) bytes += it->key().size() + it->value().size();
  }
  EXPECT_TRUE(WaitFor([&] { return FilesAtLevel(0) == 0; }))
      << "L0 files: " << FilesAtLevel(0) << " after " << (bytes >> 20) << " MiB scanned";
  ExpectAllValues();
}

// Readers charging budgets (Gets without filters, Seeks) from several threads while a writer
// flushes new L0 files: read-triggered compactions run under them, marks move between
// Versions, and every read still sees a value some round wrote for that key.
TEST_F(ReadCompactionTest, ConcurrentReadersAndFlushes) {
  options_.lsm.bloom_bits_per_key = 0;
  Build();
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  auto valid = [](int i, std::string_view v) {
    return v.size() == 100 && v.substr(0, 1) == "r" &&
           v.find("-" + Key(i) + "-") != std::string::npos;
  };
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; t++) {
    readers.emplace_back([&, t] {
      for (int n = t; !stop.load(); n += 3) {
        // 64-bit: the readers run long enough for n * 7919 to overflow an int.
        const int i = static_cast<int>(static_cast<uint64_t>(n) * 7919 % kKeys);
        if (n % 2 == 0) {
          std::string v;
          Status s = db_->Get(ReadOptions(), Key(i), &v);
          if (!s.ok() || !valid(i, v)) bad++;
        } else {
          auto it = db_->NewIterator(ReadOptions());
          it->Seek(Key(i));
          if (!it->Valid() || it->key() != Key(i) || !valid(i, it->value())) bad++;
        }
      }
    });
  }
  for (int round = kRounds; round < kRounds + 12; round++) {
    for (int i = round % 7; i < kKeys; i += 7) Put(Key(i), Value(i, round));
    FlushMem();
  }
  stop = true;
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace jadedb::lsm_test
