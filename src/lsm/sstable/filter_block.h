// The table's filter block: one filter (a "full" filter) built by the table's FilterPolicy
// over every key added to the table, stored as the policy's bytes, unchanged
// (docs/formats/sstable.md). The builder is not thread-safe; the reader is immutable and
// thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lsm/base/filter_policy.h"

namespace jadedb::lsm {

class FilterBlockBuilder {
 public:
  // policy must outlive the builder.
  explicit FilterBlockBuilder(const FilterPolicy* policy);
  FilterBlockBuilder(const FilterBlockBuilder&) = delete;
  FilterBlockBuilder& operator=(const FilterBlockBuilder&) = delete;

  void AddKey(std::string_view key);
  // Builds the filter over every key added; valid until the builder is destroyed.
  std::string_view Finish();
  size_t NumKeys() const { return key_starts_.size(); }

 private:
  const FilterPolicy* const policy_;
  std::string keys_;                // all keys, concatenated
  std::vector<size_t> key_starts_;  // where each key starts in keys_
  std::string result_;
};

class FilterBlockReader {
 public:
  // policy and contents must outlive the reader.
  FilterBlockReader(const FilterPolicy* policy, std::string_view contents)
      : policy_(policy), contents_(contents) {}

  // False only when key was certainly not added to the table.
  bool KeyMayMatch(std::string_view key) const { return policy_->KeyMayMatch(key, contents_); }

 private:
  const FilterPolicy* const policy_;
  const std::string_view contents_;
};

}  // namespace jadedb::lsm
