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

TEST_F(BloomTest, LayoutStoresProbeCountLast) {
  Build({"a"});
  // 64-bit minimum array plus the k byte; k = 10 * 0.69 = 6.
  ASSERT_EQ(9u, filter_.size());
  EXPECT_EQ(6, filter_.back());
  // k is clipped to [1, 30].
  auto one = NewBloomFilterPolicy(1);
  std::string f;
  std::vector<std::string_view> keys = {"a"};
  one->CreateFilter(keys, &f);
  EXPECT_EQ(1, f.back());
  auto many = NewBloomFilterPolicy(100);
  f.clear();
  many->CreateFilter(keys, &f);
  EXPECT_EQ(30, f.back());
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
    EXPECT_LE(filter_.size(), static_cast<size_t>(length * 10 / 8 + 40)) << length;
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
