#include "lsm/memtable/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::lsm {
namespace {

// Holds one reference to a new memtable for the test's duration.
class MemTableTest : public testing::Test {
 protected:
  MemTableTest() : icmp_(BytewiseComparator()), mem_(new MemTable(icmp_)) { mem_->Ref(); }
  ~MemTableTest() override { mem_->Unref(); }

  // "NOTFOUND" for a deletion, "MISSING" when the memtable has no entry.
  std::string Get(std::string_view key, SequenceNumber seq) {
    LookupKey lkey(key, seq);
    std::string value;
    Status s;
    if (!mem_->Get(lkey, &value, &s)) return "MISSING";
    if (s.IsNotFound()) return "NOTFOUND";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  // Every entry as "user_key@seq:type=value", in iteration order.
  std::vector<std::string> Contents(bool backward = false) {
    std::vector<std::string> out;
    auto iter = mem_->NewIterator();
    if (backward) {
      iter->SeekToLast();
    } else {
      iter->SeekToFirst();
    }
    for (; iter->Valid(); backward ? iter->Prev() : iter->Next()) out.push_back(Describe(*iter));
    EXPECT_TRUE(iter->status().ok());
    return out;
  }

  static std::string Describe(const InternalIterator& iter) {
    ParsedInternalKey parsed;
    EXPECT_TRUE(ParseInternalKey(iter.key(), &parsed));
    return std::string(parsed.user_key) + "@" + std::to_string(parsed.sequence) + ":" +
           std::to_string(static_cast<int>(parsed.type)) + "=" + std::string(iter.value());
  }

  InternalKeyComparator icmp_;
  MemTable* mem_;
};

TEST_F(MemTableTest, EmptyTable) {
  EXPECT_EQ(Get("a", kMaxSequenceNumber), "MISSING");
  EXPECT_TRUE(Contents().empty());
  EXPECT_EQ(mem_->NumEntries(), 0u);
  auto iter = mem_->NewIterator();
  iter->Seek(InternalKey("a", 1, kValueTypeForSeek).Encode());
  EXPECT_FALSE(iter->Valid());
}

TEST_F(MemTableTest, AddAndGet) {
  mem_->Add(1, kTypeValue, "k1", "v1");
  mem_->Add(2, kTypeValue, "k2", "v2");
  mem_->Add(3, kTypeValue, "k3", "");
  EXPECT_EQ(Get("k1", kMaxSequenceNumber), "v1");
  EXPECT_EQ(Get("k2", kMaxSequenceNumber), "v2");
  EXPECT_EQ(Get("k3", kMaxSequenceNumber), "");
  EXPECT_EQ(Get("k0", kMaxSequenceNumber), "MISSING");
  EXPECT_EQ(Get("k4", kMaxSequenceNumber), "MISSING");
  EXPECT_EQ(mem_->NumEntries(), 3u);
}

TEST_F(MemTableTest, PrefixKeysAreDistinct) {
  mem_->Add(1, kTypeValue, "ab", "x");
  mem_->Add(2, kTypeValue, std::string("a\0", 2), "nul");
  EXPECT_EQ(Get("a", kMaxSequenceNumber), "MISSING");
  EXPECT_EQ(Get("abc", kMaxSequenceNumber), "MISSING");
  EXPECT_EQ(Get("ab", kMaxSequenceNumber), "x");
  EXPECT_EQ(Get(std::string("a\0", 2), kMaxSequenceNumber), "nul");
}

TEST_F(MemTableTest, DeletionShadowsOlderValue) {
  mem_->Add(10, kTypeValue, "k", "old");
  mem_->Add(20, kTypeDeletion, "k", "");
  EXPECT_EQ(Get("k", kMaxSequenceNumber), "NOTFOUND");
  EXPECT_EQ(Get("k", 20), "NOTFOUND");
  EXPECT_EQ(Get("k", 19), "old");
  mem_->Add(30, kTypeValue, "k", "new");
  EXPECT_EQ(Get("k", 30), "new");
  EXPECT_EQ(Get("k", 25), "NOTFOUND");
}

TEST_F(MemTableTest, LookupSeesTheNewestVersionAtOrBelowItsSequence) {
  mem_->Add(10, kTypeValue, "k", "v10");
  mem_->Add(20, kTypeValue, "k", "v20");
  mem_->Add(30, kTypeValue, "k", "v30");
  EXPECT_EQ(Get("k", 5), "MISSING");
  EXPECT_EQ(Get("k", 9), "MISSING");
  for (SequenceNumber s = 10; s < 20; s++) EXPECT_EQ(Get("k", s), "v10") << s;
  for (SequenceNumber s = 20; s < 30; s++) EXPECT_EQ(Get("k", s), "v20") << s;
  EXPECT_EQ(Get("k", 30), "v30");
  EXPECT_EQ(Get("k", kMaxSequenceNumber), "v30");
}

TEST_F(MemTableTest, IteratorOrdersInternalKeys) {
  // Added out of order: the iterator sorts by user key, then newest first.
  mem_->Add(5, kTypeValue, "b", "b5");
  mem_->Add(1, kTypeValue, "a", "a1");
  mem_->Add(7, kTypeDeletion, "b", "");
  mem_->Add(3, kTypeValue, "c", "c3");
  mem_->Add(2, kTypeValue, "b", "b2");
  mem_->Add(9, kTypeValue, "a", "a9");
  std::vector<std::string> expected = {
      "a@9:1=a9", "a@1:1=a1", "b@7:0=", "b@5:1=b5", "b@2:1=b2", "c@3:1=c3"};
  EXPECT_EQ(Contents(), expected);
  std::vector<std::string> reversed(expected.rbegin(), expected.rend());
  EXPECT_EQ(Contents(/*backward=*/true), reversed);

  auto iter = mem_->NewIterator();
  // Seek takes an internal key: the first entry of "b" at or below sequence 6.
  iter->Seek(InternalKey("b", 6, kValueTypeForSeek).Encode());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(Describe(*iter), "b@5:1=b5");
  iter->Prev();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(Describe(*iter), "b@7:0=");
  iter->Seek(InternalKey("b", kMaxSequenceNumber, kValueTypeForSeek).Encode());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(Describe(*iter), "b@7:0=");
  iter->Seek(InternalKey("bb", kMaxSequenceNumber, kValueTypeForSeek).Encode());
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(Describe(*iter), "c@3:1=c3");
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  iter->Seek(InternalKey("d", kMaxSequenceNumber, kValueTypeForSeek).Encode());
  EXPECT_FALSE(iter->Valid());
}

TEST_F(MemTableTest, LargeKeysAndValues) {
  Random rnd(3);
  std::string key = jadedb::test::RandomBytes(&rnd, 300);  // longer than LookupKey's buffer
  std::string value = jadedb::test::RandomBytes(&rnd, 100000);
  mem_->Add(1, kTypeValue, key, value);
  EXPECT_EQ(Get(key, 1), value);
  auto iter = mem_->NewIterator();
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ExtractUserKey(iter->key()), key);
  EXPECT_EQ(iter->value(), value);
}

TEST_F(MemTableTest, MemoryUsageGrows) {
  const size_t before = mem_->ApproximateMemoryUsage();
  for (int i = 0; i < 1000; i++) mem_->Add(i + 1, kTypeValue, std::to_string(i), "value");
  EXPECT_GT(mem_->ApproximateMemoryUsage(), before + 1000 * 10);
  EXPECT_EQ(mem_->NumEntries(), 1000u);
}

// Random versions of random keys against a model; lookups at random sequences.
TEST_F(MemTableTest, RandomizedAgainstModel) {
  Random rnd(42);
  // (user key, sequence) -> value, or kDeleted for a deletion.
  std::map<std::pair<std::string, SequenceNumber>, std::string> model;
  const std::string kDeleted = "<deleted>";
  SequenceNumber seq = 0;
  for (int i = 0; i < 3000; i++) {
    std::string key = "key" + std::to_string(rnd.Uniform(200));
    seq += 1 + rnd.Uniform(3);
    if (rnd.OneIn(4)) {
      mem_->Add(seq, kTypeDeletion, key, "");
      model[{key, seq}] = kDeleted;
    } else {
      std::string value = jadedb::test::RandomPrintable(&rnd, rnd.Uniform(40));
      mem_->Add(seq, kTypeValue, key, value);
      model[{key, seq}] = value;
    }
  }
  for (int i = 0; i < 5000; i++) {
    std::string key = "key" + std::to_string(rnd.Uniform(210));
    SequenceNumber at = rnd.Uniform(seq + 10);
    // Newest model entry of key with sequence <= at.
    std::string expected = "MISSING";
    auto it = model.upper_bound({key, at});
    if (it != model.begin()) {
      --it;
      if (it->first.first == key) expected = it->second == kDeleted ? "NOTFOUND" : it->second;
    }
    EXPECT_EQ(Get(key, at), expected) << key << " @ " << at;
  }
  // The iterator yields the model's entries: user key ascending, sequence descending.
  std::vector<std::string> expected;
  std::string last_key;
  std::vector<std::string> group;
  for (const auto& [k, v] : model) {
    if (k.first != last_key) {
      expected.insert(expected.end(), group.rbegin(), group.rend());
      group.clear();
      last_key = k.first;
    }
    group.push_back(k.first + "@" + std::to_string(k.second) + ":" +
                    (v == kDeleted ? "0=" : "1=" + v));
  }
  expected.insert(expected.end(), group.rbegin(), group.rend());
  EXPECT_EQ(Contents(), expected);
}

// One writer adds while readers look up keys whose Add already returned.
TEST_F(MemTableTest, ConcurrentGetDuringAdd) {
  constexpr int kN = 20000;
  std::atomic<int> published{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  auto reader = [&](int id) {
    Random rnd(id + 100);
    while (!done.load(std::memory_order_acquire)) {
      int p = published.load(std::memory_order_acquire);
      if (p == 0) continue;
      int i = static_cast<int>(rnd.Uniform(p));
      LookupKey lkey("key" + std::to_string(i), kMaxSequenceNumber);
      std::string value;
      Status s;
      if (!mem_->Get(lkey, &value, &s) || !s.ok() || value != "value" + std::to_string(i)) {
        failures++;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; i++) threads.emplace_back(reader, i);
  for (int i = 0; i < kN; i++) {
    mem_->Add(static_cast<SequenceNumber>(i + 1), kTypeValue, "key" + std::to_string(i),
              "value" + std::to_string(i));
    published.store(i + 1, std::memory_order_release);
  }
  done.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mem_->NumEntries(), static_cast<uint64_t>(kN));
}

TEST(MemTableRefTest, LastUnrefDeletes) {
  // Run under ASan: a missing delete is a leak, a double delete an error.
  InternalKeyComparator icmp(BytewiseComparator());
  MemTable* mem = new MemTable(icmp);
  mem->Ref();
  mem->Ref();
  mem->Add(1, kTypeValue, "k", "v");
  mem->Unref();
  // Still alive: one reference left.
  EXPECT_EQ(mem->NumEntries(), 1u);
  auto iter = mem->NewIterator();
  iter->SeekToFirst();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "v");
  iter.reset();
  mem->Unref();
}

}  // namespace
}  // namespace jadedb::lsm
