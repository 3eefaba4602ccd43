// Iterator: an ordered cursor over the key/value pairs of a DB (or of a snapshot of it).
//
// Keys are ordered bytewise (unsigned lexicographic, as memcmp). An iterator sees one
// consistent state of the database: the snapshot given in ReadOptions, or the state when it
// was created. Not thread-safe: use one iterator from one thread at a time (several iterators
// on one DB may be used concurrently). The DB must outlive its iterators.
#pragma once

#include <string_view>

#include "jadedb/status.h"

namespace jadedb {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator() = default;

  // True when positioned at an entry. When false, status() tells whether iteration ended
  // normally (OK) or because of an error.
  virtual bool Valid() const = 0;

  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Positions at the first key >= target.
  virtual void Seek(std::string_view target) = 0;
  // Positions at the last key <= target.
  virtual void SeekForPrev(std::string_view target) = 0;
  // Require Valid().
  virtual void Next() = 0;
  virtual void Prev() = 0;

  // Require Valid(). The returned views stay valid until the iterator is moved.
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;

  virtual Status status() const = 0;
};

}  // namespace jadedb
