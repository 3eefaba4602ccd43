// The built-in bloom filter (docs/formats/sstable.md, "Filter block"):
//   bit array of m bits (m >= 64, a multiple of 8) | 1 byte k (number of probes)
// Each key sets k bits chosen by double hashing: h = Hash(key), delta = rotr(h, 17), probe i
// sets bit (h + i * delta) mod m. A filter whose k byte is above 30 is reserved for future
// encodings and matches everything.
#include "lsm/sstable/bloom.h"

#include <algorithm>

#include "util/hash.h"

namespace jadedb::lsm {
namespace {

constexpr uint32_t kBloomHashSeed = 0xbc9f1d34u;

uint32_t BloomHash(std::string_view key) { return Hash(key, kBloomHashSeed); }

class BloomFilterPolicy final : public FilterPolicy {
 public:
  explicit BloomFilterPolicy(int bits_per_key) : bits_per_key_(std::max(1, bits_per_key)) {
    // k = bits_per_key * ln(2) minimizes the false-positive rate.
    k_ = static_cast<int>(bits_per_key_ * 0.69);
    k_ = std::clamp(k_, 1, 30);
  }

  const char* Name() const override { return "jadedb.BuiltinBloomFilter"; }

  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const override {
    // Small key counts would give a tiny filter with a high false-positive rate.
    size_t bits = std::max<size_t>(keys.size() * bits_per_key_, 64);
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

  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    // Malformed filters match everything: a filter may only ever cost a read, never lose a key.
    if (filter.size() < 2) return true;
    const size_t bits = (filter.size() - 1) * 8;
    const int k = static_cast<unsigned char>(filter.back());
    if (k > 30) return true;  // reserved for other encodings: be safe
    if (k == 0) return true;
    uint32_t h = BloomHash(key);
    const uint32_t delta = (h >> 17) | (h << 15);
    for (int j = 0; j < k; j++) {
      const size_t bitpos = h % bits;
      if ((filter[bitpos / 8] & (1 << (bitpos % 8))) == 0) return false;
      h += delta;
    }
    return true;
  }

 private:
  int bits_per_key_;
  int k_;
};

}  // namespace

std::unique_ptr<FilterPolicy> NewBloomFilterPolicy(int bits_per_key) {
  return std::make_unique<BloomFilterPolicy>(bits_per_key);
}

}  // namespace jadedb::lsm
