#include "bplustree/iterator.h"

namespace jadedb::bplustree {

TreeIterator::TreeIterator(Tree* tree, const ReadOptions& options)
    : tree_(tree), lower_(options.lower_bound), upper_(options.upper_bound) {}

void TreeIterator::Settle(Status s) {
  status_ = s;
  leaves_loaded_++;
  valid_ = s.ok() && leaf_.id != kInvalidPageId && pos_ < leaf_.size();
  if (!valid_) return;
  const std::string_view k = leaf_.key(pos_);
  if ((upper_ && k >= *upper_) || (lower_ && k < *lower_)) valid_ = false;
}

void TreeIterator::Forward(std::string_view target, bool exclusive) {
  if (lower_ && target < *lower_) {
    target = *lower_;
    exclusive = false;
  }
  // target may view this iterator's own leaf copy (Seek(key())), which the seek overwrites.
  seek_key_.assign(target);
  Settle(tree_->SeekForward(seek_key_, exclusive, &leaf_, &pos_, &scan_));
}

void TreeIterator::Backward(const std::string* target, bool exclusive) {
  if (upper_ && (target == nullptr || *target >= *upper_)) {
    target = &*upper_;
    exclusive = true;
  }
  if (target != nullptr) {
    seek_key_.assign(*target);
    target = &seek_key_;
  }
  Settle(tree_->SeekBackward(target, exclusive, &leaf_, &pos_, &scan_));
}

void TreeIterator::SeekToFirst() { Forward("", false); }
void TreeIterator::SeekToLast() { Backward(nullptr, false); }
void TreeIterator::Seek(std::string_view target) { Forward(target, false); }

void TreeIterator::SeekForPrev(std::string_view target) {
  std::string t(target);
  Backward(&t, false);
}

void TreeIterator::Next() {
  if (!valid_) return;
  if (pos_ + 1 < leaf_.size()) {
    pos_++;
    valid_ = !(upper_ && leaf_.key(pos_) >= *upper_);
    return;
  }
  Settle(tree_->StepForward(&leaf_, &pos_, &scan_));
}

void TreeIterator::Prev() {
  if (!valid_) return;
  if (pos_ > 0) {
    pos_--;
    valid_ = !(lower_ && leaf_.key(pos_) < *lower_);
    return;
  }
  Settle(tree_->StepBackward(&leaf_, &pos_, &scan_));
}

}  // namespace jadedb::bplustree
