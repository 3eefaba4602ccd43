// NodeHints: sampled key heads of a B+tree node, so a search of a mapped page starts its
// binary search on a sixteenth of the slots (LeanStore's "hints", kept outside the page).
//
// A binary search of a 16 KiB leaf probes ~8 cells, each on its own cache line and most
// missing every cache level: the cells are where a point lookup spends its time. The hints
// hold, for 16 evenly spaced slots, 8 bytes of the slot's key taken after the bytes every key
// of the node shares (up to 8 of them, kept too), so comparing a target with the hints (two
// cache lines, no page access) bounds the position the search needs to a range of ~1/17 of
// the slots, and the search then probes 3 cells instead of 8.
//
// Hints are computed from a page's bytes at one sequence of its segment word (PageFile's
// seqlock) and kept in NodeHintCache under that sequence, so a new version of the page never
// uses old hints. They are advice: the search still compares whole keys inside the range, and
// a range from torn or stale hints can only produce an answer the caller's seqlock check
// throws away (the page's word changed).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "bplustree/page.h"

namespace jadedb::bplustree {

struct NodeHints {
  static constexpr size_t kSamples = 16;
  // Nodes with fewer searchable slots than this get no hints (their search is short anyway).
  static constexpr size_t kMinSlots = 4 * (kSamples + 1);
  uint16_t count = 0;             // the node's cell count
  uint8_t base = 0;               // first searchable slot: 0 in leaves, 1 in internal nodes
  uint8_t prefix_len = 0;         // bytes every key of the node shares that prefix holds (<= 8)
  uint64_t prefix = 0;            // those bytes, big-endian, zero-padded
  uint64_t heads[kSamples] = {};  // key of slot Sample(j), bytes [prefix_len, +8), big-endian

  // The slot sampled by heads[j].
  size_t Sample(size_t j) const { return base + (j + 1) * (count - base) / (kSamples + 1); }
  // Narrows a search for target: the first slot whose key is >= target (or > target) lies
  // in [*lo, *hi]. Leaves *lo = base, *hi = count when the hints cannot tell.
  void Range(std::string_view target, size_t* lo, size_t* hi) const;
};

// Computes the hints of a node page read from a map (bounds-checked: the bytes may be torn).
// False when the page gets none (too few slots, an overflowed key, bytes out of bounds).
bool ComputeNodeHints(const char* page, size_t page_size, NodeHints* hints);

// A fixed-size, direct-mapped cache of hints by (page id, sequence), shared by all readers
// without locks: each slot is a small seqlock, a writer that finds it busy skips, and a
// reader that sees it change misses.
class NodeHintCache {
 public:
  explicit NodeHintCache(size_t slots);
  NodeHintCache(const NodeHintCache&) = delete;
  NodeHintCache& operator=(const NodeHintCache&) = delete;

  // The hints of page id at sequence seq; false when not cached.
  bool Find(PageId id, uint64_t seq, NodeHints* hints) const;
  void Store(PageId id, uint64_t seq, const NodeHints& hints);

 private:
  static constexpr size_t kHeadWords = NodeHints::kSamples;
  struct alignas(64) Slot {
    std::atomic<uint64_t> version{0};  // odd while a writer fills the slot
    std::atomic<uint64_t> page{kInvalidPageId};
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> shape{0};  // count | base << 16 | prefix_len << 24
    std::atomic<uint64_t> prefix{0};
    std::atomic<uint64_t> heads[kHeadWords];
  };
  Slot& SlotFor(PageId id) const { return slots_[(id * 0x9e3779b97f4a7c15ull) >> shift_]; }

  unsigned shift_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace jadedb::bplustree
