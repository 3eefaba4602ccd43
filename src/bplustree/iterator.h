// TreeIterator: the public jadedb::Iterator over a B+tree, with optional [lower, upper)
// bounds. It holds no latch between calls: each positioning copies one leaf (entries with
// overflow values resolved) under the leaf's shared latch, and moving past either end of that
// copy re-seeks from the root by the last key returned. So it never blocks writers for long,
// never deadlocks with them, and stays correct while other threads write (each key is seen
// at most once, in order; a key written after the iterator passed it is not seen).
// Sequential leaf access feeds the Prefetcher's read-ahead.
//
// Not thread-safe (one iterator, one thread), as the public Iterator contract says.
#pragma once

#include <optional>
#include <string>

#include "bplustree/prefetcher.h"
#include "bplustree/tree.h"
#include "jadedb/iterator.h"
#include "jadedb/options.h"

namespace jadedb::bplustree {

class TreeIterator final : public Iterator {
 public:
  TreeIterator(Tree* tree, const ReadOptions& options);

  bool Valid() const override { return valid_; }
  void SeekToFirst() override;
  void SeekToLast() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void Next() override;
  void Prev() override;
  std::string_view key() const override { return leaf_.key(pos_); }
  // True when Next() will only move within the current leaf copy, so views of the current
  // key and value stay valid across it.
  bool NextStaysInLeaf() const { return valid_ && pos_ + 1 < leaf_.size(); }
  std::string_view value() const override { return leaf_.value(pos_); }
  Status status() const override { return status_; }

  // Leaves copied so far (tests).
  uint64_t leaves_loaded() const { return leaves_loaded_; }

 private:
  void Forward(std::string_view target, bool exclusive);
  void Backward(const std::string* target, bool exclusive);
  // Sets valid_ from the loaded leaf and the bounds.
  void Settle(Status s);

  Tree* const tree_;
  std::optional<std::string> lower_, upper_;
  LeafSnapshot leaf_;
  std::string seek_key_;  // the target of the current seek, owned (reused between seeks)
  size_t pos_ = 0;
  bool valid_ = false;
  Status status_;
  Prefetcher::ScanState scan_;
  uint64_t leaves_loaded_ = 0;
};

}  // namespace jadedb::bplustree
