#include "lsm/sstable/block.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/block_builder.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

using sst_test::MakeBlock;

std::string BuildBlock(const std::map<std::string, std::string>& kvs, int restart_interval) {
  BlockBuilder b(restart_interval);
  for (const auto& [k, v] : kvs) b.Add(k, v);
  return std::string(b.Finish());
}

// Keys sharing long prefixes (so prefix compression matters) plus a few random ones.
std::map<std::string, std::string> TestData(Random* rnd, int n) {
  std::map<std::string, std::string> kvs;
  for (int i = 0; i < n; i++) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "key%06d", i * 3);
    kvs[buf] = test::RandomBytes(rnd, rnd->Uniform(20));
  }
  kvs[""] = "empty key";
  kvs[std::string("\xff\xff", 2)] = "high key";
  return kvs;
}

class BlockRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(BlockRoundTripTest, ForwardBackwardSeekAndPrevEverywhere) {
  const int interval = GetParam();
  Random rnd(301 + interval);
  auto kvs = TestData(&rnd, 500);
  std::vector<std::pair<std::string, std::string>> model(kvs.begin(), kvs.end());
  auto block = MakeBlock(BuildBlock(kvs, interval));
  EXPECT_EQ((model.size() + interval - 1) / interval, block->NumRestarts());
  auto it = block->NewIterator(BytewiseComparator());

  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_EQ(model[i].first, it->key());
    ASSERT_EQ(model[i].second, it->value());
  }
  EXPECT_EQ(model.size(), i);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    --i;
    ASSERT_EQ(model[i].first, it->key());
    ASSERT_EQ(model[i].second, it->value());
  }
  EXPECT_EQ(0u, i);
  EXPECT_TRUE(it->status().ok());

  for (size_t pos = 0; pos < model.size(); pos++) {
    // Exact hit.
    it->Seek(model[pos].first);
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(model[pos].first, it->key());
    // Prev from here lands on the entry before.
    it->Prev();
    if (pos == 0) {
      ASSERT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(model[pos - 1].first, it->key());
      ASSERT_EQ(model[pos - 1].second, it->value());
      it->Next();
      ASSERT_EQ(model[pos].first, it->key());
    }
    // A target just after the key lands on the next entry.
    it->Seek(model[pos].first + std::string(1, '\0'));
    if (pos + 1 == model.size()) {
      ASSERT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      ASSERT_EQ(model[pos + 1].first, it->key());
    }
  }
  it->Seek(std::string("\xff\xff\xff", 3));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

INSTANTIATE_TEST_SUITE_P(RestartIntervals, BlockRoundTripTest, ::testing::Values(1, 2, 16, 1000));

// Keys longer than the cursor's inline key buffer, sharing long prefixes with their
// neighbours, so keys are rebuilt across buffer growth (and the prefix comes from the old
// buffer or from the block). A BlockCursor on the stack must agree with the model.
TEST(BlockTest, StackCursorWithLongSharedKeys) {
  Random rnd(17);
  std::map<std::string, std::string> kvs;
  for (int i = 0; i < 300; i++) {
    // Lengths 1..400: prefixes of a common stem plus a distinct tail.
    std::string key(rnd.Uniform(400), 'p');
    char tail[16];
    std::snprintf(tail, sizeof(tail), "%05d", i);
    kvs[key + tail] = test::RandomBytes(&rnd, rnd.Uniform(30));
  }
  std::vector<std::pair<std::string, std::string>> model(kvs.begin(), kvs.end());
  for (int interval : {1, 16, 1000}) {
    SCOPED_TRACE("interval " + std::to_string(interval));
    auto block = MakeBlock(BuildBlock(kvs, interval));
    BlockCursor c(block.get(), BytewiseComparator(), "x.sst", 0);
    size_t i = 0;
    for (c.SeekToFirst(); c.Valid(); c.Next(), i++) {
      ASSERT_EQ(model[i].first, c.key());
      ASSERT_EQ(model[i].second, c.value());
    }
    ASSERT_EQ(model.size(), i);
    for (c.SeekToLast(); c.Valid(); c.Prev()) {
      --i;
      ASSERT_EQ(model[i].first, c.key());
    }
    ASSERT_EQ(0u, i);
    for (size_t pos = 0; pos < model.size(); pos += 7) {
      BlockCursor fresh(block.get(), BytewiseComparator());
      fresh.Seek(model[pos].first);
      ASSERT_TRUE(fresh.Valid());
      ASSERT_EQ(model[pos].first, fresh.key());
      ASSERT_EQ(model[pos].second, fresh.value());
      fresh.Seek(model[pos].first + std::string(1, '\0'));
      if (pos + 1 < model.size()) {
        ASSERT_TRUE(fresh.Valid());
        ASSERT_EQ(model[pos + 1].first, fresh.key());
      } else {
        ASSERT_FALSE(fresh.Valid());
      }
    }
    EXPECT_TRUE(c.status().ok());
  }
}

// Seek over internal keys (bytewise user keys) takes a scan that decides entries from their
// shared prefixes: it must agree with a plain lower_bound on every kind of target, including
// user keys that are prefixes of others, equal user keys with several sequence numbers, and
// targets between, before and after the entries.
TEST(BlockTest, InternalKeySeekMatchesModel) {
  InternalKeyComparator icmp(BytewiseComparator());
  Random rnd(test::TestSeed());
  for (int round = 0; round < 40; round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    // User keys over a tiny alphabet, so prefixes, shared prefixes and equal keys abound.
    std::vector<std::string> user_keys;
    for (int i = 0; i < 60; i++) {
      std::string u;
      const int len = static_cast<int>(rnd.Uniform(round % 4 == 0 ? 80 : 12));
      for (int j = 0; j < len; j++) u.push_back(static_cast<char>('a' + rnd.Uniform(3)));
      user_keys.push_back(u);
    }
    std::vector<std::string> keys;
    for (const auto& u : user_keys) {
      for (int v = 0; v < 1 + static_cast<int>(rnd.Uniform(3)); v++) {
        std::string k;
        AppendInternalKey(&k, ParsedInternalKey(u, rnd.Uniform(1000), kTypeValue));
        keys.push_back(k);
      }
    }
    std::sort(keys.begin(), keys.end(),
              [&](const std::string& a, const std::string& b) { return icmp.Compare(a, b) < 0; });
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    const int interval = 1 + static_cast<int>(rnd.Uniform(20));
    BlockBuilder builder(interval);
    for (const auto& k : keys) builder.Add(k, "v" + k);
    auto block = MakeBlock(std::string(builder.Finish()));

    for (int t = 0; t < 300; t++) {
      std::string target;
      std::string u = user_keys[rnd.Uniform(user_keys.size())];
      if (rnd.OneIn(3)) u.push_back(static_cast<char>('a' + rnd.Uniform(4)));  // between/after
      if (rnd.OneIn(4) && !u.empty()) u.pop_back();                            // a prefix
      const SequenceNumber seq = rnd.OneIn(3) ? kMaxSequenceNumber : rnd.Uniform(1000);
      AppendInternalKey(&target, ParsedInternalKey(u, seq, kValueTypeForSeek));
      auto want = std::lower_bound(
          keys.begin(), keys.end(), target,
          [&](const std::string& a, const std::string& b) { return icmp.Compare(a, b) < 0; });
      BlockCursor c(block.get(), &icmp);
      c.Seek(target);
      ASSERT_TRUE(c.status().ok());
      if (want == keys.end()) {
        ASSERT_FALSE(c.Valid());
        continue;
      }
      ASSERT_TRUE(c.Valid());
      ASSERT_EQ(*want, c.key());
      ASSERT_EQ("v" + *want, c.value());
      // The cursor is fully positioned: stepping both ways matches the model.
      c.Next();
      if (want + 1 == keys.end()) {
        ASSERT_FALSE(c.Valid());
      } else {
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(*(want + 1), c.key());
        c.Prev();
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(*want, c.key());
      }
      c.Seek(target);
      c.Prev();
      if (want == keys.begin()) {
        ASSERT_FALSE(c.Valid());
      } else {
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(*(want - 1), c.key());
      }
    }
  }
}

TEST(BlockTest, StackCursorOnMalformedBlockReportsCorruption) {
  auto block = MakeBlock("abc");
  BlockCursor c(block.get(), BytewiseComparator(), "x.sst", 4096);
  EXPECT_FALSE(c.Valid());
  c.Seek("a");
  EXPECT_FALSE(c.Valid());
  EXPECT_TRUE(c.status().IsCorruption());
  EXPECT_NE(std::string::npos, c.status().message().find("x.sst: block at offset 4096"))
      << c.status().ToString();
}

TEST(BlockTest, EmptyBlock) {
  BlockBuilder b(16);
  auto block = MakeBlock(b.Finish());
  auto it = block->NewIterator(BytewiseComparator());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  EXPECT_FALSE(it->Valid());
  it->Next();
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(BlockTest, SingleEntry) {
  auto block = MakeBlock(BuildBlock({{"k", "v"}}, 16));
  auto it = block->NewIterator(BytewiseComparator());
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("k", it->key());
  it->Prev();
  EXPECT_FALSE(it->Valid());
  it->Seek("a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("v", it->value());
  it->Next();
  EXPECT_FALSE(it->Valid());
}

void ExpectCorruptionNamingBlock(const Block& block) {
  auto it = block.NewIterator(BytewiseComparator(), "x.sst", 4096);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  Status s = it->status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("x.sst: block at offset 4096")) << s.ToString();
}

TEST(BlockTest, MalformedRestartArrays) {
  // Too short to hold the restart count.
  ExpectCorruptionNamingBlock(*MakeBlock("abc"));
  ExpectCorruptionNamingBlock(*MakeBlock(""));

  const std::string good = BuildBlock({{"a", "1"}, {"b", "2"}, {"c", "3"}}, 1);
  auto with_restarts = [&](std::vector<uint32_t> restarts, uint32_t count) {
    std::string bytes = good.substr(0, good.size() - 4 * 4);  // drop 3 restarts + count
    for (uint32_t r : restarts) PutFixed32(&bytes, r);
    PutFixed32(&bytes, count);
    return bytes;
  };
  ASSERT_EQ(good, with_restarts({0, 5, 10}, 3));  // sanity: rebuilding gives the block
  ExpectCorruptionNamingBlock(*MakeBlock(with_restarts({0, 5, 10}, 1000)));  // count too big
  ExpectCorruptionNamingBlock(*MakeBlock(with_restarts({0, 5, 10}, 0)));     // no restarts
  ExpectCorruptionNamingBlock(*MakeBlock(with_restarts({0, 5, 100}, 3)));    // past entries
  ExpectCorruptionNamingBlock(*MakeBlock(with_restarts({0, 10, 5}, 3)));     // not increasing
  ExpectCorruptionNamingBlock(*MakeBlock(with_restarts({3, 5, 10}, 3)));     // first not 0
}

TEST(BlockTest, MalformedEntries) {
  // An entry claiming a shared prefix at a restart point, and one whose lengths run past the
  // restart array: each gives Corruption, never a read out of bounds.
  std::string shared_at_restart = std::string("\x02\x01\x01", 3) + "kv";
  PutFixed32(&shared_at_restart, 0);
  PutFixed32(&shared_at_restart, 1);
  ExpectCorruptionNamingBlock(*MakeBlock(shared_at_restart));

  std::string too_long = std::string("\x00\x50\x01", 3) + "kv";
  PutFixed32(&too_long, 0);
  PutFixed32(&too_long, 1);
  ExpectCorruptionNamingBlock(*MakeBlock(too_long));

  // Seek and SeekToLast see it too, and the error is sticky.
  auto block = MakeBlock(too_long);
  auto it = block->NewIterator(BytewiseComparator(), "x.sst", 1);
  it->Seek("k");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
}

// Damaged blocks (random byte flips, truncations, garbage) must never crash or read out of
// bounds (run under ASan); they may yield entries or Corruption.
TEST(BlockTest, DamagedBlocksNeverCrash) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  const std::string good = BuildBlock(TestData(&rnd, 100), 4);
  for (int round = 0; round < 3000; round++) {
    std::string bytes;
    switch (round % 3) {
      case 0:
        bytes = good;
        for (int f = 0; f < 1 + static_cast<int>(rnd.Uniform(4)); f++) {
          bytes[rnd.Uniform(bytes.size())] = static_cast<char>(rnd.Uniform(256));
        }
        break;
      case 1:
        bytes = good.substr(rnd.Uniform(good.size()));
        break;
      default:
        bytes = test::RandomBytes(&rnd, rnd.Uniform(200));
        break;
    }
    auto block = MakeBlock(bytes);
    auto it = block->NewIterator(BytewiseComparator(), "fuzz.sst", 0);
    int steps = 0;
    for (it->SeekToFirst(); it->Valid() && steps < 10000; it->Next()) steps++;
    for (it->SeekToLast(); it->Valid() && steps < 20000; it->Prev()) steps++;
    it->Seek("key000150");
    if (it->Valid()) {
      it->Prev();
      it->Next();
    }
    (void)it->status();
    ASSERT_LT(steps, 20000) << "iteration did not terminate";
  }
}

}  // namespace
}  // namespace jadedb::lsm
