#include "util/hash.h"

#include "util/coding.h"

namespace jadedb {

uint32_t Hash(const char* data, size_t n, uint32_t seed) {
  constexpr uint32_t m = 0xc6a4a793u;
  constexpr uint32_t r = 24;
  const char* limit = data + n;
  uint32_t h = seed ^ static_cast<uint32_t>(n * m);

  while (data + 4 <= limit) {
    uint32_t w = DecodeFixed32(data);
    data += 4;
    h += w;
    h *= m;
    h ^= (h >> 16);
  }
  switch (limit - data) {
    case 3:
      h += static_cast<uint32_t>(static_cast<unsigned char>(data[2])) << 16;
      [[fallthrough]];
    case 2:
      h += static_cast<uint32_t>(static_cast<unsigned char>(data[1])) << 8;
      [[fallthrough]];
    case 1:
      h += static_cast<unsigned char>(data[0]);
      h *= m;
      h ^= (h >> r);
      break;
  }
  return h;
}

namespace {

constexpr uint64_t kMul1 = 0x87c37b91114253d5ull;
constexpr uint64_t kMul2 = 0x4cf5ad432745937full;

uint64_t Rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Murmur3's per-word mixing: spreads a word's bits before it joins the state.
uint64_t MixWord(uint64_t w) { return Rotl64(w * kMul1, 31) * kMul2; }

// Murmur3's finalizer: full avalanche of the state.
uint64_t Fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

}  // namespace

uint64_t Hash64(const char* data, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (static_cast<uint64_t>(n) * kMul2);
  const char* p = data;
  size_t left = n;
  while (left >= 8) {
    h ^= MixWord(DecodeFixed64(p));
    h = Rotl64(h, 27) * 5 + 0x52dce729;
    p += 8;
    left -= 8;
  }
  if (left > 0) {
    uint64_t w = 0;
    for (size_t i = 0; i < left; i++)
      w |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
    h ^= MixWord(w);
  }
  return Fmix64(h);
}

}  // namespace jadedb
