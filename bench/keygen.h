// Key and value generators for jadedb-bench: fixed-size keys from an index, half-compressible
// values (like db_bench's compression ratio 0.5), a fast seeded PRNG, permutations, and the
// YCSB request distributions (zipfian, scrambled zipfian, latest).
//
// Not thread-safe: each thread owns its generators (seed them differently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jadedb::bench {

// Keys are kKeySize bytes: 15 decimal digits of the index and a final '0'. A "missing" key
// for the same index ends in '5' instead: it sorts between present keys, so no engine can
// reject it from a file's key range alone.
inline constexpr size_t kKeySize = 16;
void FormatKey(uint64_t index, bool missing, char* out);
std::string MakeKey(uint64_t index);
std::string MakeMissingKey(uint64_t index);

// splitmix64: fast, statistically good enough for picking keys.
class Random64 {
 public:
  explicit Random64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  // Uniform in [0, 1).
  double NextDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// A random permutation of [0, n).
std::vector<uint32_t> Permutation(uint32_t n, uint64_t seed);

// Values of any length whose bytes are half random printable characters and half repeats of
// them, so a compressor shrinks them to about 50%.
class ValueGenerator {
 public:
  explicit ValueGenerator(uint64_t seed);
  // A value of `len` bytes (len <= 1 MiB); valid until the next call.
  std::string_view Next(size_t len);

 private:
  std::string data_;
  size_t pos_ = 0;
};

// YCSB's zipfian generator (Gray et al., "Quickly generating billion-record synthetic
// databases"): item 0 is the most popular, item i has weight 1/(i+1)^theta.
class Zipfian {
 public:
  static constexpr double kTheta = 0.99;  // YCSB's default zipfian constant.
  explicit Zipfian(uint64_t items, double theta = kTheta);
  // An item in [0, items).
  uint64_t Next(Random64* rng) const;
  // Extends the item count (incremental zeta, as YCSB does for the latest distribution).
  void Grow(uint64_t items);
  uint64_t items() const { return items_; }
  // zeta(items, theta): the normalizer; P(item 0) = 1 / zeta.
  double zeta() const { return zetan_; }

 private:
  void Recompute();
  uint64_t items_ = 0;
  double theta_;
  double alpha_ = 0, zetan_ = 0, zeta2_ = 0, eta_ = 0;
};

// Zipfian popularity with the popular items spread over the key space by a hash (YCSB's
// ScrambledZipfianGenerator, used for workloads a, b, c, e, f).
class ScrambledZipfian {
 public:
  explicit ScrambledZipfian(uint64_t items) : zipf_(items) {}
  uint64_t Next(Random64* rng) const;

 private:
  Zipfian zipf_;
};

// Recently inserted items are the most popular (YCSB's SkewedLatestGenerator, workload d).
class LatestGenerator {
 public:
  explicit LatestGenerator(uint64_t items) : zipf_(items) {}
  // An item in [0, items), counting back from the newest.
  uint64_t Next(Random64* rng) const { return zipf_.items() - 1 - zipf_.Next(rng); }
  // Call after inserting item `items - 1`.
  void SetItems(uint64_t items) { zipf_.Grow(items); }

 private:
  Zipfian zipf_;
};

// 64-bit FNV-1a of the 8 bytes of v (YCSB's fnvhash64).
uint64_t FnvHash64(uint64_t v);

}  // namespace jadedb::bench
