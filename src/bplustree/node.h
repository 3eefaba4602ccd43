// Node: the slotted-page format of B+tree leaf and internal nodes, laid over the payload region
// of a page (docs/formats/bplustree-node.md). A Node is a view: it owns no memory and does no
// I/O; the caller holds the page latch (shared to read, exclusive to modify).
//
// Layout of the payload (all integers little-endian):
//   [node header: 8 bytes][slot array: u16 cell offsets, sorted by key] ... free ...
//   [cell heap, growing down from the end of the payload]
// A cell is [u8 flags][varint32 key_len][varint32 val_len][key bytes][val bytes]. In a leaf the
// val bytes are the value (or an OverflowRef when kValueOverflow is set); in an internal node
// they are the 8-byte child page id, and the first cell's key is empty (it stands for minus
// infinity), so child i covers keys in [key(i), key(i+1)). Keys too large to stay inline keep a
// prefix inline followed by an OverflowRef to the full key (kKeyOverflow).
//
// Every mutator reports the bytes it is about to change to the page's change log (when the Node
// was made with one, see PageChangeLog), so the mini-transaction logs exactly those ranges.
//
// Not thread-safe: the page latch protects it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "jadedb/status.h"

namespace jadedb::bplustree {

class PageChangeLog;

// Where an overflowed key or value lives: a chain of overflow pages starting at first_page.
struct OverflowRef {
  uint64_t first_page = 0;
  uint32_t length = 0;  // total bytes of the key or value
  static constexpr size_t kEncodedSize = 12;
  void EncodeTo(char* dst) const;
  static OverflowRef Decode(const char* src);
};

// Cell flags.
inline constexpr uint8_t kKeyOverflow = 1;
inline constexpr uint8_t kValueOverflow = 2;

// Bytes of an overflowed key kept inline (so most comparisons need not read the chain).
inline constexpr size_t kInlineKeyPrefix = 64;

// Loads the full bytes of an overflowed key (reads the chain).
using KeyLoader = std::function<Status(const OverflowRef&, std::string*)>;

class Node {
 public:
  static constexpr size_t kHeaderSize = 8;
  static constexpr uint8_t kLeafKind = 1;
  static constexpr uint8_t kInternalKind = 2;

  Node(char* data, size_t size) : data_(data), size_(size) {}
  // A node at page offset base of a page whose changes go to log (may be null).
  Node(char* data, size_t size, PageChangeLog* log, size_t base)
      : data_(data), size_(size), log_(log), base_(base) {}

  // Formats an empty node. size must be < 65536.
  static void Init(char* data, size_t size, bool leaf);
  // Init on this node (reporting the change).
  void Format(bool leaf);

  // Checks the node's structure (kind, slot offsets inside the heap, cells well formed) so a
  // damaged page yields Corruption instead of out-of-bounds reads. what names the page.
  Status Validate(std::string_view what) const;

  bool is_leaf() const { return static_cast<uint8_t>(data_[0]) == kLeafKind; }
  int count() const;
  size_t size() const { return size_; }
  // The raw bytes (writes through it are not reported: read only when there is a log).
  char* data() const { return data_; }

  // Cell accessors, 0 <= i < count().
  uint8_t flags(int i) const;
  // The inline key bytes (the prefix + ref when kKeyOverflow is set: use KeyPrefix/KeyRef).
  std::string_view raw_key(int i) const;
  std::string_view raw_value(int i) const;
  bool key_overflow(int i) const { return flags(i) & kKeyOverflow; }
  bool value_overflow(int i) const { return flags(i) & kValueOverflow; }
  // The inline part of the key: the whole key, or its prefix when overflowed.
  std::string_view KeyPrefix(int i) const;
  OverflowRef KeyRef(int i) const;    // requires key_overflow(i)
  OverflowRef ValueRef(int i) const;  // requires value_overflow(i)
  uint64_t child(int i) const;        // internal nodes
  void set_child(int i, uint64_t page);
  // Decodes cell i's header once: flags and the raw (inline) key and value views.
  void Parse(int i, uint8_t* flags, std::string_view* key, std::string_view* value) const;
  // The usual cell, decoded inline: when cell i has no overflowed part and one-byte key and
  // value lengths, sets *key_off (node offset of the key; the value follows it) and the
  // lengths and returns true; otherwise false (use Parse). For per-entry loops (leaf copies).
  bool InlineCell(int i, size_t* key_off, uint32_t* key_len, uint32_t* value_len) const {
    uint16_t off;
    std::memcpy(&off, data_ + kHeaderSize + 2 * static_cast<size_t>(i), 2);  // little-endian
    const auto* c = reinterpret_cast<const uint8_t*>(data_) + off;
    if ((c[0] & (kKeyOverflow | kValueOverflow)) != 0 || ((c[1] | c[2]) & 0x80) != 0) return false;
    *key_off = size_t{off} + 3;
    *key_len = c[1];
    *value_len = c[2];
    return true;
  }
  // The full key (loading it through loader when overflowed).
  Status FullKey(int i, const KeyLoader& loader, std::string* key) const;
  // Bytes the cell occupies (without its slot).
  size_t CellSize(int i) const;
  std::string_view Cell(int i) const;

  // Compares key(i) with target: <0, 0, >0. Sets *s on a loader failure.
  int Compare(int i, std::string_view target, const KeyLoader& loader, Status* s) const;
  // First index whose key is >= target (count() when none); *found when equal.
  int LowerBound(std::string_view target, const KeyLoader& loader, bool* found, Status* s) const;
  // Internal nodes: index of the child whose range holds target.
  int ChildIndex(std::string_view target, const KeyLoader& loader, Status* s) const;

  // Offset in the node of the lowest cell byte (the heap grows down from the end to here).
  size_t cells_begin() const { return heap_top(); }
  // Bytes free for new cells and slots, counting fragments that Compact() reclaims.
  size_t FreeSpace() const;
  // Bytes used by cells and slots.
  size_t UsedSpace() const { return size_ - kHeaderSize - FreeSpace(); }
  // Whether a cell of cell_size bytes (plus its slot) fits, compacting if needed.
  bool Fits(size_t cell_size) const { return FreeSpace() >= cell_size + 2; }

  // Inserts an encoded cell at slot pos; false (node unchanged) when it does not fit.
  bool InsertCell(int pos, std::string_view cell);
  // Removes slot i (its bytes become a fragment).
  void RemoveCell(int i);
  // Replaces cell i; false (node unchanged) when the new cell does not fit.
  bool ReplaceCell(int i, std::string_view cell);
  // Rewrites the heap without fragments.
  void Compact();
  // Removes every cell.
  void Clear();

  // Cell encoders. key may be the encoded prefix+ref of an overflowed key (flags say so).
  static std::string EncodeCell(uint8_t flags, std::string_view key, std::string_view value);
  static std::string EncodeInternalCell(uint8_t flags, std::string_view key, uint64_t child);
  // Bytes the encoded form of a (key, value) cell takes.
  static size_t EncodedSize(size_t key_len, size_t value_len);

 private:
  uint16_t slot(int i) const;
  void set_slot(int i, uint16_t off);
  uint16_t heap_top() const;
  void set_heap_top(uint16_t v);
  uint16_t frag() const;
  void set_frag(uint16_t v);
  void set_count(int n);
  // Search helpers (see LowerBound): prefetch the slot array / cell i / the next probes' cells.
  // Slot arrays up to kPrefetchSlotBytes are prefetched whole.
  static constexpr ptrdiff_t kPrefetchSlotBytes = 1024;
  void PrefetchSlots(int n) const;
  void PrefetchCell(int i) const;
  void PrefetchNextProbes(int lo, int mid, int hi) const;
  // Compare: the usual inline cell compared in place, CompareSlow for the rest.
  int CompareInline(int i, std::string_view target, const KeyLoader& loader, Status* s) const;
  int CompareSlow(int i, std::string_view target, const KeyLoader& loader, Status* s) const;
  // Reports node bytes [off, off + len) to the change log before they change.
  void WillChange(size_t off, size_t len) const;

  char* data_;
  size_t size_;
  PageChangeLog* log_ = nullptr;
  size_t base_ = 0;
};

}  // namespace jadedb::bplustree
