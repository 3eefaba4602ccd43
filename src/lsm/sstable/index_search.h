// IndexSearch: a compact, in-memory search array over a pinned index block, built when a
// table is opened, so that a Seek narrows the index to (usually) one entry with a search over
// contiguous 8-byte integers instead of a binary search over the block's restart array.
//
// Why: a 64 MiB table with 4 KiB blocks has ~16k index entries. A binary search over them
// touches two scattered cache lines per probe (the restart offset, then the entry) and
// decodes and compares an internal key at each of ~14 probes; it was about half the per-table
// cost of an iterator Seek. Here each entry is summarized by 8 bytes of its user key, taken
// after the prefix every entry shares (keys of one table often share a long prefix), as a
// big-endian integer: integer order is the user keys' byte order on those 8 bytes. (The last
// entry is left out: the table builder shortens it to a successor of the table's last key,
// which usually shares no prefix with the others; a target past every other entry is
// compared with it directly.) A
// two-level layout (every 16th value in a small top array) keeps the probes of the bottom
// array to one or two cache lines.
//
// Only for index blocks of bytewise-ordered internal keys with a restart point at every entry
// (as TableBuilder writes them). In memory only: the file format is unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/base/comparator.h"
#include "lsm/sstable/block.h"

namespace jadedb::lsm {

class IndexSearch {
 public:
  // Builds the array over `index` (ordered by comparator). Null when the block does not
  // qualify: another comparator, not one restart per entry, an entry that does not parse or a
  // key shorter than an internal key's tag.
  static std::unique_ptr<IndexSearch> Build(const Block& index, const Comparator* comparator);

  // Narrows a seek for internal key target to entries [*lo, *hi]: every entry before *lo has
  // a key < target, and entry *hi (when *hi < NumEntries()) a key > target. So the first
  // entry >= target (NumEntries() when none) is in [*lo, *hi], and when *lo == *hi it is
  // entry *lo, found without reading the block. A target shorter than a tag gives the whole
  // range.
  void Narrow(std::string_view target, uint32_t* lo, uint32_t* hi) const;

  uint32_t NumEntries() const { return num_entries_; }
  // Heap bytes held (for accounting and tests).
  size_t MemoryUsage() const;

 private:
  static constexpr uint32_t kStride = 16;  // keys_ entries per top_ entry

  IndexSearch() = default;
  // The 8 bytes of user_key after the common prefix, zero-padded, as a big-endian integer.
  // Requires user_key to start with the common prefix.
  uint64_t Summary(std::string_view user_key) const;

  uint32_t num_entries_ = 0;
  std::string common_;          // prefix shared by every entry's user key but the last's
  std::vector<uint64_t> keys_;  // Summary of each entry's user key but the last, in order
  std::vector<uint64_t> top_;   // keys_[0], keys_[kStride], keys_[2 * kStride], ...
};

}  // namespace jadedb::lsm
