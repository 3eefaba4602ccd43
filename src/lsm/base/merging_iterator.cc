// Merging iterator (merging_iterator.h).
//
// A linear scan over the children picks the smallest (forward) or largest (reverse) current
// key; with the handful of children an LSM read merges (memtables + L0 files + one per
// level) this beats a heap's bookkeeping.
//
// Order among equal keys is fixed so both directions agree: forward yields equal keys in
// ascending child index, reverse in descending child index. Switching direction
// repositions every other child relative to the current key with that order in mind.
#include "lsm/base/merging_iterator.h"

#include "lsm/base/dbformat.h"

namespace jadedb::lsm {
namespace {

class MergingIterator final : public InternalIterator {
 public:
  MergingIterator(const Comparator* comparator,
                  std::vector<std::unique_ptr<InternalIterator>> children)
      : comparator_(comparator), children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr; }
  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }

  Status status() const override {
    for (const auto& child : children_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    FindSmallest();
    direction_ = kForward;
  }

  void SeekToLast() override {
    for (auto& child : children_) child->SeekToLast();
    FindLargest();
    direction_ = kReverse;
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    FindSmallest();
    direction_ = kForward;
  }

  void Next() override {
    if (!Valid()) return;
    if (direction_ != kForward) {
      // Every other child is at its last entry before key(); move each to the entry the
      // forward order yields after the current one: the first key > key() for children
      // before the current one, the first key >= key() for children after it.
      const std::string_view k = key();
      for (size_t i = 0; i < children_.size(); i++) {
        InternalIterator* child = children_[i].get();
        if (child == current_) continue;
        child->Seek(k);
        if (i < current_index_) {
          while (child->Valid() && CompareKeys(comparator_, child->key(), k) == 0) child->Next();
        }
      }
      direction_ = kForward;
    }
    current_->Next();
    FindSmallest();
  }

  void Prev() override {
    if (!Valid()) return;
    if (direction_ != kReverse) {
      // Mirror image of Next: the last key <= key() for children before the current one, the
      // last key < key() for children after it.
      const std::string_view k = key();
      for (size_t i = 0; i < children_.size(); i++) {
        InternalIterator* child = children_[i].get();
        if (child == current_) continue;
        child->Seek(k);
        if (i < current_index_) {
          while (child->Valid() && CompareKeys(comparator_, child->key(), k) == 0) child->Next();
        }
        if (child->Valid()) {
          child->Prev();
        } else {
          child->SeekToLast();  // every key of the child is before k
        }
      }
      direction_ = kReverse;
    }
    current_->Prev();
    FindLargest();
  }

 private:
  enum Direction { kForward, kReverse };

  // Smallest key; the lowest child index wins ties.
  void FindSmallest() {
    current_ = nullptr;
    for (size_t i = 0; i < children_.size(); i++) {
      InternalIterator* child = children_[i].get();
      if (!child->Valid()) continue;
      if (current_ == nullptr || CompareKeys(comparator_, child->key(), current_->key()) < 0) {
        current_ = child;
        current_index_ = i;
      }
    }
  }

  // Largest key; the highest child index wins ties.
  void FindLargest() {
    current_ = nullptr;
    for (size_t i = children_.size(); i-- > 0;) {
      InternalIterator* child = children_[i].get();
      if (!child->Valid()) continue;
      if (current_ == nullptr || CompareKeys(comparator_, child->key(), current_->key()) > 0) {
        current_ = child;
        current_index_ = i;
      }
    }
  }

  const Comparator* const comparator_;
  std::vector<std::unique_ptr<InternalIterator>> children_;
  InternalIterator* current_ = nullptr;
  size_t current_index_ = 0;
  Direction direction_ = kForward;
};

}  // namespace

std::unique_ptr<InternalIterator> NewMergingIterator(
    const Comparator* comparator, std::vector<std::unique_ptr<InternalIterator>> children) {
  if (children.empty()) return NewEmptyIterator();
  if (children.size() == 1) return std::move(children[0]);
  return std::make_unique<MergingIterator>(comparator, std::move(children));
}

}  // namespace jadedb::lsm
