// The built-in bloom filters (docs/formats/sstable.md, "Filter block"). Two encodings, told
// apart by the filter's last byte:
//  - cache-local (written by default): lines of 64 bytes | 1 byte k | 1 byte marker 0xCB.
//    The top half of a 64-bit hash picks one line and all k probes, taken from the bottom
//    half, fall inside it, so a lookup touches one cache line instead of k scattered ones
//    (the idea of RocksDB's FastLocalBloom). A full filter of a large table is far bigger
//    than the CPU caches, so each scattered probe of the legacy encoding was a cache miss:
//    ~7 per table a present key is looked up in. The 64-bit hash (Hash64) also fixes the
//    legacy hash's clustering on keys such as decimal counters.
//  - legacy (LevelDB's): bit array of m bits (m >= 64, a multiple of 8) | 1 byte k. Each key
//    sets k bits chosen by double hashing: h = Hash(key), delta = rotr(h, 17), probe i sets
//    bit (h + i * delta) mod m. Still read, so tables written before keep their filters.
// Any other last byte above 30 is reserved for future encodings and matches everything.
#include "lsm/sstable/bloom.h"

#include <algorithm>

#include "util/hash.h"

namespace jadedb::lsm {
namespace {

constexpr uint32_t kBloomHashSeed = 0xbc9f1d34u;
constexpr uint64_t kCacheLocalHashSeed = 0x6a09e667f3bcc908ull;
constexpr unsigned char kCacheLocalMarker = 0xCB;
constexpr size_t kLineBytes = 64;
// Multiplying by the 32-bit golden ratio mixes a hash's bits into its top bits, from which
// the cache-local probes take their 9-bit positions within a 512-bit line.
constexpr uint32_t kGoldenRatio32 = 0x9e3779b9u;

uint32_t BloomHash(std::string_view key) { return Hash(key, kBloomHashSeed); }
uint64_t CacheLocalHash(std::string_view key) { return Hash64(key, kCacheLocalHashSeed); }

// The line of a key among `lines`: the top bits of h scaled to [0, lines) with a multiply
// instead of a division ("fastrange").
size_t LineOf(uint32_t h, size_t lines) { return static_cast<size_t>((uint64_t{h} * lines) >> 32); }

// Sets (when Set) or tests the k probes of h2 (the bottom half of the key's hash) in one
// 64-byte line. Returns false as soon as a tested bit is clear.
template <bool Set, typename Byte>
bool ProbeLine(uint32_t h2, int k, Byte* line) {
  for (int i = 0; i < k; i++) {
    const uint32_t bit = h2 >> 23;  // 0..511
    const unsigned char mask = static_cast<unsigned char>(1u << (bit & 7));
    if constexpr (Set) {
      line[bit >> 3] |= mask;
    } else if ((line[bit >> 3] & mask) == 0) {
      return false;
    }
    h2 *= kGoldenRatio32;
  }
  return true;
}

bool LegacyMayMatch(uint32_t h, std::string_view filter) {
  const size_t bits = (filter.size() - 1) * 8;
  const int k = static_cast<unsigned char>(filter.back());
  const uint32_t delta = (h >> 17) | (h << 15);
  for (int j = 0; j < k; j++) {
    const size_t bitpos = h % bits;
    if ((filter[bitpos / 8] & (1 << (bitpos % 8))) == 0) return false;
    h += delta;
  }
  return true;
}

bool CacheLocalMayMatch(uint64_t h, std::string_view filter) {
  const size_t array_bytes = filter.size() - 2;
  if (array_bytes == 0 || array_bytes % kLineBytes != 0) return true;  // malformed
  const int k = static_cast<unsigned char>(filter[array_bytes]);
  if (k == 0 || k > 30) return true;
  const size_t line = LineOf(static_cast<uint32_t>(h >> 32), array_bytes / kLineBytes);
  const auto* bytes = reinterpret_cast<const unsigned char*>(filter.data());
  return ProbeLine<false>(static_cast<uint32_t>(h), k, bytes + line * kLineBytes);
}

class BloomFilterPolicy final : public FilterPolicy {
 public:
  BloomFilterPolicy(int bits_per_key, BloomFormat format)
      : bits_per_key_(std::max(1, bits_per_key)), format_(format) {
    if (format_ == BloomFormat::kLegacy) {
      // k = bits_per_key * ln(2) minimizes the false-positive rate of a plain bloom filter.
      k_ = std::clamp(static_cast<int>(bits_per_key_ * 0.69), 1, 30);
    } else {
      k_ = CacheLocalProbes(bits_per_key_);
    }
  }

  const char* Name() const override { return "jadedb.BuiltinBloomFilter"; }

  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const override {
    if (format_ == BloomFormat::kLegacy) {
      CreateLegacy(keys, dst);
    } else {
      CreateCacheLocal(keys, dst);
    }
  }

  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    // Malformed filters match everything: a filter may only ever cost a read, never lose a key.
    if (filter.size() < 2) return true;
    const unsigned char last = static_cast<unsigned char>(filter.back());
    if (last == kCacheLocalMarker) return CacheLocalMayMatch(CacheLocalHash(key), filter);
    if (last == 0 || last > 30) return true;  // reserved for other encodings: be safe
    return LegacyMayMatch(BloomHash(key), filter);
  }

 private:
  // A line holds 512 bits, so the best k for a given density differs a little from a plain
  // filter's bits_per_key * ln 2 (it is lower: probes within a line collide more). These
  // are the thresholds RocksDB derived for its cache-local filter, in bits per key.
  static int CacheLocalProbes(int bits_per_key) {
    static constexpr struct {
      int max_bits_per_key;
      int k;
    } kTable[] = {{2, 1},  {3, 2},  {5, 3},  {6, 4},   {8, 5},   {10, 6},
                  {11, 7}, {14, 8}, {16, 9}, {18, 10}, {22, 11}, {25, 12}};
    for (const auto& row : kTable) {
      if (bits_per_key <= row.max_bits_per_key) return row.k;
    }
    return std::min(24, bits_per_key / 2 - 1);
  }

  void CreateCacheLocal(const std::vector<std::string_view>& keys, std::string* dst) const {
    const size_t bits = std::max<size_t>(keys.size() * static_cast<size_t>(bits_per_key_), 1);
    const size_t lines = (bits + kLineBytes * 8 - 1) / (kLineBytes * 8);
    const size_t init_size = dst->size();
    dst->resize(init_size + lines * kLineBytes, 0);
    dst->push_back(static_cast<char>(k_));
    dst->push_back(static_cast<char>(kCacheLocalMarker));
    auto* array = reinterpret_cast<unsigned char*>(dst->data() + init_size);
    for (std::string_view key : keys) {
      const uint64_t h = CacheLocalHash(key);
      ProbeLine<true>(static_cast<uint32_t>(h), k_,
                      array + LineOf(static_cast<uint32_t>(h >> 32), lines) * kLineBytes);
    }
  }

  void CreateLegacy(const std::vector<std::string_view>& keys, std::string* dst) const {
    // Small key counts would give a tiny filter with a high false-positive rate.
    size_t bits = std::max<size_t>(keys.size() * static_cast<size_t>(bits_per_key_), 64);
    const size_t bytes = (bits + 7) / 8;
    bits = bytes * 8;

    const size_t init_size = dst->size();
    dst->resize(init_size + bytes, 0);
    dst->push_back(static_cast<char>(k_));
    char* array = dst->data() + init_size;
    for (std::string_view key : keys) {
      uint32_t h = BloomHash(key);
      const uint32_t delta = (h >> 17) | (h << 15);
      for (int j = 0; j < k_; j++) {
        const size_t bitpos = h % bits;
        array[bitpos / 8] = static_cast<char>(array[bitpos / 8] | (1 << (bitpos % 8)));
        h += delta;
      }
    }
  }

  int bits_per_key_;
  BloomFormat format_;
  int k_;
};

}  // namespace

std::unique_ptr<FilterPolicy> NewBloomFilterPolicy(int bits_per_key, BloomFormat format) {
  return std::make_unique<BloomFilterPolicy>(bits_per_key, format);
}

}  // namespace jadedb::lsm
