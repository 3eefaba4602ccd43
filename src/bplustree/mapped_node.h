// Searches of tree nodes read straight from a segment's read map (PageFile::BeginMappedRead),
// outside the buffer pool: FindInMappedLeaf (a point lookup in a leaf) and FindChildInMapped
// (the child of an internal node to follow), for Tree::Get's latch-free descent.
//
// Such a page was verified when it was first read at its current sequence, but a write of the
// page may start while the search runs (the seqlock in PageFile tells the caller afterwards),
// so the bytes seen may mix two versions. The search therefore bounds every offset and length
// it reads by the page, trusting nothing, and the caller discards its answer unless
// PageFile::EndMappedRead confirms no write overlapped it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bplustree/node.h"
#include "util/coding.h"

namespace jadedb::bplustree {

struct NodeHints;

// A cell of a mapped node (node = the page's payload, size bytes) at node offset off: its
// inline key and value, or false when the cell is out of bounds or has an
// overflowed key (whose order the inline prefix alone cannot decide). Inlined into the binary
// searches, with the usual cell (one-byte lengths, so 3 header bytes) decoded directly.
inline __attribute__((always_inline)) bool ReadMappedCell(const char* node, size_t size,
                                                          uint16_t off, std::string_view* key,
                                                          std::string_view* value, uint8_t* flags) {
  if (off < Node::kHeaderSize || off >= size) return false;
  const char* p = node + off;
  const char* limit = node + size;
  *flags = static_cast<uint8_t>(*p);
  uint32_t key_len, value_len;
  const auto* u = reinterpret_cast<const uint8_t*>(p);
  if (limit - p >= 3 && ((u[1] | u[2]) & 0x80) == 0) {
    key_len = u[1];
    value_len = u[2];
    p += 3;
  } else {
    p = GetVarint32Ptr(p + 1, limit, &key_len);
    if (p == nullptr) return false;
    p = GetVarint32Ptr(p, limit, &value_len);
    if (p == nullptr) return false;
  }
  if (static_cast<size_t>(limit - p) < uint64_t{key_len} + value_len) return false;
  if (*flags & kKeyOverflow) return false;
  *key = std::string_view(p, key_len);
  *value = std::string_view(p + key_len, value_len);
  return true;
}

enum class MappedLeafResult {
  kFound,     // key is in the leaf; *value holds its (inline) value
  kNotFound,  // key is not in the leaf
  kUnsure,    // not decided here (an overflowed key or value, or bytes out of bounds): use
              // the buffer pool
};

// hints (may be null): the page's NodeHints at the sequence being read, to narrow the search.
MappedLeafResult FindInMappedLeaf(const char* page, size_t page_size, std::string_view key,
                                  std::string* value, const NodeHints* hints = nullptr);

// The child of internal page `page` whose range holds key: true and *child, or false when not
// decided here (not an internal page, an overflowed
// separator, or bytes out of bounds).
bool FindChildInMapped(const char* page, size_t page_size, std::string_view key, uint64_t* child,
                       const NodeHints* hints = nullptr);

}  // namespace jadedb::bplustree
