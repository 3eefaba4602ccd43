#include "bplustree/mapped_node.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "bplustree/node.h"
#include "bplustree/node_hints.h"
#include "bplustree/page.h"
#include "util/coding.h"

namespace jadedb::bplustree {

namespace {

// The node of a mapped page of kind `kind` (Node::kLeafKind or kInternalKind), its slot array
// (prefetched) and cell count; null when the page is of another type or its count does not fit.
const char* MappedNode(const char* page, size_t page_size, PageType type, uint8_t kind,
                       size_t* count) {
  if (PageView(page, page_size).type() != type) return nullptr;
  const char* node = page + PayloadBegin();
  if (static_cast<uint8_t>(node[0]) != kind) return nullptr;
  *count = DecodeFixed16(node + 2);
  if (Node::kHeaderSize + 2 * *count > PayloadSize(page_size)) return nullptr;
  // The slot array is read at every probe: start loading it (up to 16 lines) at once.
  const char* slots = node + Node::kHeaderSize;
  for (size_t b = 0; b < std::min<size_t>(2 * *count, 1024); b += 64) __builtin_prefetch(slots + b);
  return node;
}

// Starts loading the cells of slots [lo, hi) when the range is short (hints narrowed it): the
// binary search then finds them arriving together instead of missing on one per probe.
inline void PrefetchCells(const char* node, size_t size, size_t lo, size_t hi) {
  constexpr size_t kMaxPrefetchedCells = 16;
  if (hi - lo > kMaxPrefetchedCells) return;
  const char* slots = node + Node::kHeaderSize;
  for (size_t i = lo; i < hi; i++) {
    const uint16_t off = DecodeFixed16(slots + 2 * i);
    if (off < size) __builtin_prefetch(node + off);
  }
}

}  // namespace

MappedLeafResult FindInMappedLeaf(const char* page, size_t page_size, std::string_view key,
                                  std::string* value, const NodeHints* hints) {
  size_t count;
  const char* node = MappedNode(page, page_size, PageType::kLeaf, Node::kLeafKind, &count);
  if (node == nullptr) return MappedLeafResult::kUnsure;
  const size_t size = PayloadSize(page_size);
  const char* slots = node + Node::kHeaderSize;
  // The first key >= key lies in [lo, hi]; a key at hi (when hints set it) is > key.
  size_t lo = 0, hi = count;
  if (hints != nullptr && hints->count == count && hints->base == 0) {
    hints->Range(key, &lo, &hi);
    PrefetchCells(node, size, lo, hi);
  }
  bool last_equal = false;
  std::string_view found_value;
  uint8_t found_flags = 0;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    std::string_view k, v;
    uint8_t flags;
    if (!ReadMappedCell(node, size, DecodeFixed16(slots + 2 * mid), &k, &v, &flags)) {
      return MappedLeafResult::kUnsure;
    }
    const int c = k.compare(key);
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
      last_equal = c == 0;
      if (last_equal) {
        found_value = v;
        found_flags = flags;
      }
    }
  }
  if (!last_equal) return MappedLeafResult::kNotFound;
  if (found_flags & kValueOverflow) return MappedLeafResult::kUnsure;
  value->assign(found_value.data(), found_value.size());
  return MappedLeafResult::kFound;
}

bool FindChildInMapped(const char* page, size_t page_size, std::string_view key, uint64_t* child,
                       const NodeHints* hints) {
  size_t count;
  const char* node = MappedNode(page, page_size, PageType::kInternal, Node::kInternalKind, &count);
  if (node == nullptr || count == 0) return false;
  const size_t size = PayloadSize(page_size);
  const char* slots = node + Node::kHeaderSize;
  // Child i covers [key(i), key(i + 1)) and key(0) stands for minus infinity: find the first
  // separator > key among 1..count-1; the child before it holds key.
  size_t lo = 1, hi = count;
  if (hints != nullptr && hints->count == count && hints->base == 1) {
    hints->Range(key, &lo, &hi);
    PrefetchCells(node, size, lo, hi);
  }
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    std::string_view k, v;
    uint8_t flags;
    if (!ReadMappedCell(node, size, DecodeFixed16(slots + 2 * mid), &k, &v, &flags)) return false;
    if (k.compare(key) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  std::string_view k, v;
  uint8_t flags;
  if (!ReadMappedCell(node, size, DecodeFixed16(slots + 2 * (lo - 1)), &k, &v, &flags) ||
      v.size() != 8) {
    return false;
  }
  *child = DecodeFixed64(v.data());
  return true;
}

}  // namespace jadedb::bplustree
