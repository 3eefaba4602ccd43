// Helpers shared by the Tree's source files (tree.cc: readers; tree_insert.cc: insert and
// split; tree_delete.cc: delete and rebalance; tree_check.cc: Check). Private to the tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bplustree/node.h"
#include "bplustree/overflow.h"
#include "bplustree/tree.h"
#include "util/coding.h"

namespace jadedb::bplustree {
namespace tree_internal {

// The node in a page's payload.
inline Node NodeOf(const char* page, size_t page_size) {
  return Node(const_cast<char*>(page) + kPageHeaderSize, PayloadSize(page_size));
}

// The node of a write-latched page; its changes are reported to the page's change log.
inline Node NodeOf(const PageWriteGuard& g) {
  return Node(g.logged_data() + kPageHeaderSize, PayloadSize(g.page_size()), g.change_log(),
              kPageHeaderSize);
}

inline std::string PageName(PageId id) { return "page " + std::to_string(id); }

// The structure check of a tree page read from disk or the map (after its checksum passed):
// from then on node code may trust slot offsets and cell lengths. OK for other page types.
Status ValidateTreePage(PageId id, const char* page, size_t page_size);

// Splits an encoded cell into its parts.
inline void ParseCell(std::string_view cell, uint8_t* flags, std::string_view* key,
                      std::string_view* value) {
  *flags = static_cast<uint8_t>(cell[0]);
  uint32_t klen = 0, vlen = 0;
  const char* p = GetVarint32Ptr(cell.data() + 1, cell.data() + cell.size(), &klen);
  p = GetVarint32Ptr(p, cell.data() + cell.size(), &vlen);
  *key = std::string_view(p, klen);
  *value = std::string_view(p + klen, vlen);
}

// The full key of an encoded cell (loading an overflowed key through loader).
inline Status CellFullKey(std::string_view cell, const KeyLoader& loader, std::string* out) {
  uint8_t flags;
  std::string_view key, value;
  ParseCell(cell, &flags, &key, &value);
  if (!(flags & kKeyOverflow)) {
    out->assign(key);
    return Status::OK();
  }
  return loader(OverflowRef::Decode(key.data() + kInlineKeyPrefix), out);
}

// Bytes cells[from, to) take in a node, slots included.
inline size_t TotalSize(const std::vector<std::string>& cells, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to; i++) n += cells[i].size() + 2;
  return n;
}

// Number of cells that stay in the left node: sequential appends (new cell last) leave the
// old node full and start the new one with only the new cell; otherwise split by bytes.
size_t ChooseSplit(const std::vector<std::string>& cells, bool appended, size_t capacity);

}  // namespace tree_internal

// A page on a pessimistic write path, with the index of the child followed from it.
struct Tree::PathEntry {
  PageWriteGuard g;
  int child_idx = -1;
  Node node() const { return tree_internal::NodeOf(g); }
};

}  // namespace jadedb::bplustree
