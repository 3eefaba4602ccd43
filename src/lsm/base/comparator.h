// Comparator: the total order of keys inside the LSM engine's blocks and tables. User keys
// are ordered bytewise; internal keys (user key + sequence + type) use InternalKeyComparator
// (dbformat.h). Implementations are stateless and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace jadedb::lsm {

class Comparator {
 public:
  virtual ~Comparator() = default;
  // <0, 0, >0 as a is before, equal to, after b.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;
  // Recorded in tables and the manifest; opening with a differently named comparator fails.
  virtual const char* Name() const = 0;
  // Shortens *start to a key in [*start, limit) when possible (index-block separators).
  virtual void FindShortestSeparator(std::string* start, std::string_view limit) const = 0;
  // Changes *key to a short key >= *key.
  virtual void FindShortSuccessor(std::string* key) const = 0;

  // True for an InternalKeyComparator over BytewiseComparator(). Hot loops (block seeks,
  // merges) test it once and then compare with CompareBytewiseInternalKeys (dbformat.h)
  // inline instead of through two virtual calls.
  bool is_bytewise_internal() const { return bytewise_internal_; }

 protected:
  // Set only by InternalKeyComparator.
  bool bytewise_internal_ = false;
};

// Unsigned lexicographic byte order (memcmp). A singleton; never deleted.
const Comparator* BytewiseComparator();

// memcmp(a, b, n) by sign. Eight bytes at a time in registers (a byte swap makes the first
// differing byte decide), so typical 8..24-byte keys never pay for a call into libc's memcmp,
// which was a fifth of a memtable lookup.
inline int CompareBytes(const char* a, const char* b, size_t n) {
  for (; n >= 8; a += 8, b += 8, n -= 8) {
    uint64_t x;
    uint64_t y;
    std::memcpy(&x, a, 8);  // little-endian loads (JadeDB assumes a little-endian host)
    std::memcpy(&y, b, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : +1;
  }
  return n == 0 ? 0 : std::memcmp(a, b, n);
}

// BytewiseComparator()->Compare(a, b), inline.
inline int CompareBytewise(std::string_view a, std::string_view b) {
  const int r = CompareBytes(a.data(), b.data(), a.size() < b.size() ? a.size() : b.size());
  if (r != 0 || a.size() == b.size()) return r;
  return a.size() < b.size() ? -1 : +1;
}

}  // namespace jadedb::lsm
