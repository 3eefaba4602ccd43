#include "lsm/cache/handle_table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "util/hash.h"

namespace jadedb::lsm {
namespace {

// Owns the handles it creates so each test frees them whatever the table holds.
class HandleTableTest : public ::testing::Test {
 protected:
  ~HandleTableTest() override {
    for (LRUHandle* h : created_) LRUHandle::Destroy(h);
  }

  LRUHandle* Make(const std::string& key, uint32_t hash) {
    LRUHandle* h = LRUHandle::Create(key, hash, nullptr, 1, nullptr);
    created_.push_back(h);
    return h;
  }
  LRUHandle* Make(const std::string& key) { return Make(key, Hash(key, 0)); }

  HandleTable table_;
  std::vector<LRUHandle*> created_;
};

TEST_F(HandleTableTest, HandleKeepsItsKeyAndHash) {
  LRUHandle* h = Make("some key", 1234);
  EXPECT_EQ(h->key(), "some key");
  EXPECT_EQ(h->hash, 1234u);
  LRUHandle* empty = Make("", 7);
  EXPECT_EQ(empty->key(), "");
}

TEST_F(HandleTableTest, InsertLookupRemove) {
  LRUHandle* a = Make("a");
  LRUHandle* b = Make("b");
  EXPECT_EQ(table_.Insert(a), nullptr);
  EXPECT_EQ(table_.Insert(b), nullptr);
  EXPECT_EQ(table_.size(), 2u);
  EXPECT_EQ(table_.Lookup("a", a->hash), a);
  EXPECT_EQ(table_.Lookup("b", b->hash), b);
  EXPECT_EQ(table_.Lookup("c", Hash("c", 0)), nullptr);

  EXPECT_EQ(table_.Remove("a", a->hash), a);
  EXPECT_EQ(table_.Lookup("a", a->hash), nullptr);
  EXPECT_EQ(table_.Remove("a", a->hash), nullptr);  // already gone
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.Lookup("b", b->hash), b);
}

TEST_F(HandleTableTest, InsertReplacesSameKey) {
  LRUHandle* first = Make("k");
  LRUHandle* second = Make("k");
  EXPECT_EQ(table_.Insert(first), nullptr);
  EXPECT_EQ(table_.Insert(second), first);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.Lookup("k", second->hash), second);
}

// Every key gets the same hash: one chain holds them all, and each must still be found,
// replaced and removed by its key alone.
TEST_F(HandleTableTest, CollidingHashes) {
  constexpr uint32_t kHash = 42;
  std::vector<LRUHandle*> handles;
  for (int i = 0; i < 20; i++) {
    handles.push_back(Make("key" + std::to_string(i), kHash));
    EXPECT_EQ(table_.Insert(handles.back()), nullptr);
  }
  for (int i = 0; i < 20; i++) {
    EXPECT_EQ(table_.Lookup("key" + std::to_string(i), kHash), handles[i]);
  }
  // A key with the same hash but not in the table.
  EXPECT_EQ(table_.Lookup("key20", kHash), nullptr);
  // Remove from the middle, the head and the tail of the chain.
  for (int i : {10, 0, 19}) {
    EXPECT_EQ(table_.Remove("key" + std::to_string(i), kHash), handles[i]);
  }
  for (int i = 0; i < 20; i++) {
    const bool removed = i == 10 || i == 0 || i == 19;
    EXPECT_EQ(table_.Lookup("key" + std::to_string(i), kHash), removed ? nullptr : handles[i]);
  }
  LRUHandle* replacement = Make("key5", kHash);
  EXPECT_EQ(table_.Insert(replacement), handles[5]);
  EXPECT_EQ(table_.Lookup("key5", kHash), replacement);
  EXPECT_EQ(table_.size(), 17u);
}

// Same key bytes under different hashes are different entries as far as the table knows;
// callers always pass the key's own hash, so this only checks that hash is compared.
TEST_F(HandleTableTest, HashIsPartOfTheMatch) {
  LRUHandle* h = Make("x", 1);
  table_.Insert(h);
  EXPECT_EQ(table_.Lookup("x", 1), h);
  EXPECT_EQ(table_.Lookup("x", 1 + 4096), nullptr);  // same bucket for small tables
}

TEST_F(HandleTableTest, GrowsAndKeepsEveryEntry) {
  const size_t initial_buckets = table_.buckets();
  std::map<std::string, LRUHandle*> expected;
  for (int i = 0; i < 10000; i++) {
    const std::string key = "entry" + std::to_string(i);
    LRUHandle* h = Make(key);
    ASSERT_EQ(table_.Insert(h), nullptr);
    expected[key] = h;
    // Never more entries than buckets: chains stay short.
    ASSERT_LE(table_.size(), table_.buckets());
  }
  EXPECT_GT(table_.buckets(), initial_buckets);
  EXPECT_EQ(table_.buckets() & (table_.buckets() - 1), 0u);  // a power of two
  for (const auto& [key, h] : expected) ASSERT_EQ(table_.Lookup(key, h->hash), h);
  // Remove every other entry; the rest stay reachable.
  int n = 0;
  for (const auto& [key, h] : expected) {
    if (n++ % 2 == 0) {
      ASSERT_EQ(table_.Remove(key, h->hash), h);
    }
  }
  EXPECT_EQ(table_.size(), 5000u);
  n = 0;
  for (const auto& [key, h] : expected) {
    ASSERT_EQ(table_.Lookup(key, h->hash), n++ % 2 == 0 ? nullptr : h);
  }
}

}  // namespace
}  // namespace jadedb::lsm
