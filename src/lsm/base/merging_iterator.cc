// Merging iterator (merging_iterator.h).
//
// Forward (the common direction: scans, seeks), the valid children sit in a binary min-heap on
// (key, child index): each step moves the top child and sifts it down, about 2 comparisons per
// heap level, where a linear scan over the children costs about 2 per child. Reverse keeps a
// linear scan for the largest key (rare; no heap to maintain).
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
    for (size_t i = 0; i < owned_.size(); i++) {
      children_[i].iter = owned_[i].get();
      children_[i].index = i;
    }
    if (children_.size() > kInlineHeap) {
      heap_storage_ = std::make_unique<Child*[]>(children_.size());
      heap_ = heap_storage_.get();
    }
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
    BuildHeap();
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
    // Every child's Seek is a chain of dependent cache misses (index, then data block, ...):
    // start every child's first loads before walking any chain.
    for (Child& child : children_) child.iter->Prefetch(target);
    for (Child& child : children_) {
      child.iter->Seek(target);
      child.Update();
    }
    BuildHeap();
    direction_ = kForward;
  }

  void Next() override {
    if (!Valid()) return;
    if (direction_ != kForward) {
      // Every other child is at its last entry before key(); move each to the entry the
      // forward order yields after the current one: the first key > key() for children
      // before the current one, the first key >= key() for children after it.
      const std::string_view k = key();
      for (Child& child : children_) {
        if (&child == current_) continue;
        child.iter->Seek(k);
        if (child.index < current_->index) {
          while (child.iter->Valid() && Compare(child.iter->key(), k) == 0) child.iter->Next();
        }
        child.Update();
      }
      direction_ = kForward;
      // Every other child now yields after current_, which therefore becomes the top.
      BuildHeap();
    }
    // current_ is heap_[0].
    current_->iter->Next();
    current_->Update();
    if (!current_->valid) {
      heap_[0] = heap_[--heap_size_];
      if (heap_size_ > 0) SiftDown(0);
      second_ = 0;
      current_ = heap_size_ == 0 ? nullptr : heap_[0];
      return;
    }
    if (heap_size_ < 2) return;
    // Runs of keys usually come from one child. While it keeps yielding before the smaller
    // of the top's two heap children (unmoved, so their order is remembered in second_), it
    // stays on top after one comparison.
    if (second_ == 0) second_ = heap_size_ > 2 && Before(heap_[2], heap_[1]) ? 2 : 1;
    if (Before(current_, heap_[second_])) return;
    heap_[0] = heap_[second_];
    heap_[second_] = current_;
    SiftDown(second_);
    second_ = 0;
    current_ = heap_[0];
  }

  void Prev() override {
    if (!Valid()) return;
    if (direction_ != kReverse) {
      // Mirror image of Next: the last key <= key() for children before the current one, the
      // last key < key() for children after it.
      const std::string_view k = key();
      for (Child& child : children_) {
        if (&child == current_) continue;
        child.iter->Seek(k);
        if (child.index < current_->index) {
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
  // moves, and each step moves one child, so ordering the children makes no virtual calls.
  struct Child {
    InternalIterator* iter = nullptr;
    std::string_view key;
    size_t index = 0;  // position among the children: breaks ties between equal keys
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

  // True when child a yields before child b going forward: smaller key, or the same key and a
  // lower index.
  bool Before(const Child* a, const Child* b) const {
    const int c = Compare(a->key, b->key);
    return c < 0 || (c == 0 && a->index < b->index);
  }

  // Moves heap_[i] down to its place in the min-heap.
  void SiftDown(size_t i) {
    const size_t n = heap_size_;
    Child* const x = heap_[i];
    while (true) {
      const size_t left = 2 * i + 1;
      if (left >= n) break;
      const size_t right = left + 1;
      const size_t smaller = right < n && Before(heap_[right], heap_[left]) ? right : left;
      if (!Before(heap_[smaller], x)) break;
      heap_[i] = heap_[smaller];
      i = smaller;
    }
    heap_[i] = x;
  }

  // The heap of every valid child; the top is the current entry.
  void BuildHeap() {
    heap_size_ = 0;
    for (Child& child : children_) {
      if (child.valid) heap_[heap_size_++] = &child;
    }
    for (size_t i = heap_size_ / 2; i-- > 0;) SiftDown(i);
    second_ = 0;
    current_ = heap_size_ == 0 ? nullptr : heap_[0];
  }

  // Largest key; the highest child index wins ties.
  void FindLargest() {
    Child* largest = nullptr;
    for (size_t i = children_.size(); i-- > 0;) {
      Child* child = &children_[i];
      if (!child->valid) continue;
      if (largest == nullptr || Compare(child->key, largest->key) > 0) largest = child;
    }
    current_ = largest;
  }

  const Comparator* const comparator_;
  const bool bytewise_;  // comparator_ orders internal keys bytewise
  std::vector<std::unique_ptr<InternalIterator>> owned_;
  std::vector<Child> children_;  // parallel to owned_
  // Forward: min-heap of the valid children, heap_[0, heap_size_) (valid only in the forward
  // direction). Inline for the usual handful of children: one allocation less per iterator.
  static constexpr size_t kInlineHeap = 16;
  Child* inline_heap_[kInlineHeap];
  std::unique_ptr<Child*[]> heap_storage_;
  Child** heap_ = inline_heap_;
  size_t heap_size_ = 0;
  // Forward: which of heap_[1] and heap_[2] yields first (1 or 2), or 0 when not known.
  size_t second_ = 0;
  Child* current_ = nullptr;
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
