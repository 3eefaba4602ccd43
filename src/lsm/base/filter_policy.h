// FilterPolicy: builds a compact summary of a set of keys (a table's bloom filter) and
// answers "may this key be in the set?" with no false negatives. Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jadedb::lsm {

class FilterPolicy {
 public:
  virtual ~FilterPolicy() = default;
  // Recorded in tables ("filter.<Name>" metaindex entry).
  virtual const char* Name() const = 0;
  // Appends a filter for keys to *dst.
  virtual void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const = 0;
  // False only if key was certainly not among the keys the filter was built from.
  virtual bool KeyMayMatch(std::string_view key, std::string_view filter) const = 0;
};

}  // namespace jadedb::lsm
