#include "bplustree/snapshot_iterator.h"

#include <utility>

namespace jadedb::bplustree {

SnapshotIterator::SnapshotIterator(Tree* tree, const ReadOptions& options,
                                   std::shared_ptr<UndoOverlay> overlay,
                                   std::function<void()> on_destroy)
    : raw_(tree, options),
      lower_(options.lower_bound),
      upper_(options.upper_bound),
      overlay_(std::move(overlay)),
      on_destroy_(std::move(on_destroy)) {}

SnapshotIterator::~SnapshotIterator() {
  if (on_destroy_) on_destroy_();
}

bool SnapshotIterator::InBounds(std::string_view k) const {
  return !(lower_ && k < *lower_) && !(upper_ && k >= *upper_);
}

void SnapshotIterator::FindForward(const std::string& floor, bool exclusive) {
  forward_ = true;
  std::lock_guard<std::mutex> l(overlay_->mu);
  auto& old = overlay_->old;
  // Raw keys the overlay knows about are decided by the overlay.
  while (raw_.Valid()) {
    std::string_view k = raw_.key();
    bool before = exclusive ? k <= floor : k < floor;
    if (!before && old.find(k) == old.end()) break;
    raw_.Next();
  }
  auto it = exclusive ? old.upper_bound(floor) : old.lower_bound(floor);
  while (it != old.end() && !it->second.has_value()) ++it;
  bool have_overlay = it != old.end() && InBounds(it->first);
  if (raw_.Valid() && (!have_overlay || raw_.key() < it->first)) {
    from_raw_ = true;
    valid_ = true;
  } else if (have_overlay) {
    from_raw_ = false;
    key_ = it->first;
    value_ = *it->second;
    valid_ = true;
  } else {
    valid_ = false;
  }
}

void SnapshotIterator::FindBackward(const std::string* ceil, bool exclusive) {
  forward_ = false;
  std::lock_guard<std::mutex> l(overlay_->mu);
  auto& old = overlay_->old;
  while (raw_.Valid()) {
    std::string_view k = raw_.key();
    bool after = ceil != nullptr && (exclusive ? k >= *ceil : k > *ceil);
    if (!after && old.find(k) == old.end()) break;
    raw_.Prev();
  }
  // The last overlay entry with a value that is <= ceil (< when exclusive).
  auto it =
      ceil == nullptr ? old.end() : (exclusive ? old.lower_bound(*ceil) : old.upper_bound(*ceil));
  bool have_overlay = false;
  while (it != old.begin()) {
    --it;
    if (it->second.has_value()) {
      have_overlay = InBounds(it->first);
      break;
    }
  }
  if (raw_.Valid() && (!have_overlay || raw_.key() > it->first)) {
    from_raw_ = true;
    valid_ = true;
  } else if (have_overlay) {
    from_raw_ = false;
    key_ = it->first;
    value_ = *it->second;
    valid_ = true;
  } else {
    valid_ = false;
  }
}

void SnapshotIterator::SeekToFirst() {
  raw_.SeekToFirst();
  FindForward(lower_.value_or(""), false);
}

void SnapshotIterator::Seek(std::string_view target) {
  raw_.Seek(target);
  std::string floor(target);
  if (lower_ && floor < *lower_) floor = *lower_;
  FindForward(floor, false);
}

void SnapshotIterator::SeekToLast() {
  raw_.SeekToLast();
  FindBackward(upper_ ? &*upper_ : nullptr, upper_.has_value());
}

void SnapshotIterator::SeekForPrev(std::string_view target) {
  raw_.SeekForPrev(target);
  std::string ceil(target);
  if (upper_ && ceil >= *upper_) {
    FindBackward(&*upper_, true);
  } else {
    FindBackward(&ceil, false);
  }
}

void SnapshotIterator::Next() {
  if (!valid_) return;
  std::string cur(key());
  if (!forward_ || !from_raw_) {
    // Realign the tree cursor just after cur.
    raw_.Seek(cur);
  }
  FindForward(cur, true);
}

void SnapshotIterator::Prev() {
  if (!valid_) return;
  std::string cur(key());
  if (forward_ || !from_raw_) raw_.SeekForPrev(cur);
  FindBackward(&cur, true);
}

}  // namespace jadedb::bplustree
