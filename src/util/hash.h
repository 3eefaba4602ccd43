// A fast non-cryptographic 32-bit hash of bytes (Murmur-style), used for bloom filters and
// cache sharding. Its output is part of the on-disk bloom filter format: never change it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace jadedb {

uint32_t Hash(const char* data, size_t n, uint32_t seed);
inline uint32_t Hash(std::string_view s, uint32_t seed) { return Hash(s.data(), s.size(), seed); }

}  // namespace jadedb
