#include "lsm/memtable/skiplist.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "util/arena.h"
#include "util/coding.h"
#include "util/random.h"

namespace jadedb::lsm {
namespace {

using Key = uint64_t;

struct TestComparator {
  int operator()(const Key& a, const Key& b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};

using List = SkipList<Key, TestComparator>;

TEST(SkipListTest, Empty) {
  Arena arena;
  List list(TestComparator(), &arena);
  EXPECT_FALSE(list.Contains(10));
  List::Iterator iter(&list);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(100);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipListTest, InsertLookupAndIterateAgainstStdSet) {
  constexpr int kN = 2000;
  constexpr Key kRange = 5000;
  Random rnd(1000);
  Arena arena;
  List list(TestComparator(), &arena);
  std::set<Key> model;
  for (int i = 0; i < kN; i++) {
    Key k = rnd.Uniform(kRange);
    if (model.insert(k).second) list.Insert(k);
  }

  for (Key k = 0; k < kRange; k++) EXPECT_EQ(list.Contains(k), model.count(k) == 1) << k;

  // Forward over everything.
  {
    List::Iterator iter(&list);
    iter.SeekToFirst();
    for (Key k : model) {
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), k);
      iter.Next();
    }
    EXPECT_FALSE(iter.Valid());
  }
  // Backward over everything.
  {
    List::Iterator iter(&list);
    iter.SeekToLast();
    for (auto it = model.rbegin(); it != model.rend(); ++it) {
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), *it);
      iter.Prev();
    }
    EXPECT_FALSE(iter.Valid());
  }
  // Seek to every position, then step a few entries each way.
  for (Key target = 0; target < kRange + 2; target++) {
    List::Iterator iter(&list);
    iter.Seek(target);
    auto it = model.lower_bound(target);
    if (it == model.end()) {
      EXPECT_FALSE(iter.Valid());
      continue;
    }
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(iter.key(), *it);
    auto fwd = it;
    List::Iterator f = iter;
    for (int j = 0; j < 3 && fwd != model.end(); j++, ++fwd) {
      ASSERT_TRUE(f.Valid());
      EXPECT_EQ(f.key(), *fwd);
      f.Next();
    }
    List::Iterator b = iter;
    auto back = it;
    for (int j = 0; j < 3; j++) {
      if (back == model.begin()) {
        b.Prev();
        EXPECT_FALSE(b.Valid());
        break;
      }
      --back;
      b.Prev();
      ASSERT_TRUE(b.Valid());
      EXPECT_EQ(b.key(), *back);
    }
  }
}

TEST(SkipListTest, SequentialAndReverseInsertionOrders) {
  for (bool reverse : {false, true}) {
    Arena arena;
    List list(TestComparator(), &arena);
    constexpr Key kN = 10000;
    for (Key i = 0; i < kN; i++) list.Insert(reverse ? kN - 1 - i : i);
    List::Iterator iter(&list);
    Key expected = 0;
    for (iter.SeekToFirst(); iter.Valid(); iter.Next()) EXPECT_EQ(iter.key(), expected++);
    EXPECT_EQ(expected, kN);
  }
}

// Keys that live in the memory AllocateBehindNextNode hands out (as memtable entries do): the
// list orders them, and each key's bytes stay intact behind its node.
TEST(SkipListTest, KeysStoredBehindTheirNodes) {
  struct DerefComparator {
    int operator()(const char* a, const char* b) const {
      if (a == nullptr || b == nullptr) return a == b ? 0 : (a == nullptr ? -1 : 1);
      const uint64_t x = DecodeFixed64(a);
      const uint64_t y = DecodeFixed64(b);
      return x < y ? -1 : (x > y ? 1 : 0);
    }
  };
  Arena arena;
  SkipList<const char*, DerefComparator> list(DerefComparator(), &arena);
  Random rnd(5);
  std::set<uint64_t> model;
  std::vector<const char*> stored;
  for (int i = 0; i < 3000; i++) {
    const uint64_t k = rnd.Uniform(100000);
    if (!model.insert(k).second) continue;
    // Odd sizes, so consecutive allocations exercise the alignment of the next node.
    const size_t extra = 9 + rnd.Uniform(9);
    char* buf = list.AllocateBehindNextNode(extra);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(buf) % alignof(void*), 0u);
    EncodeFixed64(buf, k);
    std::memset(buf + 8, static_cast<int>(k & 0x7f), extra - 8);
    list.Insert(buf);
    stored.push_back(buf);
  }
  SkipList<const char*, DerefComparator>::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(DecodeFixed64(iter.key()), k);
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());
  for (const char* p : stored) {
    EXPECT_TRUE(list.Contains(p));
    EXPECT_EQ(p[8], static_cast<char>(DecodeFixed64(p) & 0x7f));  // not overwritten by a node
  }
}

// One writer inserts a random permutation while readers scan. Every scan must be strictly
// ordered, must contain every key whose insertion finished before the scan began, and must
// contain every key this reader ever saw before (entries never disappear).
TEST(SkipListTest, ConcurrentReadersSeeOrderedMonotonicContents) {
  constexpr Key kN = 20000;
  constexpr int kReaders = 3;
  std::vector<Key> perm(kN);
  for (Key i = 0; i < kN; i++) perm[i] = i * 7 + 3;  // spaced, so lookups can miss
  Random rnd(77);
  for (size_t i = kN - 1; i > 0; i--) std::swap(perm[i], perm[rnd.Uniform(i + 1)]);
  std::vector<size_t> index_of(kN * 7 + 3);
  for (size_t i = 0; i < kN; i++) index_of[perm[i]] = i;

  Arena arena;
  List list(TestComparator(), &arena);
  std::atomic<size_t> published{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};

  auto reader = [&](int id) {
    Random r(id + 1);
    std::vector<char> ever_seen(kN, 0);
    int scans = 0;
    while (!done.load(std::memory_order_acquire) || scans < 2) {
      const size_t p = published.load(std::memory_order_acquire);
      std::vector<char> seen(kN, 0);
      size_t seen_published = 0;
      Key prev = 0;
      bool first = true;
      List::Iterator iter(&list);
      const bool backward = (scans % 2) == 1;
      if (backward) {
        iter.SeekToLast();
      } else {
        iter.SeekToFirst();
      }
      for (; iter.Valid(); backward ? iter.Prev() : iter.Next()) {
        const Key k = iter.key();
        if (!first && (backward ? k >= prev : k <= prev)) failures++;
        if ((k - 3) % 7 != 0 || k >= kN * 7 + 3) {
          failures++;
          continue;
        }
        first = false;
        prev = k;
        const size_t idx = index_of[k];
        seen[idx] = 1;
        if (idx < p) seen_published++;
      }
      if (seen_published != p) failures++;
      for (size_t i = 0; i < kN; i++) {
        if (ever_seen[i] && !seen[i]) failures++;  // an entry vanished
        ever_seen[i] = static_cast<char>(ever_seen[i] | seen[i]);
      }
      // Everything published must be found by point lookups too.
      for (int j = 0; j < 100 && p > 0; j++) {
        if (!list.Contains(perm[r.Uniform(p)])) failures++;
      }
      if (list.Contains(kN * 7 + 100)) failures++;
      scans++;
    }
  };
  // The number of entries successive scans see never decreases.
  auto counter = [&]() {
    size_t last = 0;
    while (!done.load(std::memory_order_acquire)) {
      size_t n = 0;
      List::Iterator iter(&list);
      for (iter.SeekToFirst(); iter.Valid(); iter.Next()) n++;
      if (n < last) failures++;
      last = n;
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; i++) threads.emplace_back(reader, i);
  threads.emplace_back(counter);
  for (size_t i = 0; i < kN; i++) {
    list.Insert(perm[i]);
    published.store(i + 1, std::memory_order_release);
    if (i % 64 == 0) std::this_thread::yield();  // let the readers interleave
  }
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  List::Iterator iter(&list);
  size_t n = 0;
  for (iter.SeekToFirst(); iter.Valid(); iter.Next()) n++;
  EXPECT_EQ(n, kN);
}

}  // namespace
}  // namespace jadedb::lsm
