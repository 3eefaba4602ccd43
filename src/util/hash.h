// Fast non-cryptographic hashes of bytes. Hash (32-bit, Murmur-style) serves cache sharding
// and the legacy bloom filter; its output is part of that on-disk format: never change it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jadedb {

uint32_t Hash(const char* data, size_t n, uint32_t seed);
inline uint32_t Hash(std::string_view s, uint32_t seed) { return Hash(s.data(), s.size(), seed); }

// A 64-bit hash in which every input bit affects every output bit (Murmur3-style word mixing
// and finalizer). Hash above clusters on keys that differ in a few bytes, such as decimal
// counters (100x the collisions of a random function on 16-byte decimal keys), which raises
// a bloom filter's false-positive rate several fold; the cache-local bloom filter uses this
// one instead. Its output is part of that on-disk format: never change it.
uint64_t Hash64(const char* data, size_t n, uint64_t seed);
inline uint64_t Hash64(std::string_view s, uint64_t seed) {
  return Hash64(s.data(), s.size(), seed);
}

}  // namespace jadedb
