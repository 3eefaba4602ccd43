// Block: a read-only, parsed block (data, index, metaindex or properties) in the layout
// BlockBuilder writes (docs/formats/sstable.md), and its iterator.
//
// The restart array is validated when the Block is built; a damaged one (or damaged entries
// met while iterating) makes the iterator invalid with a Corruption status naming the file
// and block offset, never an out-of-bounds read. Thread-safe: a Block is immutable and may
// be iterated by several threads, each with its own iterator.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "jadedb/status.h"
#include "lsm/base/comparator.h"
#include "lsm/base/iterator.h"
#include "lsm/sstable/format.h"

namespace jadedb::lsm {

class BlockCursor;

class Block {
 public:
  // Takes ownership of the contents (or of the view and its backing); checks the restart
  // array (see NewIterator).
  explicit Block(BlockContents contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Bytes of block contents.
  size_t size() const { return contents_.data.size(); }
  // False when the block views a memory-mapped file rather than holding its bytes on the heap
  // (then its bytes are the OS page cache's, and a block cache charges only this object).
  bool OwnsContents() const { return contents_.owned != nullptr; }
  // Entries in the block's restart array (0 when malformed).
  uint32_t NumRestarts() const { return num_restarts_; }

  // Iterator over the block's entries in `comparator` order (the order they were added in).
  // file_name (which must outlive the iterator) and block_offset name the block in Corruption
  // messages. The block must outlive the iterator.
  std::unique_ptr<InternalIterator> NewIterator(const Comparator* comparator,
                                                std::string_view file_name = {},
                                                uint64_t block_offset = 0) const;

 private:
  friend class BlockCursor;
  class Iter;

  BlockContents contents_;
  uint32_t restart_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

// The positioning logic of a block iterator as a plain (non-virtual, non-allocating) object,
// so that a point lookup can seek a block with a cursor on its stack instead of a heap
// iterator. Same contract as Block::NewIterator's iterator (a malformed block gives a cursor
// that is never valid, with a Corruption status). The block and file_name must outlive it.
class BlockCursor {
 public:
  BlockCursor(const Block* block, const Comparator* comparator, std::string_view file_name = {},
              uint64_t block_offset = 0);
  BlockCursor(const BlockCursor&) = delete;
  BlockCursor& operator=(const BlockCursor&) = delete;

  bool Valid() const { return current_ < restarts_; }
  const Status& status() const { return status_; }
  // Valid until the cursor moves or is destroyed.
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

  void Seek(std::string_view target);
  // Seek for a caller that already knows where the answer lies: every restart key before
  // restart lo is < target and the key at restart hi (when hi < NumRestarts()) is >= target.
  // Binary-searches only restarts [lo - 1, hi - 1]. Same result as Seek when that holds.
  void SeekWithin(std::string_view target, uint32_t lo, uint32_t hi);
  // The restart block the current entry is in. In a block with a restart point at every
  // entry (an index block), that is the entry's position in the block.
  uint32_t restart_index() const { return restart_index_; }
  // Positions on the first entry of restart block `index` (invalid when index >=
  // NumRestarts()). In an index block, entry number `index`.
  void SeekToRestart(uint32_t index);
  void SeekToFirst();
  void SeekToLast();
  void Next();
  void Prev();

 private:
  // A key rebuilt from a prefix-compressed entry. Keys up to kInline bytes (the usual case)
  // never touch the heap, so a cursor on the stack costs no allocation.
  static constexpr size_t kInline = 64;

  uint32_t RestartPoint(uint32_t index) const;
  // Seek's body: binary search for the last restart point in [left, right] whose key is <
  // target (left when none), then the linear scan from it.
  void SeekRange(std::string_view target, uint32_t left, uint32_t right);
  uint32_t NextEntryOffset() const {
    return static_cast<uint32_t>((value_.data() + value_.size()) - data_);
  }
  void SeekToRestartPoint(uint32_t index);
  void MarkInvalid();
  void CorruptionError(std::string_view what);
  bool ParseNextKey();
  // Makes the key buffer hold at least n bytes, keeping the first `keep` bytes of key_.
  void GrowKeyBuffer(size_t n, size_t keep);
  // Seek's linear scan from restart point `index` for bytewise-ordered internal keys.
  void ScanBytewiseInternal(uint32_t index, std::string_view target);
  // Makes the entry at offset (its key delta at p, sharing `shared` bytes with target) the
  // current one, with key target[0, shared) + delta; restart_index_ is at or before it.
  void SetCurrentFromTarget(uint32_t offset, const char* p, uint32_t shared, uint32_t non_shared,
                            uint32_t value_length, std::string_view target);

  const Comparator* const comparator_;
  const char* const data_;
  const size_t size_;
  const uint32_t restarts_;  // offset of the restart array: entries end there
  const uint32_t num_restarts_;

  uint32_t current_;        // offset of the current entry; restarts_ when not valid
  uint32_t restart_index_;  // the restart block current_ is in
  uint32_t next_restart_;   // offset where restart block restart_index_ + 1 begins
  // The current key: points into the block when the entry shares no prefix (no copy), else
  // into key_buf_.
  std::string_view key_;
  std::string_view value_;
  Status status_;
  const std::string_view file_name_;
  const uint64_t block_offset_;
  char* key_buf_ = inline_key_;
  size_t key_buf_size_ = kInline;
  std::unique_ptr<char[]> heap_key_;
  char inline_key_[kInline];
};

}  // namespace jadedb::lsm
