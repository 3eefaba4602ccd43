// Reads that run while flushes and compactions replace the read sources (the SuperVersion):
// Gets, snapshot Gets, MultiGets and iterators are checked against what the writer has
// published, so a read that loses a memtable, sees a half-installed state or uses freed
// sources fails here (and under ThreadSanitizer/AddressSanitizer, crashes or reports).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

constexpr int kKeys = 300;

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%05d", i);
  return buf;
}

// "<round>/<key>/" padded: a reader can tell which round wrote it and that it is this key's.
std::string Value(int round, int i) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%08d/%s/", round, Key(i).c_str());
  return std::string(buf) + std::string(80, 'v');
}

// The round of a value of key i, or -1 when the value is not one of key i's.
int RoundOf(std::string_view v, int i) {
  if (v.size() < 9 || v[8] != '/') return -1;
  const std::string want = "/" + Key(i) + "/";
  if (v.substr(8, want.size()) != want) return -1;
  return std::stoi(std::string(v.substr(0, 8)));
}

// Round r rewrites every key in key order; every kDeleteEvery-th round first deletes them all
// with one DeleteRange. So any consistent view (one sequence) shows keys [0, k) at some round
// r and keys [k, kKeys) at round r - 1, or missing when r is a delete round.
constexpr int kDeleteEvery = 4;
bool IsDeleteRound(int r) { return r % kDeleteEvery == 0; }

class SuperVersionTest : public LsmFixture {
 protected:
  SuperVersionTest() {
    // Small memtables, tables and levels: a flush every round or two, compactions often.
    options_.lsm.write_buffer_size = 16 << 10;
    options_.lsm.target_file_size = 16 << 10;
    options_.lsm.max_bytes_for_level_base = 64 << 10;
    options_.lsm.level0_file_num_compaction_trigger = 2;
    options_.lsm.level0_slowdown_writes_trigger = 8;
    options_.lsm.level0_stop_writes_trigger = 12;
    options_.lsm.block_size = 512;
    options_.lsm.max_background_jobs = 2;
  }

  void WriteRound(int r) {
    if (IsDeleteRound(r)) {
      delete_round_started_.store(r);
      ASSERT_TRUE(db_->DeleteRange(WriteOptions(), Key(0), Key(kKeys)).ok());
    }
    for (int i = 0; i < kKeys; i++) Put(Key(i), Value(r, i));
    completed_round_.store(r);
  }

  // Checks one consistent view taken after round min_round completed: rounds[i] is key i's
  // round, -2 when missing.
  std::string CheckView(const std::vector<int>& rounds, int min_round) {
    int top = -2;
    for (int r : rounds) top = std::max(top, r);
    if (top == -2) {
      // Nothing visible: only right after the DeleteRange of a later delete round.
      return delete_round_started_.load() > min_round ? "" : "all keys missing";
    }
    if (top < min_round) return "round " + std::to_string(top) + " < " + std::to_string(min_round);
    size_t k = 0;
    while (k < rounds.size() && rounds[k] == top) k++;
    for (size_t i = k; i < rounds.size(); i++) {
      const int want = IsDeleteRound(top) ? -2 : top - 1;
      if (rounds[i] != want) {
        return "key " + std::to_string(i) + " at round " + std::to_string(rounds[i]) +
               " after keys at round " + std::to_string(top);
      }
    }
    return "";
  }

  std::atomic<int> completed_round_{0};
  std::atomic<int> delete_round_started_{-1};
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::string first_failure_;
  std::mutex failure_mu_;

  void Fail(const std::string& why) {
    std::lock_guard<std::mutex> l(failure_mu_);
    if (failures_++ == 0) first_failure_ = why;
  }
};

TEST_F(SuperVersionTest, ReadsStayConsistentWhileFlushesAndCompactionsInstall) {
  Open();
  WriteRound(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::thread writer([&] {
    for (int r = 2; r < 400 && std::chrono::steady_clock::now() < deadline; r++) WriteRound(r);
    stop_.store(true);
  });

  // Point reads: never older than the last completed round, always this key's value, and
  // missing only once a delete round began after that round.
  auto getter = [&](int seed) {
    uint32_t n = static_cast<uint32_t>(seed);
    while (!stop_.load()) {
      n = n * 1103515245u + 12345u;
      const int key = static_cast<int>((n >> 8) % kKeys);
      const int min_round = completed_round_.load();
      std::string v;
      Status s = db_->Get(ReadOptions(), Key(key), &v);
      if (s.IsNotFound()) {
        if (delete_round_started_.load() <= min_round) Fail("Get " + Key(key) + ": not found");
      } else if (!s.ok()) {
        Fail("Get: " + s.ToString());
      } else if (RoundOf(v, key) < min_round) {
        Fail("Get " + Key(key) + ": stale or foreign value " + v.substr(0, 20) + " < round " +
             std::to_string(min_round));
      }
    }
  };

  // Iterators and snapshot MultiGets see one consistent state; a snapshot read twice (with
  // flushes and compactions in between) gives the same answer.
  auto scanner = [&] {
    while (!stop_.load()) {
      const int min_round = completed_round_.load();
      std::vector<int> rounds(kKeys, -2);
      {
        auto it = db_->NewIterator(ReadOptions());
        int expect_next = 0;
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
          const std::string k(it->key());
          int i = -1;
          while (expect_next < kKeys && Key(expect_next) != k) expect_next++;
          if (expect_next < kKeys) i = expect_next;
          if (i < 0) {
            Fail("iterator: unexpected key " + k);
            break;
          }
          rounds[i] = RoundOf(it->value(), i);
        }
        if (!it->status().ok()) Fail("iterator: " + it->status().ToString());
      }
      std::string why = CheckView(rounds, min_round);
      if (!why.empty()) Fail("iterator view: " + why);

      const Snapshot* snap = nullptr;
      ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
      ReadOptions ro;
      ro.snapshot = snap;
      std::vector<std::string> owned;
      for (int i = 0; i < kKeys; i++) owned.push_back(Key(i));
      std::vector<std::string_view> keys(owned.begin(), owned.end());
      std::vector<int> first(kKeys, -2);
      for (int pass = 0; pass < 2; pass++) {
        std::vector<std::string> values;
        std::vector<Status> st = db_->MultiGet(ro, keys, &values);
        std::vector<int> got(kKeys, -2);
        for (int i = 0; i < kKeys; i++) {
          if (st[i].ok()) {
            got[i] = RoundOf(values[i], i);
          } else if (!st[i].IsNotFound()) {
            Fail("MultiGet: " + st[i].ToString());
          }
        }
        if (pass == 0) {
          first = got;
          why = CheckView(got, min_round);
          if (!why.empty()) Fail("snapshot view: " + why);
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        } else if (got != first) {
          Fail("snapshot view changed between two reads");
        }
      }
      db_->ReleaseSnapshot(snap);
    }
  };

  std::vector<std::thread> readers;
  readers.emplace_back(getter, 1);
  readers.emplace_back(getter, 2);
  readers.emplace_back(scanner);
  readers.emplace_back(scanner);
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(0, failures_.load()) << first_failure_;
  // The workload did replace the sources many times.
  EXPECT_GT(NumberProperty("jadedb.num-files-at-level0") + FilesAtLevel(1) + FilesAtLevel(2), 0u);
  EXPECT_GT(completed_round_.load(), 5);
}

// More reader threads than SuperVersion slots: threads share slots, and one that finds its
// slot borrowed takes the slow path. Every read must still see the latest completed round.
TEST_F(SuperVersionTest, MoreReadersThanSlots) {
  Open();
  WriteRound(1);
  std::atomic<int> ready{0};
  constexpr int kReaders = 40;
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; t++) {
    readers.emplace_back([&, t] {
      ready++;
      while (ready.load() < kReaders) std::this_thread::yield();
      for (int n = 0; n < 200 && !stop_.load(); n++) {
        const int key = (t * 7 + n) % kKeys;
        const int min_round = completed_round_.load();
        std::string v;
        Status s = db_->Get(ReadOptions(), Key(key), &v);
        if (s.IsNotFound()) {
          if (delete_round_started_.load() <= min_round) Fail("not found " + Key(key));
        } else if (!s.ok() || RoundOf(v, key) < min_round) {
          Fail("Get " + Key(key) + ": " + s.ToString() + " " + v.substr(0, 20));
        }
        if (n % 50 == 0) {
          auto it = db_->NewIterator(ReadOptions());
          it->SeekToFirst();
          if (!it->Valid() && delete_round_started_.load() <= min_round) Fail("empty iterator");
        }
      }
    });
  }
  for (int r = 2; r < 12; r++) WriteRound(r);
  stop_.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(0, failures_.load()) << first_failure_;
}

// An iterator keeps its sources after the DB moved on: flushed and compacted memtables and
// tables it still reads stay alive until it is destroyed.
TEST_F(SuperVersionTest, IteratorOutlivesManyInstalls) {
  Open();
  WriteRound(1);
  auto it = db_->NewIterator(ReadOptions());
  for (int r = 2; r < 30; r++) WriteRound(r);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  std::vector<int> rounds(kKeys, -2);
  int i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_LT(i, kKeys);
    ASSERT_EQ(Key(i), it->key());
    rounds[i] = RoundOf(it->value(), i);
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(std::vector<int>(kKeys, 1), rounds);
  it.reset();
  for (int k = 0; k < kKeys; k++) ASSERT_EQ(Value(29, k), Get(Key(k)));
}

// The tables' range tombstones are cached per SuperVersion by the first unbounded iterator;
// later iterators, older snapshots and bounded iterators must still apply exactly the
// tombstones visible at their own sequence.
TEST_F(SuperVersionTest, CachedTableTombstonesFollowEachIteratorsSequence) {
  Open();
  for (int i = 0; i < 10; i++) Put(Key(i), "v" + std::to_string(i));
  FlushMem();
  const Snapshot* before = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&before).ok());
  ASSERT_TRUE(db_->DeleteRange(WriteOptions(), Key(2), Key(8)).ok());
  FlushMem();  // the tombstone is in a table now, the memtable is empty
  const std::string after = Key(0) + "=v0 " + Key(1) + "=v1 " + Key(8) + "=v8 " + Key(9) + "=v9";
  EXPECT_EQ(after, Scan());  // loads the cache
  EXPECT_EQ(after, Scan());  // uses it
  ReadOptions old_ro;
  old_ro.snapshot = before;
  std::string all;
  for (int i = 0; i < 10; i++) {
    all += (all.empty() ? "" : " ") + Key(i) + "=v" + std::to_string(i);
  }
  EXPECT_EQ(all, Scan(old_ro));
  ReadOptions bounded;
  bounded.lower_bound = Key(1);
  bounded.upper_bound = Key(9);
  EXPECT_EQ(Key(1) + "=v1 " + Key(8) + "=v8", Scan(bounded));
  // A new SuperVersion (after another flush) loads the tables' tombstones afresh.
  Put(Key(5), "again");
  FlushMem();
  EXPECT_EQ(
      Key(0) + "=v0 " + Key(1) + "=v1 " + Key(5) + "=again " + Key(8) + "=v8 " + Key(9) + "=v9",
      Scan());
  EXPECT_EQ("NOT_FOUND", Get(Key(4)));
  EXPECT_EQ("v4", Get(Key(4), before));
  db_->ReleaseSnapshot(before);
}

}  // namespace
}  // namespace jadedb::lsm_test
