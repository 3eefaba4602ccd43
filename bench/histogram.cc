#include "histogram.h"

#include <algorithm>
#include <bit>

namespace jadedb::bench {

// Values below 2^kSubBits get one bucket each; above, bucket = (exponent, top kSubBits
// mantissa bits after the leading one).
int Histogram::BucketFor(uint64_t v) {
  constexpr uint64_t kLinear = 1 << kSubBits;
  if (v < kLinear) return static_cast<int>(v);
  int exp = 63 - std::countl_zero(v);  // >= kSubBits
  int sub = static_cast<int>((v >> (exp - kSubBits)) & (kLinear - 1));
  return ((exp - kSubBits + 1) << kSubBits) + sub;
}

uint64_t Histogram::BucketLow(int b) {
  constexpr int kLinear = 1 << kSubBits;
  if (b < kLinear) return static_cast<uint64_t>(b);
  int exp = (b >> kSubBits) + kSubBits - 1;
  uint64_t sub = static_cast<uint64_t>(b & (kLinear - 1));
  return (uint64_t{1} << exp) | (sub << (exp - kSubBits));
}

uint64_t Histogram::BucketHigh(int b) {
  if (b + 1 >= kBuckets) return UINT64_MAX;
  return BucketLow(b + 1);
}

void Histogram::Add(uint64_t nanos) {
  buckets_[BucketFor(nanos)]++;
  count_++;
  sum_ += nanos;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void Histogram::Merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; i++) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::Clear() { *this = Histogram(); }

double Histogram::Percentile(double p) const {
  if (count_ == 0) return 0.0;
  double threshold = static_cast<double>(count_) * (p / 100.0);
  double cumulative = 0;
  for (int b = 0; b < kBuckets; b++) {
    if (buckets_[b] == 0) continue;
    double next = cumulative + static_cast<double>(buckets_[b]);
    if (next >= threshold) {
      // Interpolate linearly inside the bucket, then clamp to what was observed.
      double low = static_cast<double>(BucketLow(b));
      double high = static_cast<double>(std::min(BucketHigh(b), max_ + 1));
      double frac = (threshold - cumulative) / static_cast<double>(buckets_[b]);
      double v = low + (high - low) * frac;
      return std::clamp(v, static_cast<double>(min_), static_cast<double>(max_));
    }
    cumulative = next;
  }
  return static_cast<double>(max_);
}

}  // namespace jadedb::bench
