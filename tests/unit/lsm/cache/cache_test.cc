#include "lsm/cache/cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "util/coding.h"

namespace jadedb::lsm {
namespace {

std::string Key(int k) {
  std::string s;
  PutFixed32(&s, static_cast<uint32_t>(k));
  return s;
}

// Values are ints boxed in heap memory; deletions are recorded so tests can check when (and
// that exactly once) an entry is freed.
class CacheTest : public ::testing::Test {
 protected:
  static CacheTest* current_;

  static void Deleter(std::string_view key, void* v) {
    current_->deleted_keys_.push_back(static_cast<int>(DecodeFixed32(key.data())));
    current_->deleted_values_.push_back(*static_cast<int*>(v));
    delete static_cast<int*>(v);
  }

  void SetUp() override { current_ = this; }

  // Single shard so LRU order is global and predictable.
  void Reset(size_t capacity, int shard_bits = 0) { cache_ = NewLRUCache(capacity, shard_bits); }

  int Lookup(int key) {
    Cache::Handle* h = cache_->Lookup(Key(key));
    if (h == nullptr) return -1;
    int r = *static_cast<int*>(cache_->Value(h));
    cache_->Release(h);
    return r;
  }

  void Insert(int key, int value, size_t charge = 1) {
    cache_->Release(InsertAndPin(key, value, charge));
  }

  Cache::Handle* InsertAndPin(int key, int value, size_t charge = 1) {
    return cache_->Insert(Key(key), new int(value), charge, &CacheTest::Deleter);
  }

  // Declared before cache_ so they outlive the deleter calls of its destructor.
  std::vector<int> deleted_keys_;
  std::vector<int> deleted_values_;
  std::unique_ptr<Cache> cache_ = NewLRUCache(1000, 0);
};
CacheTest* CacheTest::current_ = nullptr;

TEST_F(CacheTest, HitAndMiss) {
  EXPECT_EQ(-1, Lookup(100));
  Insert(100, 101);
  EXPECT_EQ(101, Lookup(100));
  EXPECT_EQ(-1, Lookup(200));
  Insert(200, 201);
  EXPECT_EQ(101, Lookup(100));
  EXPECT_EQ(201, Lookup(200));
  Insert(100, 102);  // replaces
  EXPECT_EQ(102, Lookup(100));
  ASSERT_EQ(1u, deleted_keys_.size());
  EXPECT_EQ(100, deleted_keys_[0]);
  EXPECT_EQ(101, deleted_values_[0]);
  EXPECT_EQ(4u, cache_->Hits());
  EXPECT_EQ(2u, cache_->Misses());
}

TEST_F(CacheTest, Erase) {
  cache_->Erase(Key(200));
  EXPECT_EQ(0u, deleted_keys_.size());
  Insert(100, 101);
  Insert(200, 201);
  cache_->Erase(Key(100));
  EXPECT_EQ(-1, Lookup(100));
  EXPECT_EQ(201, Lookup(200));
  ASSERT_EQ(1u, deleted_keys_.size());
  EXPECT_EQ(100, deleted_keys_[0]);
  cache_->Erase(Key(100));  // already gone
  EXPECT_EQ(1u, deleted_keys_.size());
  EXPECT_EQ(1u, cache_->TotalCharge());
}

TEST_F(CacheTest, EntriesArePinned) {
  Insert(100, 101);
  Cache::Handle* h1 = cache_->Lookup(Key(100));
  EXPECT_EQ(101, *static_cast<int*>(cache_->Value(h1)));

  Insert(100, 102);
  Cache::Handle* h2 = cache_->Lookup(Key(100));
  EXPECT_EQ(102, *static_cast<int*>(cache_->Value(h2)));
  EXPECT_EQ(0u, deleted_keys_.size());  // 101 is replaced but still pinned by h1

  cache_->Release(h1);
  ASSERT_EQ(1u, deleted_keys_.size());
  EXPECT_EQ(101, deleted_values_[0]);

  cache_->Erase(Key(100));
  EXPECT_EQ(-1, Lookup(100));
  EXPECT_EQ(1u, deleted_keys_.size());  // 102 still pinned by h2

  cache_->Release(h2);
  ASSERT_EQ(2u, deleted_keys_.size());
  EXPECT_EQ(102, deleted_values_[1]);
}

TEST_F(CacheTest, EraseWhilePinnedKeepsValueUsable) {
  Cache::Handle* h = InsertAndPin(7, 70, 10);
  cache_->Erase(Key(7));
  EXPECT_EQ(0u, cache_->TotalCharge());                 // out of the cache...
  EXPECT_EQ(70, *static_cast<int*>(cache_->Value(h)));  // ...but alive while pinned
  EXPECT_TRUE(deleted_keys_.empty());
  Insert(7, 71);  // a new entry for the same key is independent
  EXPECT_EQ(71, Lookup(7));
  cache_->Release(h);
  ASSERT_EQ(1u, deleted_values_.size());
  EXPECT_EQ(70, deleted_values_[0]);
}

TEST_F(CacheTest, EvictionIsLeastRecentlyUsed) {
  Reset(100);
  Insert(100, 101);
  Insert(200, 201);
  Insert(300, 301);
  Cache::Handle* h = cache_->Lookup(Key(300));  // pinned: must survive any eviction

  // Keep 100 hot; 200 is used once and then left alone.
  for (int i = 0; i < 200; i++) {
    Insert(1000 + i, 2000 + i);
    EXPECT_EQ(2000 + i, Lookup(1000 + i));
    EXPECT_EQ(101, Lookup(100));
  }
  EXPECT_EQ(101, Lookup(100));
  EXPECT_EQ(-1, Lookup(200));
  EXPECT_EQ(301, Lookup(300));
  cache_->Release(h);
  EXPECT_LE(cache_->TotalCharge(), 100u);
}

TEST_F(CacheTest, EvictionByCharge) {
  Reset(100);
  // Entries of charge 30: only three fit.
  for (int i = 0; i < 5; i++) Insert(i, i, 30);
  EXPECT_EQ(90u, cache_->TotalCharge());
  EXPECT_EQ(-1, Lookup(0));
  EXPECT_EQ(-1, Lookup(1));
  EXPECT_EQ(2, Lookup(2));
  EXPECT_EQ(3, Lookup(3));
  EXPECT_EQ(4, Lookup(4));
  EXPECT_EQ((std::vector<int>{0, 1}), deleted_keys_);

  // One large entry pushes out everything idle.
  Insert(10, 10, 95);
  EXPECT_EQ(95u, cache_->TotalCharge());
  EXPECT_EQ(10, Lookup(10));
  EXPECT_EQ(-1, Lookup(4));
}

TEST_F(CacheTest, PinnedEntriesSurviveEviction) {
  Reset(100);
  std::vector<Cache::Handle*> pinned;
  for (int i = 0; i < 10; i++) pinned.push_back(InsertAndPin(i, i, 50));
  // Over capacity, but nothing idle may be evicted.
  EXPECT_EQ(500u, cache_->TotalCharge());
  EXPECT_TRUE(deleted_keys_.empty());
  for (int i = 0; i < 10; i++) EXPECT_EQ(i, Lookup(i));
  // Unpinning makes them evictable again; the next insert brings the cache back in budget.
  for (auto* h : pinned) cache_->Release(h);
  Insert(100, 100, 10);
  EXPECT_LE(cache_->TotalCharge(), 100u);
  EXPECT_EQ(100, Lookup(100));
}

TEST_F(CacheTest, ZeroCapacityCachesNothing) {
  Reset(0);
  Cache::Handle* h = InsertAndPin(1, 11);
  EXPECT_EQ(11, *static_cast<int*>(cache_->Value(h)));
  EXPECT_EQ(-1, Lookup(1));
  cache_->Release(h);
  EXPECT_EQ(1u, deleted_keys_.size());
}

TEST_F(CacheTest, NewIdIsUnique) {
  uint64_t a = cache_->NewId();
  uint64_t b = cache_->NewId();
  EXPECT_NE(a, b);
}

TEST_F(CacheTest, ShardedCapacity) {
  Reset(16 * 100, 4);
  EXPECT_EQ(1600u, cache_->Capacity());
  for (int i = 0; i < 10000; i++) Insert(i, i, 1);
  EXPECT_LE(cache_->TotalCharge(), 1600u);
  EXPECT_GE(cache_->TotalCharge(), 1400u);  // every shard fills up
  EXPECT_EQ(9999, Lookup(9999));
  // Everything dropped was deleted exactly once.
  EXPECT_EQ(10000u - cache_->TotalCharge(), deleted_keys_.size());
}

TEST_F(CacheTest, DestructorFreesIdleEntries) {
  Insert(1, 1);
  Insert(2, 2);
  cache_.reset();
  EXPECT_EQ(2u, deleted_keys_.size());
}

TEST(CacheConcurrencyTest, ConcurrentInsertLookupRelease) {
  auto cache = NewLRUCache(64, 2);
  static std::atomic<int> live{0};
  auto deleter = [](std::string_view, void* v) {
    live.fetch_sub(1);
    delete static_cast<int*>(v);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; i++) {
        std::string key = Key((i * 7 + t) % 200);
        if (i % 3 == 0) {
          live.fetch_add(1);
          cache->Release(cache->Insert(key, new int(i), 1, deleter));
        } else if (i % 17 == 0) {
          cache->Erase(key);
        } else if (Cache::Handle* h = cache->Lookup(key)) {
          EXPECT_GE(*static_cast<int*>(cache->Value(h)), 0);
          cache->Release(h);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache->TotalCharge(), 64u);
  cache.reset();
  EXPECT_EQ(0, live.load());
}

}  // namespace
}  // namespace jadedb::lsm
