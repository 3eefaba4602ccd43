// Merging iterator (merging_iterator.h).
//
// A linear scan over the children's cached keys picks the smallest (forward) or largest
// (reverse) current key; with the handful of children an LSM read merges (memtables + L0
// files + one per level) this beats a heap's bookkeeping.
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
      : comparator_(comparator),
        bytewise_(comparator->is_bytewise_internal()),
        owned_(std::move(children)),
        children_(owned_.size()) {
    for (size_t i = 0; i < owned_.size(); i++) children_[i].iter = owned_[i].get();
  }

  bool Valid() const override { return current_ != nullptr; }
  std::string_view key() const override { return current_->key; }
  std::string_view value() const override { return current_->iter->value(); }

  Status status() const override {
    for (const auto& child : owned_) {
      Status s = child->status();
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void SeekToFirst() override {
    for (Child& child : children_) {
      child.iter->SeekToFirst();
      child.Update();
    }
    FindSmallest();
    direction_ = kForward;
  }

  void SeekToLast() override {
    for (Child& child : children_) {
      child.iter->SeekToLast();
      child.Update();
    }
    FindLargest();
    direction_ = kReverse;
  }

  void Seek(std::string_view target) override {
    for (Child& child : children_) {
      child.iter->Seek(target);
      child.Update();
    }
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
        Child& child = children_[i];
        if (&child == current_) continue;
        child.iter->Seek(k);
        if (i < current_index_) {
          while (child.iter->Valid() && Compare(child.iter->key(), k) == 0) child.iter->Next();
        }
        child.Update();
      }
      direction_ = kForward;
    }
    current_->iter->Next();
    current_->Update();
    // Runs of keys usually come from one child: while the current child's next key still
    // sorts before every other child's (all unmoved, so second_ is still the smallest of
    // them), it stays current after one comparison instead of a scan.
    if (current_->valid && second_valid_ &&
        (second_ == nullptr || Before(*current_, current_index_, *second_, second_index_))) {
      return;
    }
    FindSmallest();
  }

  void Prev() override {
    if (!Valid()) return;
    if (direction_ != kReverse) {
      // Mirror image of Next: the last key <= key() for children before the current one, the
      // last key < key() for children after it.
      const std::string_view k = key();
      for (size_t i = 0; i < children_.size(); i++) {
        Child& child = children_[i];
        if (&child == current_) continue;
        child.iter->Seek(k);
        if (i < current_index_) {
          while (child.iter->Valid() && Compare(child.iter->key(), k) == 0) child.iter->Next();
        }
        if (child.iter->Valid()) {
          child.iter->Prev();
        } else {
          child.iter->SeekToLast();  // every key of the child is before k
        }
        child.Update();
      }
      direction_ = kReverse;
    }
    current_->iter->Prev();
    current_->Update();
    FindLargest();
  }

 private:
  enum Direction { kForward, kReverse };

  // A child with its validity and key cached: a child's key stays valid until the child
  // moves, and each step moves one child, so picking the next entry makes no virtual calls.
  struct Child {
    InternalIterator* iter = nullptr;
    std::string_view key;
    bool valid = false;
    void Update() {
      valid = iter->Valid();
      if (valid) key = iter->key();
    }
  };

  int Compare(std::string_view a, std::string_view b) const {
    if (bytewise_ && a.size() >= 8 && b.size() >= 8) return CompareBytewiseInternalKeys(a, b);
    return comparator_->Compare(a, b);
  }

  // True when child a (at index ia) yields before child b (at ib): smaller key, or the same
  // key and a lower index.
  bool Before(const Child& a, size_t ia, const Child& b, size_t ib) const {
    const int c = Compare(a.key, b.key);
    return c < 0 || (c == 0 && ia < ib);
  }

  // Smallest key; the lowest child index wins ties. Also finds the runner-up (second_).
  void FindSmallest() {
    Child* smallest = nullptr;
    size_t index = 0;
    Child* second = nullptr;
    size_t second_index = 0;
    for (size_t i = 0; i < children_.size(); i++) {
      Child* child = &children_[i];
      if (!child->valid) continue;
      if (smallest == nullptr) {
        smallest = child;
        index = i;
      } else if (Compare(child->key, smallest->key) < 0) {
        second = smallest;
        second_index = index;
        smallest = child;
        index = i;
      } else if (second == nullptr || Compare(child->key, second->key) < 0) {
        second = child;
        second_index = i;
      }
    }
    current_ = smallest;
    current_index_ = index;
    second_ = second;
    second_index_ = second_index;
    second_valid_ = true;
  }

  // Largest key; the highest child index wins ties.
  void FindLargest() {
    Child* largest = nullptr;
    size_t index = 0;
    for (size_t i = children_.size(); i-- > 0;) {
      Child* child = &children_[i];
      if (!child->valid) continue;
      if (largest == nullptr || Compare(child->key, largest->key) > 0) {
        largest = child;
        index = i;
      }
    }
    current_ = largest;
    current_index_ = index;
    second_valid_ = false;
  }

  const Comparator* const comparator_;
  const bool bytewise_;  // comparator_ orders internal keys bytewise
  std::vector<std::unique_ptr<InternalIterator>> owned_;
  std::vector<Child> children_;  // parallel to owned_
  Child* current_ = nullptr;
  size_t current_index_ = 0;
  // Forward direction, when second_valid_: the child FindSmallest ranked right after
  // current_ (null when no other child is valid).
  Child* second_ = nullptr;
  size_t second_index_ = 0;
  bool second_valid_ = false;
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
