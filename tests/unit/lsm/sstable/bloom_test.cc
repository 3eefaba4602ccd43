#include "lsm/sstable/bloom.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/coding.h"

namespace jadedb::lsm {
namespace {

std::string Key(int i) {
  std::string s;
  PutFixed32(&s, static_cast<uint32_t>(i));
  return s;
}

class BloomTest : public ::testing::Test {
 protected:
  void Build(const std::vector<std::string>& keys) {
    std::vector<std::string_view> views(keys.begin(), keys.end());
    filter_.clear();
    policy_->CreateFilter(views, &filter_);
  }
  bool Matches(std::string_view key) const { return policy_->KeyMayMatch(key, filter_); }

  double FalsePositiveRate() {
    int hits = 0;
    for (int i = 0; i < 10000; i++) hits += Matches(Key(i + 1000000000)) ? 1 : 0;
    return hits / 10000.0;
  }

  std::unique_ptr<FilterPolicy> policy_ = NewBloomFilterPolicy(10);
  std::string filter_;
};

TEST_F(BloomTest, EmptyFilter) {
  Build({});
  EXPECT_FALSE(Matches("hello"));
  EXPECT_FALSE(Matches("world"));
}

TEST_F(BloomTest, Small) {
  Build({"hello", "world"});
  EXPECT_TRUE(Matches("hello"));
  EXPECT_TRUE(Matches("world"));
  EXPECT_FALSE(Matches("x"));
  EXPECT_FALSE(Matches("foo"));
}

TEST_F(BloomTest, LegacyLayoutStoresProbeCountLast) {
  policy_ = NewBloomFilterPolicy(10, BloomFormat::kLegacy);
  Build({"a"});
  // 64-bit minimum array plus the k byte; k = 10 * 0.69 = 6.
  ASSERT_EQ(9u, filter_.size());
  EXPECT_EQ(6, filter_.back());
  // k is clipped to [1, 30].
  auto one = NewBloomFilterPolicy(1, BloomFormat::kLegacy);
  std::string f;
  std::vector<std::string_view> keys = {"a"};
  one->CreateFilter(keys, &f);
  EXPECT_EQ(1, f.back());
  auto many = NewBloomFilterPolicy(100, BloomFormat::kLegacy);
  f.clear();
  many->CreateFilter(keys, &f);
  EXPECT_EQ(30, f.back());
}

TEST_F(BloomTest, CacheLocalLayoutIsWholeLinesThenProbesThenMarker) {
  Build({"a"});
  // One 64-byte line (the minimum), k, then the marker 0xCB.
  ASSERT_EQ(66u, filter_.size());
  EXPECT_EQ(6, filter_[64]);
  EXPECT_EQ(0xCB, static_cast<unsigned char>(filter_[65]));
  // Every probe of the key is in its line: here the only one, with k (or fewer, when two
  // probes hit the same bit) bits set.
  int set_bits = 0;
  for (int i = 0; i < 64; i++)
    set_bits += __builtin_popcount(static_cast<unsigned char>(filter_[i]));
  EXPECT_GE(set_bits, 1);
  EXPECT_LE(set_bits, 6);

  std::vector<std::string> keys;
  for (int i = 0; i < 1000; i++) keys.push_back(Key(i));
  Build(keys);
  EXPECT_EQ(filter_.size(), (1000 * 10 + 511) / 512 * 64 + 2);  // ceil(10,000 bits / 512) lines
}

// The probe count follows the bits per key: fewer probes than a plain filter would use at
// the same density, since probes within one line collide more.
TEST_F(BloomTest, CacheLocalProbeCountFollowsBitsPerKey) {
  const std::vector<std::pair<int, int>> expected = {{1, 1},  {2, 1},   {3, 2},   {5, 3},
                                                     {6, 4},  {8, 5},   {10, 6},  {11, 7},
                                                     {14, 8}, {20, 11}, {25, 12}, {100, 24}};
  for (auto [bits_per_key, k] : expected) {
    auto policy = NewBloomFilterPolicy(bits_per_key);
    std::string f;
    std::vector<std::string_view> keys = {"a"};
    policy->CreateFilter(keys, &f);
    EXPECT_EQ(k, f[f.size() - 2]) << bits_per_key;
  }
}

// Tables written before the cache-local format keep working: a reader configured for the
// new format reads legacy filters, and the other way round.
TEST_F(BloomTest, BothFormatsAreReadWhateverThePolicyWrites) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2000; i++) keys.push_back(Key(i));
  std::vector<std::string_view> views(keys.begin(), keys.end());
  auto legacy = NewBloomFilterPolicy(10, BloomFormat::kLegacy);
  auto local = NewBloomFilterPolicy(10);
  std::string legacy_filter;
  std::string local_filter;
  legacy->CreateFilter(views, &legacy_filter);
  local->CreateFilter(views, &local_filter);
  ASSERT_NE(legacy_filter, local_filter);
  int legacy_fp = 0;
  int local_fp = 0;
  for (const auto* reader : {legacy.get(), local.get()}) {
    for (const auto& k : keys) {
      ASSERT_TRUE(reader->KeyMayMatch(k, legacy_filter));
      ASSERT_TRUE(reader->KeyMayMatch(k, local_filter));
    }
    for (int i = 0; i < 10000; i++) {
      legacy_fp += reader->KeyMayMatch(Key(i + 1000000000), legacy_filter) ? 1 : 0;
      local_fp += reader->KeyMayMatch(Key(i + 1000000000), local_filter) ? 1 : 0;
    }
  }
  EXPECT_LT(legacy_fp, 2 * 200);
  EXPECT_LT(local_fp, 2 * 200);
}

TEST_F(BloomTest, MalformedCacheLocalFiltersMatchEverything) {
  std::string not_whole_lines(40, '\0');
  not_whole_lines += '\x06';
  not_whole_lines += '\xCB';
  EXPECT_TRUE(policy_->KeyMayMatch("k", not_whole_lines));
  std::string no_lines("\x06\xCB", 2);
  EXPECT_TRUE(policy_->KeyMayMatch("k", no_lines));
  std::string zero_k(64, '\0');
  zero_k += '\0';
  zero_k += '\xCB';
  EXPECT_TRUE(policy_->KeyMayMatch("k", zero_k));
  std::string huge_k(64, '\0');
  huge_k += '\x1F';
  huge_k += '\xCB';
  EXPECT_TRUE(policy_->KeyMayMatch("k", huge_k));
  // A well-formed empty line matches nothing.
  std::string empty_line(64, '\0');
  empty_line += '\x06';
  empty_line += '\xCB';
  EXPECT_FALSE(policy_->KeyMayMatch("k", empty_line));
}

TEST_F(BloomTest, AppendsToExistingContents) {
  std::vector<std::string_view> keys = {"k"};
  std::string dst = "prefix";
  policy_->CreateFilter(keys, &dst);
  EXPECT_EQ("prefix", dst.substr(0, 6));
  EXPECT_TRUE(policy_->KeyMayMatch("k", std::string_view(dst).substr(6)));
}

TEST_F(BloomTest, MalformedOrFutureFiltersMatchEverything) {
  EXPECT_TRUE(policy_->KeyMayMatch("k", ""));
  EXPECT_TRUE(policy_->KeyMayMatch("k", std::string("\x00", 1)));
  std::string future(9, '\0');
  future.back() = 31;  // k > 30 is reserved
  EXPECT_TRUE(policy_->KeyMayMatch("k", future));
  std::string zero_k(9, '\0');
  EXPECT_TRUE(policy_->KeyMayMatch("k", zero_k));
}

TEST_F(BloomTest, VaryingLengthsNoFalseNegativesAndLowFalsePositives) {
  int mediocre = 0;
  int good = 0;
  auto next_length = [](int length) {
    if (length < 10) return length + 1;
    if (length < 100) return length + 10;
    if (length < 1000) return length + 100;
    return length + 1000;
  };
  // Tiny filters use the 64-bit minimum array and may be "mediocre"; most must be good.
  for (int length = 1; length <= 10000; length = next_length(length)) {
    std::vector<std::string> keys;
    for (int i = 0; i < length; i++) keys.push_back(Key(i));
    Build(keys);
    // At most one 64-byte line more than the bits asked for, plus the 2-byte trailer.
    EXPECT_LE(filter_.size(), static_cast<size_t>(length * 10 / 8 + 64 + 2)) << length;
    for (int i = 0; i < length; i++) ASSERT_TRUE(Matches(Key(i))) << length << " " << i;
    double rate = FalsePositiveRate();
    EXPECT_LE(rate, 0.02) << length;
    (rate > 0.0125 ? mediocre : good)++;
  }
  EXPECT_LE(mediocre, good / 5);
}

TEST_F(BloomTest, TenThousandKeysAtTenBitsPerKey) {
  std::vector<std::string> keys;
  for (int i = 0; i < 10000; i++) keys.push_back("user_key_" + std::to_string(i * 7919));
  Build(keys);
  for (const auto& k : keys) ASSERT_TRUE(Matches(k)) << k;
  int false_positives = 0;
  for (int i = 0; i < 100000; i++) {
    false_positives += Matches("absent_" + std::to_string(i)) ? 1 : 0;
  }
  const double rate = false_positives / 100000.0;
  EXPECT_LT(rate, 0.02) << rate;
  EXPECT_GT(rate, 0.0);  // a filter this small cannot be perfect: the test measures something
}

}  // namespace
}  // namespace jadedb::lsm
