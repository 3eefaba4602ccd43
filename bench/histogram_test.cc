#include "histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <initializer_list>

namespace jadedb::bench {
namespace {

TEST(HistogramTest, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0.0);
  EXPECT_EQ(h.Average(), 0.0);
}

TEST(HistogramTest, BucketsCoverValuesAndAreOrdered) {
  for (uint64_t v : std::initializer_list<uint64_t>{0, 1, 7, 8, 9, 15, 16, 17, 1000, 123456789,
                                                    (uint64_t{1} << 40) + 5, UINT64_MAX}) {
    int b = Histogram::BucketFor(v);
    ASSERT_GE(b, 0);
    ASSERT_LT(b, Histogram::kBuckets);
    EXPECT_LE(Histogram::BucketLow(b), v) << v;
    if (v != UINT64_MAX) {
      EXPECT_GT(Histogram::BucketHigh(b), v) << v;
    }
  }
  for (int b = 1; b < Histogram::kBuckets - 1; b++) {
    EXPECT_LT(Histogram::BucketLow(b - 1), Histogram::BucketLow(b)) << b;
    EXPECT_EQ(Histogram::BucketFor(Histogram::BucketLow(b)), b) << b;
  }
}

TEST(HistogramTest, PercentilesOfUniformValuesAreWithinBucketPrecision) {
  Histogram h;
  for (uint64_t v = 1; v <= 100000; v++) h.Add(v * 10);  // 10 ns .. 1 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 10u);
  EXPECT_EQ(h.max(), 1000000u);
  EXPECT_NEAR(h.Average(), 500005.0, 1.0);
  // True p50 = 500,000 and p99 = 990,000; buckets are 12.5% wide.
  EXPECT_NEAR(h.Percentile(50), 500000.0, 500000.0 * 0.125);
  EXPECT_NEAR(h.Percentile(99), 990000.0, 990000.0 * 0.125);
  EXPECT_LE(h.Percentile(100), 1000000.0);
  EXPECT_GE(h.Percentile(0.001), 10.0);
}

TEST(HistogramTest, SkewedDistributionSeparatesP50FromP99) {
  Histogram h;
  for (int i = 0; i < 980; i++) h.Add(1000);
  for (int i = 0; i < 20; i++) h.Add(1000000);
  EXPECT_NEAR(h.Percentile(50), 1000.0, 125.0);
  EXPECT_NEAR(h.Percentile(99), 1000000.0, 125000.0);
}

TEST(HistogramTest, MergeEqualsAddingEverything) {
  Histogram a, b, all;
  for (uint64_t v = 1; v < 5000; v += 3) {
    a.Add(v);
    all.Add(v);
  }
  for (uint64_t v = 100000; v < 200000; v += 7) {
    b.Add(v);
    all.Add(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.Percentile(p), all.Percentile(p));
  a.Clear();
  EXPECT_EQ(a.count(), 0u);
}

}  // namespace
}  // namespace jadedb::bench
