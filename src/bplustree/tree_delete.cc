// Tree writers: Delete, borrow from and merge with siblings (leaves and internal nodes), root
// collapse.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "bplustree/tree.h"
#include "bplustree/tree_internal.h"

namespace jadedb::bplustree {

using namespace tree_internal;  // NOLINT(build/namespaces): this file's own helpers

Status Tree::FreeCellChains(MiniTxn* mtr, const Node& node, int i) {
  Status s;
  if (node.key_overflow(i)) s = FreeOverflow(pool_, mtr, node.KeyRef(i));
  if (s.ok() && node.is_leaf() && node.value_overflow(i)) {
    s = FreeOverflow(pool_, mtr, node.ValueRef(i));
  }
  return s;
}

Status Tree::Delete(MiniTxn* mtr, std::string_view key) {
  KeyLoader loader = WriteLoader(mtr);
  {
    PageWriteGuard leaf;
    Status s = DescendWriteOptimistic(mtr, key, &leaf);
    if (!s.ok()) return s;
    Node n = NodeOf(leaf);
    bool found;
    int pos = n.LowerBound(key, loader, &found, &s);
    if (!s.ok() || !found) return s;
    size_t after = n.UsedSpace() - n.CellSize(pos) - 2;
    if (leaf.id() == engine_->RootPageId() || after >= payload_size_ / 4) {
      s = FreeCellChains(mtr, n, pos);
      if (!s.ok()) return s;
      n.RemoveCell(pos);
      leaf.mutator().set_record_count(static_cast<uint16_t>(n.count()));
      return Status::OK();
    }
  }
  // The leaf would become underfull: restart with the whole path latched to rebalance.
  restarts_.fetch_add(1, std::memory_order_relaxed);
  std::vector<PathEntry> path;
  Status s = DescendWritePessimistic(mtr, key, &path);
  if (!s.ok()) return s;
  Node n = path.back().node();
  bool found;
  int pos = n.LowerBound(key, loader, &found, &s);
  if (!s.ok() || !found) return s;
  s = FreeCellChains(mtr, n, pos);
  if (!s.ok()) return s;
  n.RemoveCell(pos);
  path.back().g.mutator().set_record_count(static_cast<uint16_t>(n.count()));
  return Rebalance(mtr, &path, path.size() - 1);
}

Status Tree::Rebalance(MiniTxn* mtr, std::vector<PathEntry>* path, size_t depth) {
  PathEntry& pe = (*path)[depth];
  Node n = pe.node();
  if (depth == 0) {
    for (size_t i = 1; i < path->size(); i++) (*path)[i].g.Release();
    // Root collapse: an internal root with one child takes over the child's contents.
    while (!n.is_leaf() && n.count() == 1) {
      PageWriteGuard child;
      Status s = FetchForWrite(mtr, n.child(0), &child);
      if (!s.ok()) return s;
      PageView cv = child.view();
      PageMutator rm = pe.g.mutator();
      rm.set_type(cv.type());
      rm.set_level(cv.level());
      rm.set_prev(kInvalidPageId);
      rm.set_next(kInvalidPageId);
      rm.set_record_count(cv.record_count());
      std::memcpy(rm.mutable_payload(), cv.payload(), payload_size_);
      PageId cid = child.id();
      child.Release();
      s = pool_->FreePage(mtr, cid);
      if (!s.ok()) return s;
      merges_.fetch_add(1, std::memory_order_relaxed);
    }
    return Status::OK();
  }
  if (!Underfull(n)) return Status::OK();
  PathEntry& parent = (*path)[depth - 1];
  Node pn = parent.node();
  if (pn.count() < 2) return Rebalance(mtr, path, depth - 1);
  const int idx = parent.child_idx;
  const int right_idx = idx + 1 < pn.count() ? idx + 1 : idx;
  PageWriteGuard sib;
  Status s = FetchForWrite(mtr, pn.child(right_idx == idx ? idx - 1 : idx + 1), &sib);
  if (!s.ok()) return s;
  PageWriteGuard* lg = right_idx == idx ? &sib : &pe.g;
  PageWriteGuard* rg = right_idx == idx ? &pe.g : &sib;
  Node ln = NodeOf(*lg), rn = NodeOf(*rg);
  if (ln.is_leaf() != rn.is_leaf()) {
    return Status::Corruption("siblings of different kinds", PageName(rg->id()));
  }
  const bool leaf = ln.is_leaf();
  const size_t capacity = payload_size_ - Node::kHeaderSize;
  std::string_view sep_raw = pn.raw_key(right_idx);
  const uint8_t sep_flags = pn.flags(right_idx) & kKeyOverflow;
  size_t merged = ln.UsedSpace() + rn.UsedSpace() + (leaf ? 0 : sep_raw.size() + 4);
  if (merged <= capacity) {
    // Merge right into left.
    for (int i = 0; i < rn.count(); i++) {
      std::string cell(rn.Cell(i));
      if (!leaf && i == 0) cell = Node::EncodeInternalCell(sep_flags, sep_raw, rn.child(0));
      if (!ln.InsertCell(ln.count(), cell)) {
        return Status::Corruption("B+tree merge overflowed a node", PageName(lg->id()));
      }
    }
    lg->mutator().set_record_count(static_cast<uint16_t>(ln.count()));
    if (leaf) {
      PageId rnext = rg->view().next();
      lg->mutator().set_next(rnext);
      if (rnext != kInvalidPageId) {
        PageWriteGuard nx;
        s = FetchForWrite(mtr, rnext, &nx);
        if (!s.ok()) return s;
        nx.mutator().set_prev(lg->id());
      }
      // A leaf separator is a copy owned by the parent; an internal one moved down.
      s = FreeCellChains(mtr, pn, right_idx);
      if (!s.ok()) return s;
    }
    PageId rid = rg->id();
    rn.Clear();
    pn.RemoveCell(right_idx);
    parent.g.mutator().set_record_count(static_cast<uint16_t>(pn.count()));
    if (parent.child_idx >= right_idx) parent.child_idx = right_idx - 1;
    // Modified pages stay latched by the mtr; drop the guards so a root collapse above can
    // fetch them again (one guard per page per mtr).
    sib.Release();
    pe.g.Release();
    s = pool_->FreePage(mtr, rid);
    if (!s.ok()) return s;
    merges_.fetch_add(1, std::memory_order_relaxed);
    return Rebalance(mtr, path, depth - 1);
  }
  if (!leaf) return BorrowInternal(&parent, right_idx, lg, rg);
  // Borrow: redistribute the two leaves' cells by bytes and replace the separator.
  std::vector<std::string> cells;
  for (int i = 0; i < ln.count(); i++) cells.emplace_back(ln.Cell(i));
  const size_t left_count = cells.size();
  for (int i = 0; i < rn.count(); i++) cells.emplace_back(rn.Cell(i));
  size_t k = ChooseSplit(cells, false, capacity);
  if (k == left_count || cells.size() < 2) return Status::OK();
  KeyLoader loader = WriteLoader(mtr);
  auto full = [&](std::string_view c, std::string* out) { return CellFullKey(c, loader, out); };
  std::string left_last, right_first;
  s = full(cells[k - 1], &left_last);
  if (s.ok()) s = full(cells[k], &right_first);
  if (!s.ok()) return s;
  // Predict the new separator cell's size before creating anything.
  size_t common = 0;
  while (common < left_last.size() && common < right_first.size() &&
         left_last[common] == right_first[common]) {
    common++;
  }
  size_t sep_len = std::min(right_first.size(), common + 1);
  size_t key_len =
      sep_len > max_inline_key() ? kInlineKeyPrefix + OverflowRef::kEncodedSize : sep_len;
  if (Node::EncodedSize(key_len, 8) > pn.FreeSpace() + pn.CellSize(right_idx)) {
    return Status::OK();  // the parent cannot take the new separator; stay underfull
  }
  std::string new_sep;
  uint8_t new_flags;
  s = MakeSeparator(mtr, left_last, right_first, &new_sep, &new_flags);
  if (s.ok()) s = FreeCellChains(mtr, pn, right_idx);
  if (!s.ok()) return s;
  ln.Clear();
  rn.Clear();
  for (size_t i = 0; i < k; i++) ln.InsertCell(static_cast<int>(i), cells[i]);
  for (size_t i = k; i < cells.size(); i++) rn.InsertCell(static_cast<int>(i - k), cells[i]);
  lg->mutator().set_record_count(static_cast<uint16_t>(ln.count()));
  rg->mutator().set_record_count(static_cast<uint16_t>(rn.count()));
  PageId rid = rg->id();
  pn.RemoveCell(right_idx);
  if (!pn.InsertCell(right_idx, Node::EncodeInternalCell(new_flags, new_sep, rid))) {
    return Status::Corruption("B+tree borrow overflowed the parent", PageName(parent.g.id()));
  }
  leaf_borrows_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

// Internal siblings too large to merge rotate cells through their parent: the separator comes
// down as the key of the right node's first child, the cells are split by bytes, and the key
// of the first cell that lands on the right goes up as the new separator (that cell becomes
// the right node's -infinity entry). Keys move, never copy, so overflow chains keep exactly
// one owner and nothing is freed.
Status Tree::BorrowInternal(PathEntry* parent, int right_idx, PageWriteGuard* lg,
                            PageWriteGuard* rg) {
  Node pn = parent->node();
  Node ln = NodeOf(*lg), rn = NodeOf(*rg);
  const size_t capacity = payload_size_ - Node::kHeaderSize;
  std::vector<std::string> cells;
  cells.reserve(ln.count() + rn.count());
  for (int i = 0; i < ln.count(); i++) cells.emplace_back(ln.Cell(i));
  const size_t left_count = cells.size();
  cells.push_back(Node::EncodeInternalCell(pn.flags(right_idx) & kKeyOverflow,
                                           pn.raw_key(right_idx), rn.child(0)));
  for (int i = 1; i < rn.count(); i++) cells.emplace_back(rn.Cell(i));
  if (cells.size() < 3) return Status::OK();
  const size_t k = ChooseSplit(cells, false, capacity);
  if (k == left_count) return Status::OK();  // already as balanced as the bytes allow

  uint8_t up_flags;
  std::string_view up_key, child_ref;
  ParseCell(cells[k], &up_flags, &up_key, &child_ref);
  const std::string new_sep(up_key);
  up_flags &= kKeyOverflow;
  const PageId moved_child = DecodeFixed64(child_ref.data());
  if (Node::EncodedSize(new_sep.size(), 8) > pn.FreeSpace() + pn.CellSize(right_idx)) {
    return Status::OK();  // the parent cannot take the new separator; stay underfull
  }
  cells[k] = Node::EncodeInternalCell(0, "", moved_child);

  ln.Clear();
  rn.Clear();
  for (size_t i = 0; i < k; i++) {
    if (!ln.InsertCell(static_cast<int>(i), cells[i])) {
      return Status::Corruption("B+tree borrow overflowed a node", PageName(lg->id()));
    }
  }
  for (size_t i = k; i < cells.size(); i++) {
    if (!rn.InsertCell(static_cast<int>(i - k), cells[i])) {
      return Status::Corruption("B+tree borrow overflowed a node", PageName(rg->id()));
    }
  }
  lg->mutator().set_record_count(static_cast<uint16_t>(ln.count()));
  rg->mutator().set_record_count(static_cast<uint16_t>(rn.count()));
  const PageId rid = rg->id();
  pn.RemoveCell(right_idx);
  if (!pn.InsertCell(right_idx, Node::EncodeInternalCell(up_flags, new_sep, rid))) {
    return Status::Corruption("B+tree borrow overflowed the parent", PageName(parent->g.id()));
  }
  parent->g.mutator().set_record_count(static_cast<uint16_t>(pn.count()));
  internal_borrows_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

}  // namespace jadedb::bplustree
