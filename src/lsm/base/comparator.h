// Comparator: the total order of keys inside the LSM engine's blocks and tables. User keys
// are ordered bytewise; internal keys (user key + sequence + type) use InternalKeyComparator
// (dbformat.h). Implementations are stateless and thread-safe.
#pragma once

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
};

// Unsigned lexicographic byte order (memcmp). A singleton; never deleted.
const Comparator* BytewiseComparator();

}  // namespace jadedb::lsm
