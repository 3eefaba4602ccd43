#include "keygen.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

namespace jadedb::bench {

void FormatKey(uint64_t index, bool missing, char* out) {
  for (int i = static_cast<int>(kKeySize) - 2; i >= 0; i--) {
    out[i] = static_cast<char>('0' + index % 10);
    index /= 10;
  }
  out[kKeySize - 1] = missing ? '5' : '0';
}

std::string MakeKey(uint64_t index) {
  std::string key(kKeySize, '\0');
  FormatKey(index, false, key.data());
  return key;
}

std::string MakeMissingKey(uint64_t index) {
  std::string key(kKeySize, '\0');
  FormatKey(index, true, key.data());
  return key;
}

std::vector<uint32_t> Permutation(uint32_t n, uint64_t seed) {
  std::vector<uint32_t> v(n);
  for (uint32_t i = 0; i < n; i++) v[i] = i;
  Random64 rng(seed);
  for (uint32_t i = n; i > 1; i--) std::swap(v[i - 1], v[rng.Uniform(i)]);
  return v;
}

ValueGenerator::ValueGenerator(uint64_t seed) {
  // 1 MiB + a bit, built from 100-byte pieces: 50 random printable bytes, then those 50 again.
  constexpr size_t kSize = (1 << 20) + 16 * 1024;
  Random64 rng(seed);
  while (data_.size() < kSize) {
    char raw[50];
    for (char& c : raw) c = static_cast<char>(' ' + rng.Uniform(95));
    data_.append(raw, sizeof(raw));
    data_.append(raw, sizeof(raw));
  }
}

std::string_view ValueGenerator::Next(size_t len) {
  if (pos_ + len > data_.size()) pos_ = 0;
  std::string_view v(data_.data() + pos_, len);
  pos_ += 97;  // Shifts each value's contents against the last one.
  return v;
}

Zipfian::Zipfian(uint64_t items, double theta) : theta_(theta) {
  zeta2_ = 1.0 + std::pow(0.5, theta_);
  alpha_ = 1.0 / (1.0 - theta_);
  Grow(items);
}

void Zipfian::Grow(uint64_t items) {
  for (uint64_t i = items_ + 1; i <= items; i++) zetan_ += 1.0 / std::pow(double(i), theta_);
  if (items > items_) items_ = items;
  Recompute();
}

void Zipfian::Recompute() {
  double n = static_cast<double>(items_);
  eta_ = (1.0 - std::pow(2.0 / n, 1.0 - theta_)) / (1.0 - zeta2_ / zetan_);
}

uint64_t Zipfian::Next(Random64* rng) const {
  double u = rng->NextDouble();
  double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < zeta2_ && items_ > 1) return 1;
  double n = static_cast<double>(items_);
  auto item = static_cast<uint64_t>(n * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return std::min(item, items_ - 1);
}

uint64_t FnvHash64(uint64_t v) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (int i = 0; i < 8; i++) {
    hash ^= v & 0xff;
    hash *= 0x100000001b3ull;
    v >>= 8;
  }
  return hash;
}

uint64_t ScrambledZipfian::Next(Random64* rng) const {
  return FnvHash64(zipf_.Next(rng)) % zipf_.items();
}

}  // namespace jadedb::bench
