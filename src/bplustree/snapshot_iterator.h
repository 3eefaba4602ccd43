// SnapshotIterator: the public iterator of BPlusTreeDB. It gives the view the Iterator
// contract promises, the state of the DB when the iterator was created, without copying the
// DB and without blocking writers: the DB registers an UndoOverlay per live iterator, and a
// writer, before it changes a key, records the key's value as of the iterator's creation
// (or its absence) in every live overlay that has none for it yet. The iterator merges the
// current tree (through TreeIterator) with its overlay: for a key in the overlay, the overlay
// decides. Reads of the tree happen before the overlay is consulted, so a key changed at
// any time after creation is always answered from the overlay.
//
// Cost: writers pay one tree lookup per changed key while iterators are live; an overlay
// grows with the distinct keys written during the iterator's life (released with it).
//
// Thread safety: an UndoOverlay is shared by its iterator and writers (own mutex); the
// iterator itself is used by one thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bplustree/iterator.h"
#include "jadedb/iterator.h"

namespace jadedb::bplustree {

class StorageEngine;

struct UndoOverlay {
  std::mutex mu;
  // key -> value at the iterator's creation (nullopt: absent then).
  std::map<std::string, std::optional<std::string>, std::less<>> old;
  // True once old has an entry. Set (release) before the writer changes the tree, so an
  // iterator that reads a leaf and then sees it false (acquire) knows no key of that leaf
  // copy has changed since creation, and may skip the mutex and the map (the common case:
  // a scan with no concurrent writer).
  std::atomic<bool> nonempty{false};

  // Records key's original state unless already recorded.
  void Record(const std::string& key, const std::optional<std::string>& value) {
    std::lock_guard<std::mutex> l(mu);
    old.emplace(key, value);
    nonempty.store(true, std::memory_order_release);
  }
};

class SnapshotIterator final : public Iterator {
 public:
  // on_destroy unregisters the overlay from the DB. With engine, every positioning call
  // first checks engine->read_error() (the WAL failed): the iterator then becomes invalid
  // and status() returns that error, from creation on or from the next call.
  SnapshotIterator(Tree* tree, const ReadOptions& options, std::shared_ptr<UndoOverlay> overlay,
                   std::function<void()> on_destroy, const StorageEngine* engine = nullptr);
  ~SnapshotIterator() override;

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return from_raw_ ? raw_.key() : key_; }
  std::string_view value() const override { return from_raw_ ? raw_.value() : value_; }
  Status status() const override { return fenced_.ok() ? raw_.status() : fenced_; }

 private:
  bool InBounds(std::string_view k) const;
  // False (and the iterator invalid, fenced_ set) once the engine's reads are fenced.
  bool ReadsAllowed();
  // Positions at the first visible key >= floor (> floor when exclusive), raw_ being at or
  // before it.
  void FindForward(const std::string& floor, bool exclusive);
  void FindBackward(const std::string* ceil, bool exclusive);

  TreeIterator raw_;
  std::optional<std::string> lower_, upper_;
  std::shared_ptr<UndoOverlay> overlay_;
  std::function<void()> on_destroy_;
  const StorageEngine* const engine_;
  Status fenced_;  // the engine's read error, once seen
  bool valid_ = false;
  bool forward_ = true;
  bool from_raw_ = false;
  std::string key_, value_;
  std::string cur_;  // Next/Prev scratch: the key being left (reused, no allocation per step)
};

}  // namespace jadedb::bplustree
