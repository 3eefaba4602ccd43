// InternalIterator: the cursor every LSM component exposes (memtable, block, table, merged
// views). Same shape as the public jadedb::Iterator minus SeekForPrev, plus cleanup hooks so
// an iterator can keep the resources it reads from (a cached block, a version) alive.
//
// Keys are internal keys unless the component says otherwise. Not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "jadedb/status.h"

namespace jadedb::lsm {

class InternalIterator {
 public:
  InternalIterator() = default;
  InternalIterator(const InternalIterator&) = delete;
  InternalIterator& operator=(const InternalIterator&) = delete;
  // Runs the registered cleanups in reverse order of registration.
  virtual ~InternalIterator();

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // First entry with key >= target.
  virtual void Seek(std::string_view target) = 0;
  virtual void Next() = 0;
  virtual void Prev() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual Status status() const = 0;

  // A hint that Seek(target) follows shortly: an iterator may start loading (prefetching)
  // what that Seek will read, without moving. A merging iterator hints all its children
  // before seeking any, so that their cache misses overlap instead of being taken one child
  // after the other. Default: nothing.
  virtual void Prefetch(std::string_view /*target*/) {}

  // Runs fn when this iterator is destroyed.
  void RegisterCleanup(std::function<void()> fn) {
    if (!first_cleanup_) {
      first_cleanup_ = std::move(fn);
    } else {
      more_cleanups_.push_back(std::move(fn));
    }
  }

 private:
  // Most iterators register at most one cleanup (a block's cache release): keeping it inline
  // saves an allocation per block iterator, and every point lookup makes two.
  std::function<void()> first_cleanup_;
  std::vector<std::function<void()>> more_cleanups_;
};

// An iterator over nothing, with the given status.
std::unique_ptr<InternalIterator> NewEmptyIterator();
std::unique_ptr<InternalIterator> NewErrorIterator(const Status& status);

}  // namespace jadedb::lsm
