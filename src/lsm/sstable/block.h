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

#include "lsm/base/comparator.h"
#include "lsm/base/iterator.h"
#include "lsm/sstable/format.h"

namespace jadedb::lsm {

class Block {
 public:
  // Takes ownership of the contents; checks the restart array (see NewIterator).
  explicit Block(BlockContents contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  // Bytes of block contents (what a block cache charges).
  size_t size() const { return contents_.data.size(); }
  // Entries in the block's restart array (0 when malformed).
  uint32_t NumRestarts() const { return num_restarts_; }

  // Iterator over the block's entries in `comparator` order (the order they were added in).
  // file_name (which must outlive the iterator) and block_offset name the block in Corruption
  // messages. The block must outlive the iterator.
  std::unique_ptr<InternalIterator> NewIterator(const Comparator* comparator,
                                                std::string_view file_name = {},
                                                uint64_t block_offset = 0) const;

 private:
  class Iter;

  BlockContents contents_;
  uint32_t restart_offset_ = 0;  // where the restart array starts
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

}  // namespace jadedb::lsm
