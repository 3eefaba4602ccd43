#include "bplustree/snapshot_iterator.h"

#include <utility>

#include "bplustree/storage_engine.h"

namespace jadedb::bplustree {

SnapshotIterator::SnapshotIterator(Tree* tree, const ReadOptions& options,
                                   std::shared_ptr<UndoOverlay> overlay,
                                   std::function<void()> on_destroy, const StorageEngine* engine)
    : raw_(tree, options),
      lower_(options.lower_bound),
      upper_(options.upper_bound),
      overlay_(std::move(overlay)),
      on_destroy_(std::move(on_destroy)),
      engine_(engine) {
  ReadsAllowed();
}

bool SnapshotIterator::ReadsAllowed() {
  if (fenced_.ok()) {
    if (engine_ == nullptr) return true;
    Status error = engine_->read_error();
    if (error.ok()) return true;
    fenced_ = std::move(error);
  }
  valid_ = false;
  return false;
}

SnapshotIterator::~SnapshotIterator() {
  if (on_destroy_) on_destroy_();
}

bool SnapshotIterator::InBounds(std::string_view k) const {
  return !(lower_ && k < *lower_) && !(upper_ && k >= *upper_);
}

void SnapshotIterator::FindForward(const std::string& floor, bool exclusive) {
  forward_ = true;
  if (!overlay_->nonempty.load(std::memory_order_acquire)) {
    // Nothing changed since creation: the tree alone decides.
    while (raw_.Valid()) {
      std::string_view k = raw_.key();
      if (!(exclusive ? k <= floor : k < floor)) break;
      raw_.Next();
    }
    from_raw_ = true;
    valid_ = raw_.Valid();
    return;
  }
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
  if (!overlay_->nonempty.load(std::memory_order_acquire)) {
    while (raw_.Valid()) {
      std::string_view k = raw_.key();
      if (!(ceil != nullptr && (exclusive ? k >= *ceil : k > *ceil))) break;
      raw_.Prev();
    }
    from_raw_ = true;
    valid_ = raw_.Valid();
    return;
  }
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
  if (!ReadsAllowed()) return;
  raw_.SeekToFirst();
  FindForward(lower_.value_or(""), false);
}

void SnapshotIterator::Seek(std::string_view target) {
  if (!ReadsAllowed()) return;
  // Copied first: target may view this iterator's current key, which the seek replaces.
  std::string floor(target);
  raw_.Seek(floor);
  if (lower_ && floor < *lower_) floor = *lower_;
  FindForward(floor, false);
}

void SnapshotIterator::SeekToLast() {
  if (!ReadsAllowed()) return;
  raw_.SeekToLast();
  FindBackward(upper_ ? &*upper_ : nullptr, upper_.has_value());
}

void SnapshotIterator::SeekForPrev(std::string_view target) {
  if (!ReadsAllowed()) return;
  std::string ceil(target);  // copied first, as in Seek
  raw_.SeekForPrev(ceil);
  if (upper_ && ceil >= *upper_) {
    FindBackward(&*upper_, true);
  } else {
    FindBackward(&ceil, false);
  }
}

void SnapshotIterator::Next() {
  if (!valid_ || !ReadsAllowed()) return;
  if (forward_ && from_raw_) {
    // The tree cursor is at cur: step it, then consult the overlay (after the read, see
    // UndoOverlay::nonempty). With nothing recorded the tree's next key is the answer. The
    // current key is copied only when the step may replace the leaf copy it views (once per
    // leaf on a plain scan, not once per entry).
    const std::string_view prev = raw_.key();
    const bool same_leaf = raw_.NextStaysInLeaf();
    if (!same_leaf) cur_.assign(prev);
    raw_.Next();
    if (!overlay_->nonempty.load(std::memory_order_acquire)) {
      valid_ = raw_.Valid();
      return;
    }
    if (same_leaf) cur_.assign(prev);
    FindForward(cur_, true);
    return;
  }
  cur_.assign(key());
  // Realign the tree cursor just after cur.
  raw_.Seek(cur_);
  FindForward(cur_, true);
}

void SnapshotIterator::Prev() {
  if (!valid_ || !ReadsAllowed()) return;
  cur_.assign(key());
  if (forward_ || !from_raw_) raw_.SeekForPrev(cur_);
  FindBackward(&cur_, true);
}

}  // namespace jadedb::bplustree
