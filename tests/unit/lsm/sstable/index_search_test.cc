// IndexSearch (the in-memory search array over a pinned index block) and the table iterator
// that seeks through it: Narrow's bounds against a brute-force model on keys built to stress
// it (long common prefixes, user keys that are prefixes of others, runs of keys equal on the
// 8 summarized bytes, zero and 0xff bytes), and table Seeks against a std::map, through the
// mapped (in-place) and the cached paths.
#include "lsm/sstable/index_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/base/filename.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/block_builder.h"
#include "lsm/sstable/table.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::lsm {
namespace {

using sst_test::MakeBlock;

std::string IKey(std::string_view user, SequenceNumber seq, ValueType type = kTypeValue) {
  std::string k;
  AppendInternalKey(&k, ParsedInternalKey(user, seq, type));
  return k;
}

// Sorted, distinct internal keys from `user_keys`, one or more sequence numbers each.
std::vector<std::string> SortedKeys(const InternalKeyComparator& icmp,
                                    const std::vector<std::string>& user_keys, Random* rnd) {
  std::vector<std::string> keys;
  for (const auto& u : user_keys) {
    const int versions = rnd->OneIn(4) ? 2 : 1;
    for (int v = 0; v < versions; v++) keys.push_back(IKey(u, rnd->Uniform(1000)));
  }
  std::sort(keys.begin(), keys.end(),
            [&](const std::string& a, const std::string& b) { return icmp.Compare(a, b) < 0; });
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// User keys of one of several shapes (by `shape`), all starting with `prefix`.
std::vector<std::string> UserKeys(int shape, const std::string& prefix, int n, Random* rnd) {
  std::vector<std::string> out;
  for (int i = 0; i < n; i++) {
    std::string u = prefix;
    switch (shape) {
      case 0: {  // tiny alphabet with 0x00 and 0xff: prefixes of each other, zero padding ties
        const int len = static_cast<int>(rnd->Uniform(14));
        static const char kAlphabet[] = {'\0', 'a', 'b', '\xff'};
        for (int j = 0; j < len; j++) u.push_back(kAlphabet[rnd->Uniform(4)]);
        break;
      }
      case 1: {  // equal on 8+ bytes past the prefix: long runs of equal summaries
        u += std::string(8 + rnd->Uniform(3), static_cast<char>('m' + rnd->Uniform(2)));
        const int len = static_cast<int>(rnd->Uniform(6));
        for (int j = 0; j < len; j++) u.push_back(static_cast<char>('a' + rnd->Uniform(3)));
        break;
      }
      default: {  // like the benchmark's keys: fixed-width decimal numbers
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%015llu0",
                      static_cast<unsigned long long>(rnd->Uniform(1000000)));
        u += buf;
        break;
      }
    }
    out.push_back(u);
  }
  return out;
}

// A seek target near the model's keys: a key, a neighbour of one, a prefix or extension of
// one, before the first or after the last.
std::string Target(const std::vector<std::string>& user_keys, Random* rnd) {
  switch (rnd->Uniform(8)) {
    case 0:
      return IKey("", kMaxSequenceNumber, kValueTypeForSeek);
    case 1:
      return IKey(std::string(40, '\xff'), kMaxSequenceNumber, kValueTypeForSeek);
    default:
      break;
  }
  std::string u = user_keys[rnd->Uniform(user_keys.size())];
  if (rnd->OneIn(3)) u.push_back(static_cast<char>(rnd->Uniform(256)));
  if (rnd->OneIn(4) && !u.empty()) u.resize(rnd->Uniform(u.size()));
  if (rnd->OneIn(4) && !u.empty()) u.back() = static_cast<char>(u.back() + 1);
  const SequenceNumber seq = rnd->OneIn(3) ? kMaxSequenceNumber : rnd->Uniform(1000);
  return IKey(u, seq, kValueTypeForSeek);
}

TEST(IndexSearchTest, NarrowBoundsAgreeWithModel) {
  InternalKeyComparator icmp(BytewiseComparator());
  Random rnd(test::TestSeed());
  int exact = 0;  // targets narrowed to one entry (no key compared)
  int targets = 0;
  int decimal_exact = 0;  // the same for benchmark-like keys (fixed-width decimal numbers)
  int decimal_targets = 0;
  for (int round = 0; round < 30; round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int shape = round % 3;
    std::string prefix;
    const int prefix_len = static_cast<int>(rnd.Uniform(round % 2 == 0 ? 3 : 30));
    for (int j = 0; j < prefix_len; j++) prefix.push_back(static_cast<char>(rnd.Uniform(256)));
    const int n = 1 + static_cast<int>(rnd.Uniform(round < 10 ? 40 : 1500));
    const std::vector<std::string> user_keys = UserKeys(shape, prefix, n, &rnd);
    std::vector<std::string> keys = SortedKeys(icmp, user_keys, &rnd);
    if (round % 4 != 3) {
      // As TableBuilder does: the last index key is a short successor of the last key, which
      // usually shares no prefix with the others ("0000123" -> "1").
      std::string succ(ExtractUserKey(keys.back()));
      BytewiseComparator()->FindShortSuccessor(&succ);
      if (succ > ExtractUserKey(keys.back())) keys.push_back(IKey(succ, kMaxSequenceNumber));
    }
    BlockBuilder builder(1);
    for (size_t i = 0; i < keys.size(); i++) builder.Add(keys[i], "v" + std::to_string(i));
    auto block = MakeBlock(std::string(builder.Finish()));
    auto search = IndexSearch::Build(*block, &icmp);
    ASSERT_NE(nullptr, search);
    ASSERT_EQ(keys.size(), search->NumEntries());

    for (int t = 0; t < 400; t++) {
      const std::string target = Target(user_keys, &rnd);
      const uint32_t want =
          static_cast<uint32_t>(std::lower_bound(keys.begin(), keys.end(), target,
                                                 [&](const std::string& a, const std::string& b) {
                                                   return icmp.Compare(a, b) < 0;
                                                 }) -
                                keys.begin());
      uint32_t lo = 0, hi = 0;
      search->Narrow(target, &lo, &hi);
      ASSERT_LE(lo, hi);
      ASSERT_LE(hi, keys.size());
      // The promise: entries before lo are < target, entry hi is > target.
      ASSERT_LE(lo, want);
      if (lo > 0) {
        ASSERT_LT(icmp.Compare(keys[lo - 1], target), 0);
      }
      if (hi < keys.size()) {
        ASSERT_GT(icmp.Compare(keys[hi], target), 0);
      }
      ASSERT_GE(hi, want);
      targets++;
      if (lo == hi) exact++;
      if (shape == 2) {
        decimal_targets++;
        if (lo == hi) decimal_exact++;
      }

      // Both ways of finishing the seek agree with the model.
      BlockCursor c(block.get(), &icmp);
      if (lo == hi) {
        c.SeekToRestart(lo);
      } else {
        c.SeekWithin(target, lo, hi);
      }
      ASSERT_TRUE(c.status().ok());
      if (want == keys.size()) {
        ASSERT_FALSE(c.Valid());
      } else {
        ASSERT_TRUE(c.Valid());
        ASSERT_EQ(keys[want], c.key());
        ASSERT_EQ("v" + std::to_string(want), c.value());
        ASSERT_EQ(want, c.restart_index());
        c.Next();  // fully positioned
        if (want + 1 < keys.size()) {
          ASSERT_TRUE(c.Valid());
          ASSERT_EQ(keys[want + 1], c.key());
        }
      }
    }
  }
  // The fast path is the common one (else this test checks little of what Seek relies on).
  EXPECT_GT(exact, targets / 3);
  EXPECT_GT(decimal_exact, decimal_targets / 2);
}

// SeekWithin agrees with Seek on blocks with several entries per restart, for any range that
// keeps its promise.
TEST(IndexSearchTest, SeekWithinMatchesSeekOnDataBlocks) {
  InternalKeyComparator icmp(BytewiseComparator());
  Random rnd(test::TestSeed() + 1);
  for (int round = 0; round < 20; round++) {
    const std::vector<std::string> user_keys = UserKeys(round % 3, "p", 200, &rnd);
    const std::vector<std::string> keys = SortedKeys(icmp, user_keys, &rnd);
    const int interval = 1 + static_cast<int>(rnd.Uniform(16));
    BlockBuilder builder(interval);
    for (const auto& k : keys) builder.Add(k, "v");
    auto block = MakeBlock(std::string(builder.Finish()));
    const uint32_t restarts = block->NumRestarts();
    for (int t = 0; t < 200; t++) {
      const std::string target = Target(user_keys, &rnd);
      BlockCursor want(block.get(), &icmp);
      want.Seek(target);
      // The tightest promise: lo = first restart with key >= target, hi = first restart with
      // key > target; then widen it at random.
      uint32_t lo = 0;
      while (lo < restarts && icmp.Compare(keys[lo * interval], target) < 0) lo++;
      uint32_t hi = lo;
      while (hi < restarts && icmp.Compare(keys[hi * interval], target) <= 0) hi++;
      lo -= static_cast<uint32_t>(rnd.Uniform(lo + 1));
      hi += static_cast<uint32_t>(rnd.Uniform(restarts - hi + 1));
      BlockCursor got(block.get(), &icmp);
      got.SeekWithin(target, lo, hi);
      ASSERT_EQ(want.Valid(), got.Valid());
      if (want.Valid()) {
        ASSERT_EQ(want.key(), got.key());
      }
    }
  }
}

TEST(IndexSearchTest, BuildRejectsBlocksItCannotSearch) {
  InternalKeyComparator icmp(BytewiseComparator());
  std::vector<std::string> keys;
  for (int i = 0; i < 50; i++) keys.push_back(IKey("key" + std::to_string(100 + i), 5));
  auto build = [&](int interval, const std::vector<std::string>& ks) {
    BlockBuilder builder(interval);
    for (const auto& k : ks) builder.Add(k, "v");
    return MakeBlock(std::string(builder.Finish()));
  };
  EXPECT_NE(nullptr, IndexSearch::Build(*build(1, keys), &icmp));
  EXPECT_EQ(nullptr, IndexSearch::Build(*build(2, keys), &icmp));                 // shared restarts
  EXPECT_EQ(nullptr, IndexSearch::Build(*build(1, keys), BytewiseComparator()));  // not internal
  EXPECT_EQ(nullptr, IndexSearch::Build(*build(1, {"a", "b"}), &icmp));  // shorter than a tag
  EXPECT_EQ(nullptr, IndexSearch::Build(*MakeBlock("bad"), &icmp));      // malformed
}

// A table of many small blocks, so its index is large: table Seeks (the index through
// IndexSearch, the data blocks in place or from the cache) match a std::map, and stepping on
// from each sought position does too.
class TableSeekTest : public ::testing::TestWithParam<bool> {};

TEST_P(TableSeekTest, SeeksMatchModel) {
  const bool mapped = GetParam();
  InternalKeyComparator icmp(BytewiseComparator());
  std::unique_ptr<Cache> cache = NewLRUCache(8 << 20, 0);
  TableOptions options;
  options.comparator = &icmp;
  options.block_cache = cache.get();
  options.block_size = 256;
  Random rnd(test::TestSeed() + 2);
  for (int shape = 0; shape < 3; shape++) {
    SCOPED_TRACE("shape " + std::to_string(shape));
    const std::vector<std::string> user_keys = UserKeys(shape, "tbl", 3000, &rnd);
    const std::vector<std::string> keys = SortedKeys(icmp, user_keys, &rnd);
    sst_test::StringSink sink;
    {
      TableBuilder builder(options, &sink);
      for (size_t i = 0; i < keys.size(); i++) builder.Add(keys[i], "v" + std::to_string(i));
      ASSERT_TRUE(builder.Finish().ok());
    }
    test::TempDir dir;
    Env* env = Env::Default();
    const std::string path = TableFileName(dir.path(), 7);
    ASSERT_TRUE(WriteStringToFile(env, sink.contents(), path, false).ok());
    std::unique_ptr<RandomAccessFile> file;
    ASSERT_TRUE((mapped ? env->NewRandomAccessFileMaybeMapped(path, &file)
                        : env->NewRandomAccessFile(path, &file))
                    .ok());
    ASSERT_EQ(mapped, file->ViewsStable());
    std::unique_ptr<Table> table;
    ASSERT_TRUE(Table::Open(options, std::move(file), sink.contents().size(), path, &table).ok());
    ASSERT_GT(table->Properties().num_data_blocks, 50u);

    auto it = table->NewIterator({});
    for (int t = 0; t < 2000; t++) {
      const std::string target = Target(user_keys, &rnd);
      const size_t want = std::lower_bound(keys.begin(), keys.end(), target,
                                           [&](const std::string& a, const std::string& b) {
                                             return icmp.Compare(a, b) < 0;
                                           }) -
                          keys.begin();
      // A Prefetch hint (for this target or another) never moves the iterator.
      it->Prefetch(target);
      it->Seek(target);
      ASSERT_TRUE(it->status().ok()) << it->status().ToString();
      for (size_t i = want; i < std::min(keys.size(), want + 3); i++) {
        ASSERT_TRUE(it->Valid());
        ASSERT_EQ(keys[i], it->key());
        ASSERT_EQ("v" + std::to_string(i), it->value());
        it->Prefetch(Target(user_keys, &rnd));
        ASSERT_TRUE(it->Valid());
        ASSERT_EQ(keys[i], it->key());
        it->Next();
      }
      if (want + 3 >= keys.size()) {
        ASSERT_FALSE(it->Valid());
        continue;
      }
      // Back across the block boundaries just crossed.
      it->Seek(target);
      it->Prev();
      if (want == 0) {
        ASSERT_FALSE(it->Valid());
      } else {
        ASSERT_TRUE(it->Valid());
        ASSERT_EQ(keys[want - 1], it->key());
      }
    }
    // In place, a mapped table's scans leave the block cache alone.
    if (mapped) {
      EXPECT_EQ(0u, cache->TotalCharge());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(MappedOrRead, TableSeekTest, ::testing::Bool());

}  // namespace
}  // namespace jadedb::lsm
