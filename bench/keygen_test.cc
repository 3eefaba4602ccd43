#include "keygen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace jadedb::bench {
namespace {

TEST(KeygenTest, KeysAreFixedSizeAndOrderedLikeTheirIndex) {
  EXPECT_EQ(MakeKey(0), "0000000000000000");
  EXPECT_EQ(MakeKey(123), "0000000000001230");
  EXPECT_EQ(MakeMissingKey(123), "0000000000001235");
  for (uint64_t i = 0; i < 2000; i++) {
    ASSERT_EQ(MakeKey(i).size(), kKeySize);
    ASSERT_LT(MakeKey(i), MakeMissingKey(i));
    ASSERT_LT(MakeMissingKey(i), MakeKey(i + 1));
  }
}

TEST(KeygenTest, PermutationHoldsEachIndexOnce) {
  std::vector<uint32_t> p = Permutation(10000, 7);
  std::vector<uint32_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 10000; i++) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted);  // Shuffled.
  EXPECT_EQ(p, Permutation(10000, 7));
  EXPECT_NE(p, Permutation(10000, 8));
}

TEST(KeygenTest, ValuesAreHalfRepeatedPrintableBytes) {
  ValueGenerator gen(1);
  std::string_view v = gen.Next(100);
  ASSERT_EQ(v.size(), 100u);
  for (char c : v) {
    EXPECT_GE(c, ' ');
    EXPECT_LE(c, '~');
  }
  std::string_view big = gen.Next(16 << 10);
  EXPECT_EQ(big.size(), 16u << 10);
  // Half of every 100 bytes repeats the 50 bytes before it, at any offset into the data.
  std::string_view base = gen.Next(100000);
  int repeats = 0;
  for (size_t i = 0; i + 50 < base.size(); i++) repeats += base[i] == base[i + 50];
  double fraction = static_cast<double>(repeats) / (base.size() - 50);
  EXPECT_GT(fraction, 0.45);
  EXPECT_LT(fraction, 0.6);
}

TEST(KeygenTest, RandomUniformStaysInRangeAndCoversIt) {
  Random64 rng(42);
  std::vector<int> hits(10);
  for (int i = 0; i < 100000; i++) hits[rng.Uniform(10)]++;
  for (int h : hits) EXPECT_NEAR(h, 10000, 600);
  for (int i = 0; i < 1000; i++) {
    double d = rng.NextDouble();
    ASSERT_GE(d, 0.0);
    ASSERT_LT(d, 1.0);
  }
}

TEST(KeygenTest, ZipfianFollowsItsDistribution) {
  constexpr uint64_t kItems = 1000;
  Zipfian zipf(kItems);
  Random64 rng(3);
  std::vector<uint64_t> hits(kItems);
  constexpr int kSamples = 200000;
  for (int i = 0; i < kSamples; i++) {
    uint64_t v = zipf.Next(&rng);
    ASSERT_LT(v, kItems);
    hits[v]++;
  }
  // P(item 0) = 1/zeta(n); P(item 1) = 1/(2^theta zeta(n)).
  double p0 = 1.0 / zipf.zeta();
  EXPECT_NEAR(static_cast<double>(hits[0]) / kSamples, p0, p0 * 0.05);
  double p1 = p0 / std::pow(2.0, Zipfian::kTheta);
  EXPECT_NEAR(static_cast<double>(hits[1]) / kSamples, p1, p1 * 0.08);
  // Popularity falls with rank: the first 10 items get far more than the last 500.
  uint64_t head = 0, tail = 0;
  for (uint64_t i = 0; i < 10; i++) head += hits[i];
  for (uint64_t i = 500; i < kItems; i++) tail += hits[i];
  EXPECT_GT(head, 2 * tail);
  EXPECT_GT(tail, 0u);  // ...but the tail is reached.
}

TEST(KeygenTest, ZipfianGrowMatchesFreshGenerator) {
  Zipfian grown(100);
  grown.Grow(5000);
  Zipfian fresh(5000);
  EXPECT_NEAR(grown.zeta(), fresh.zeta(), 1e-9);
  Random64 a(9), b(9);
  for (int i = 0; i < 1000; i++) ASSERT_EQ(grown.Next(&a), fresh.Next(&b));
}

TEST(KeygenTest, ScrambledZipfianSpreadsHotKeys) {
  constexpr uint64_t kItems = 100000;
  ScrambledZipfian zipf(kItems);
  Random64 rng(5);
  std::map<uint64_t, int> hits;
  for (int i = 0; i < 100000; i++) {
    uint64_t v = zipf.Next(&rng);
    ASSERT_LT(v, kItems);
    hits[v]++;
  }
  // The hottest key is not item 0 (it was hashed elsewhere) and it is hot.
  auto hottest = std::max_element(hits.begin(), hits.end(),
                                  [](const auto& x, const auto& y) { return x.second < y.second; });
  EXPECT_NE(hottest->first, 0u);
  EXPECT_GT(hottest->second, 100000 / 20);
  // Hot keys land in both halves of the key space.
  int low = 0, high = 0;
  for (const auto& [k, n] : hits) (k < kItems / 2 ? low : high) += n;
  EXPECT_GT(low, 20000);
  EXPECT_GT(high, 20000);
}

TEST(KeygenTest, LatestFavorsNewestItems) {
  LatestGenerator latest(1000);
  Random64 rng(11);
  int newest = 0;
  for (int i = 0; i < 10000; i++) {
    uint64_t v = latest.Next(&rng);
    ASSERT_LT(v, 1000u);
    if (v == 999) newest++;
  }
  EXPECT_GT(newest, 1000);
  latest.SetItems(2000);
  bool saw_new = false;
  for (int i = 0; i < 1000; i++) saw_new |= latest.Next(&rng) >= 1000;
  EXPECT_TRUE(saw_new);
}

}  // namespace
}  // namespace jadedb::bench
