#include "lsm/sstable/filter_block.h"

namespace jadedb::lsm {

FilterBlockBuilder::FilterBlockBuilder(const FilterPolicy* policy) : policy_(policy) {}

void FilterBlockBuilder::AddKey(std::string_view key) {
  key_starts_.push_back(keys_.size());
  keys_.append(key.data(), key.size());
}

std::string_view FilterBlockBuilder::Finish() {
  // Views into keys_ are taken only now, when keys_ no longer grows.
  std::vector<std::string_view> keys;
  keys.reserve(key_starts_.size());
  for (size_t i = 0; i < key_starts_.size(); i++) {
    const size_t end = (i + 1 < key_starts_.size()) ? key_starts_[i + 1] : keys_.size();
    keys.emplace_back(keys_.data() + key_starts_[i], end - key_starts_[i]);
  }
  result_.clear();
  policy_->CreateFilter(keys, &result_);
  return result_;
}

}  // namespace jadedb::lsm
