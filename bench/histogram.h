// Histogram: latency distribution of one benchmark run, log-bucketed so percentiles cost
// O(buckets) and recording costs a few instructions. Each power of two is split into 8
// linear sub-buckets, so a percentile is within 12.5% of the true value (it is interpolated
// inside its bucket, and clamped to the observed min/max).
//
// Not thread-safe: give each thread its own Histogram and Merge them afterwards.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace jadedb::bench {

class Histogram {
 public:
  // Records one sample, in nanoseconds.
  void Add(uint64_t nanos);
  void Merge(const Histogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double Average() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The p-th percentile (0 < p <= 100) in nanoseconds; 0 when empty.
  double Percentile(double p) const;

  // Exposed for tests: the bucket a value falls in, and the bucket's [low, high) range.
  static int BucketFor(uint64_t nanos);
  static uint64_t BucketLow(int bucket);
  static uint64_t BucketHigh(int bucket);

  static constexpr int kSubBits = 3;
  static constexpr int kBuckets = (65 - kSubBits) << kSubBits;  // Up to UINT64_MAX.

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace jadedb::bench
