// Tree writers: descent for writes, Put, leaf/internal/root splits.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "bplustree/tree.h"
#include "bplustree/tree_internal.h"

namespace jadedb::bplustree {

using namespace tree_internal;  // NOLINT(build/namespaces): this file's own helpers

// ---------------------------------------------------------------------------------------------
// Writers

Status Tree::FetchForWrite(MiniTxn* mtr, PageId id, PageWriteGuard* g) {
  return pool_->FetchWrite(id, mtr, g);
}

Status Tree::DescendWriteOptimistic(MiniTxn* mtr, std::string_view key, PageWriteGuard* leaf) {
  KeyLoader loader = WriteLoader(mtr);
  PageId id = engine_->RootPageId();
  PageReadGuard rg;   // current node when latched shared
  PageWriteGuard wg;  // current node when this mtr already holds it
  bool first = true;
  while (true) {
    // Latch id: exclusive when it is (or may be) the leaf or the mtr holds it, else shared.
    if (mtr->FindPage(id) >= 0) {
      PageWriteGuard g;
      Status s = FetchForWrite(mtr, id, &g);
      if (!s.ok()) return s;
      rg.Release();
      wg = std::move(g);
    } else {
      PageReadGuard g;
      Status s = pool_->FetchRead(id, &g);
      if (!s.ok()) return s;
      rg = std::move(g);
      wg.Release();
    }
    const char* data = wg.valid() ? wg.logged_data() : rg.data();
    PageView v(data, page_size_);
    if (v.type() == PageType::kLeaf) {
      if (wg.valid()) {
        *leaf = std::move(wg);
        return Status::OK();
      }
      // Only the root is reached shared as a leaf (children of level-1 nodes are latched
      // exclusive below). Writers are serialized, so it stays a leaf while relatched.
      (void)first;
      assert(first);
      rg.Release();
      return FetchForWrite(mtr, id, leaf);
    }
    if (v.type() != PageType::kInternal) {
      return Status::Corruption("B+tree page of unexpected type", PageName(id));
    }
    first = false;
    Node n = NodeOf(data, page_size_);
    Status s;
    int idx = n.ChildIndex(key, loader, &s);
    if (!s.ok()) return s;
    PageId child = n.child(idx);
    if (v.level() == 1) {
      Status fs = FetchForWrite(mtr, child, leaf);
      return fs;  // rg/wg released on return
    }
    id = child;
  }
}

Status Tree::DescendWritePessimistic(MiniTxn* mtr, std::string_view key,
                                     std::vector<PathEntry>* path) {
  path->clear();
  KeyLoader loader = WriteLoader(mtr);
  PageId id = engine_->RootPageId();
  while (true) {
    path->emplace_back();
    Status s = FetchForWrite(mtr, id, &path->back().g);
    if (!s.ok()) return s;
    PageView v = path->back().g.view();
    if (v.type() == PageType::kLeaf) return Status::OK();
    if (v.type() != PageType::kInternal) {
      return Status::Corruption("B+tree page of unexpected type", PageName(id));
    }
    Node n = path->back().node();
    int idx = n.ChildIndex(key, loader, &s);
    if (!s.ok()) return s;
    path->back().child_idx = idx;
    id = n.child(idx);
  }
}

Status Tree::BuildLeafCell(MiniTxn* mtr, const Node* leaf, int existing, std::string_view key,
                           std::string_view value, std::string* cell) {
  uint8_t flags = 0;
  std::string key_bytes;
  if (existing >= 0) {
    // Keep the existing key bytes (and its chain, if overflowed).
    key_bytes.assign(leaf->raw_key(existing));
    flags |= leaf->flags(existing) & kKeyOverflow;
  } else if (key.size() > max_inline_key()) {
    OverflowRef ref;
    Status s = WriteOverflow(pool_, mtr, key, &ref);
    if (!s.ok()) return s;
    key_bytes.assign(key.substr(0, kInlineKeyPrefix));
    char enc[OverflowRef::kEncodedSize];
    ref.EncodeTo(enc);
    key_bytes.append(enc, sizeof(enc));
    flags |= kKeyOverflow;
  } else {
    key_bytes.assign(key);
  }
  if (value.size() > max_inline_value()) {
    OverflowRef ref;
    Status s = WriteOverflow(pool_, mtr, value, &ref);
    if (!s.ok()) return s;
    char enc[OverflowRef::kEncodedSize];
    ref.EncodeTo(enc);
    *cell = Node::EncodeCell(flags | kValueOverflow, key_bytes, std::string_view(enc, sizeof(enc)));
  } else {
    *cell = Node::EncodeCell(flags, key_bytes, value);
  }
  return Status::OK();
}

Status Tree::Put(MiniTxn* mtr, std::string_view key, std::string_view value) {
  KeyLoader loader = WriteLoader(mtr);
  std::string cell;
  {
    PageWriteGuard leaf;
    Status s = DescendWriteOptimistic(mtr, key, &leaf);
    if (!s.ok()) return s;
    Node n = NodeOf(leaf);
    bool found;
    int pos = n.LowerBound(key, loader, &found, &s);
    if (!s.ok()) return s;
    s = BuildLeafCell(mtr, &n, found ? pos : -1, key, value, &cell);
    if (!s.ok()) return s;
    if (found) {
      bool old_overflow = n.value_overflow(pos);
      OverflowRef old_ref = old_overflow ? n.ValueRef(pos) : OverflowRef();
      if (n.ReplaceCell(pos, cell)) {
        leaf.mutator().set_record_count(static_cast<uint16_t>(n.count()));
        return old_overflow ? FreeOverflow(pool_, mtr, old_ref) : Status::OK();
      }
    } else if (n.InsertCell(pos, cell)) {
      leaf.mutator().set_record_count(static_cast<uint16_t>(n.count()));
      return Status::OK();
    }
  }
  // The leaf must split: restart with exclusive latches on the whole path.
  restarts_.fetch_add(1, std::memory_order_relaxed);
  std::vector<PathEntry> path;
  Status s = DescendWritePessimistic(mtr, key, &path);
  if (!s.ok()) return s;
  Node n = path.back().node();
  bool found;
  int pos = n.LowerBound(key, loader, &found, &s);
  if (!s.ok()) return s;
  if (found) {
    bool old_overflow = n.value_overflow(pos);
    OverflowRef old_ref = old_overflow ? n.ValueRef(pos) : OverflowRef();
    n.RemoveCell(pos);
    if (old_overflow) {
      s = FreeOverflow(pool_, mtr, old_ref);
      if (!s.ok()) return s;
    }
  }
  return InsertInto(mtr, &path, path.size() - 1, pos, std::move(cell));
}

Status Tree::MakeSeparator(MiniTxn* mtr, const std::string& left_last,
                           const std::string& right_first, std::string* cell_key, uint8_t* flags) {
  // The shortest prefix of right_first that is still > left_last.
  size_t common = 0;
  while (common < left_last.size() && common < right_first.size() &&
         left_last[common] == right_first[common]) {
    common++;
  }
  std::string sep = right_first.substr(0, std::min(right_first.size(), common + 1));
  *flags = 0;
  if (sep.size() <= max_inline_key()) {
    *cell_key = std::move(sep);
    return Status::OK();
  }
  OverflowRef ref;
  Status s = WriteOverflow(pool_, mtr, sep, &ref);
  if (!s.ok()) return s;
  cell_key->assign(sep.substr(0, kInlineKeyPrefix));
  char enc[OverflowRef::kEncodedSize];
  ref.EncodeTo(enc);
  cell_key->append(enc, sizeof(enc));
  *flags = kKeyOverflow;
  return Status::OK();
}

size_t tree_internal::ChooseSplit(const std::vector<std::string>& cells, bool appended,
                                  size_t capacity) {
  const size_t n = cells.size();
  size_t k;
  if (appended) {
    k = n - 1;
  } else {
    size_t total = TotalSize(cells, 0, n), acc = 0;
    k = 0;
    while (k < n && acc + cells[k].size() + 2 <= total / 2) acc += cells[k++].size() + 2;
  }
  k = std::clamp<size_t>(k, 1, n - 1);
  while (k > 1 && TotalSize(cells, 0, k) > capacity) k--;
  while (k < n - 1 && TotalSize(cells, k, n) > capacity) k++;
  return k;
}

Status Tree::InsertInto(MiniTxn* mtr, std::vector<PathEntry>* path, size_t depth, int pos,
                        std::string cell) {
  PathEntry& pe = (*path)[depth];
  Node n = pe.node();
  if (n.InsertCell(pos, cell)) {
    pe.g.mutator().set_record_count(static_cast<uint16_t>(n.count()));
    return Status::OK();
  }
  splits_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> cells;
  cells.reserve(n.count() + 1);
  for (int i = 0; i < n.count(); i++) cells.emplace_back(n.Cell(i));
  const bool appended = pos == n.count();
  cells.insert(cells.begin() + pos, std::move(cell));
  if (depth == 0) return SplitRoot(mtr, &pe, cells);

  const bool leaf = n.is_leaf();
  const size_t capacity = payload_size_ - Node::kHeaderSize;
  size_t k =
      ChooseSplit(cells, appended && (!leaf || pe.g.view().next() == kInvalidPageId), capacity);
  PageWriteGuard right;
  Status s = pool_->AllocatePage(mtr, leaf ? PageType::kLeaf : PageType::kInternal,
                                 pe.g.view().level(), &right);
  if (!s.ok()) return s;
  Node rn = NodeOf(right);
  rn.Format(leaf);

  std::string sep_key;
  uint8_t sep_flags = 0;
  KeyLoader loader = WriteLoader(mtr);
  if (leaf) {
    std::string left_last, right_first;
    // Full keys of the two cells around the split (loading overflowed ones).
    auto full = [&](std::string_view c, std::string* out) { return CellFullKey(c, loader, out); };
    s = full(cells[k - 1], &left_last);
    if (s.ok()) s = full(cells[k], &right_first);
    if (s.ok()) s = MakeSeparator(mtr, left_last, right_first, &sep_key, &sep_flags);
    if (!s.ok()) return s;
  } else {
    // The first right cell's key moves up; the right node's first cell becomes -infinity.
    uint8_t f;
    std::string_view kk, vv;
    ParseCell(cells[k], &f, &kk, &vv);
    sep_key.assign(kk);
    sep_flags = f & kKeyOverflow;
    cells[k] = Node::EncodeInternalCell(0, "", DecodeFixed64(vv.data()));
  }
  n.Clear();
  for (size_t i = 0; i < k; i++) n.InsertCell(static_cast<int>(i), cells[i]);
  for (size_t i = k; i < cells.size(); i++) {
    if (!rn.InsertCell(static_cast<int>(i - k), cells[i])) {
      return Status::Corruption("B+tree split overflowed a node", PageName(right.id()));
    }
  }
  pe.g.mutator().set_record_count(static_cast<uint16_t>(n.count()));
  right.mutator().set_record_count(static_cast<uint16_t>(rn.count()));
  if (leaf) {
    PageId old_next = pe.g.view().next();
    right.mutator().set_prev(pe.g.id());
    right.mutator().set_next(old_next);
    pe.g.mutator().set_next(right.id());
    if (old_next != kInvalidPageId) {
      PageWriteGuard nx;
      s = FetchForWrite(mtr, old_next, &nx);
      if (!s.ok()) return s;
      nx.mutator().set_prev(right.id());
    }
  }
  PageId right_id = right.id();
  right.Release();
  return InsertInto(mtr, path, depth - 1, (*path)[depth - 1].child_idx + 1,
                    Node::EncodeInternalCell(sep_flags, sep_key, right_id));
}

Status Tree::SplitRoot(MiniTxn* mtr, PathEntry* root, std::vector<std::string>& cells) {
  Node n = root->node();
  const bool leaf = n.is_leaf();
  const uint16_t level = root->g.view().level();
  const size_t capacity = payload_size_ - Node::kHeaderSize;
  size_t k = ChooseSplit(cells, false, capacity);
  PageWriteGuard a, b;
  PageType type = leaf ? PageType::kLeaf : PageType::kInternal;
  Status s = pool_->AllocatePage(mtr, type, level, &a);
  if (s.ok()) s = pool_->AllocatePage(mtr, type, level, &b);
  if (!s.ok()) return s;
  Node an = NodeOf(a), bn = NodeOf(b);
  an.Format(leaf);
  bn.Format(leaf);
  std::string sep_key;
  uint8_t sep_flags = 0;
  if (leaf) {
    KeyLoader loader = WriteLoader(mtr);
    auto full = [&](std::string_view c, std::string* out) { return CellFullKey(c, loader, out); };
    std::string left_last, right_first;
    s = full(cells[k - 1], &left_last);
    if (s.ok()) s = full(cells[k], &right_first);
    if (s.ok()) s = MakeSeparator(mtr, left_last, right_first, &sep_key, &sep_flags);
    if (!s.ok()) return s;
    a.mutator().set_next(b.id());
    b.mutator().set_prev(a.id());
  } else {
    uint8_t f;
    std::string_view kk, vv;
    ParseCell(cells[k], &f, &kk, &vv);
    sep_key.assign(kk);
    sep_flags = f & kKeyOverflow;
    cells[k] = Node::EncodeInternalCell(0, "", DecodeFixed64(vv.data()));
  }
  for (size_t i = 0; i < k; i++) an.InsertCell(static_cast<int>(i), cells[i]);
  for (size_t i = k; i < cells.size(); i++) bn.InsertCell(static_cast<int>(i - k), cells[i]);
  a.mutator().set_record_count(static_cast<uint16_t>(an.count()));
  b.mutator().set_record_count(static_cast<uint16_t>(bn.count()));
  PageMutator rm = root->g.mutator();
  rm.set_type(PageType::kInternal);
  rm.set_level(static_cast<uint16_t>(level + 1));
  rm.set_prev(kInvalidPageId);
  rm.set_next(kInvalidPageId);
  n.Format(/*leaf=*/false);
  n.InsertCell(0, Node::EncodeInternalCell(0, "", a.id()));
  n.InsertCell(1, Node::EncodeInternalCell(sep_flags, sep_key, b.id()));
  rm.set_record_count(2);
  return Status::OK();
}

}  // namespace jadedb::bplustree
