#include "bplustree/tree.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "bplustree/adaptive_hash_index.h"
#include "bplustree/page_file.h"
#include "bplustree/prefetcher.h"
#include "bplustree/tree_internal.h"

namespace jadedb::bplustree {

using namespace tree_internal;  // NOLINT(build/namespaces): this file's own helpers

namespace {
// Slots of the search-hint cache (192 bytes each): 16 per buffer-pool page, since mapped reads
// serve a hot set larger than the pool (the OS page cache holds it); between 1 Ki and 64 Ki
// slots, so at most 12 MiB (the default 128 MiB pool gets the 64 Ki).
size_t HintCacheSlots(const BPlusTreeOptions& options, size_t page_size) {
  const uint64_t pool_pages = options.buffer_pool_bytes / page_size;
  return static_cast<size_t>(std::clamp<uint64_t>(16 * pool_pages, 1 << 10, 1 << 16));
}
}  // namespace

Tree::Tree(StorageEngine* engine, AdaptiveHashIndex* ahi, Prefetcher* prefetcher)
    : engine_(engine),
      pool_(engine->buffer_pool()),
      ahi_(ahi),
      prefetcher_(prefetcher),
      page_size_(engine->page_size()),
      payload_size_(PayloadSize(engine->page_size())),
      mapped_reads_enabled_(engine->options().allow_mmap_reads) {
  if (mapped_reads_enabled_) {
    hint_cache_ = std::make_unique<NodeHintCache>(HintCacheSlots(engine->options(), page_size_));
  }
}

namespace tree_internal {
Status ValidateTreePage(PageId id, const char* page, size_t page_size) {
  const PageType type = PageView(page, page_size).type();
  if (type != PageType::kLeaf && type != PageType::kInternal) return Status::OK();
  Node n = NodeOf(page, page_size);
  // The page's name goes into the message only on failure (runs on every pool miss).
  Status s = n.Validate("");
  if (!s.ok()) s = n.Validate(PageName(id));
  if (s.ok() && n.is_leaf() != (type == PageType::kLeaf)) {
    s = Status::Corruption("node kind does not match page type", PageName(id));
  }
  return s;
}
}  // namespace tree_internal

Status Tree::Init() {
  const size_t page_size = page_size_;
  pool_->SetPageValidator(
      [page_size](PageId id, const char* page) { return ValidateTreePage(id, page, page_size); });
  if (engine_->RootPageId() != kInvalidPageId) return Status::OK();
  MiniTxn mtr = engine_->Begin();
  PageWriteGuard g;
  Status s = pool_->AllocatePage(&mtr, PageType::kLeaf, 0, &g);
  if (!s.ok()) return s;
  NodeOf(g).Format(/*leaf=*/true);
  mtr.SetRootPageId(g.id());
  g.Release();
  return mtr.Commit(/*sync=*/true);
}

KeyLoader Tree::ReadLoader() {
  return [this](const OverflowRef& ref, std::string* out) {
    return ReadOverflow(pool_, nullptr, ref, out);
  };
}

KeyLoader Tree::WriteLoader(MiniTxn* mtr) {
  return [this, mtr](const OverflowRef& ref, std::string* out) {
    return ReadOverflow(pool_, mtr, ref, out);
  };
}

// ---------------------------------------------------------------------------------------------
// Readers

Status Tree::CoupleRead(PageReadGuard* parent, PageId child, PageReadGuard* out) {
  Status s = pool_->TryFetchRead(child, out);
  if (!s.IsBusy()) return s;
  // A writer holds the child until its mini-txn commits. Never wait while holding a latch:
  // let go, wait for the child alone, and have the caller restart from the root.
  parent->Release();
  s = pool_->FetchRead(child, out);
  out->Release();
  restarts_.fetch_add(1, std::memory_order_relaxed);
  return s.ok() ? Status::Busy("restart") : s;
}

Status Tree::DescendRead(std::string_view target, int mode, PageReadGuard* leaf) {
  KeyLoader loader = ReadLoader();
  while (true) {
    PageReadGuard g;
    Status s = pool_->FetchRead(engine_->RootPageId(), &g);
    if (!s.ok()) return s;
    bool restart = false;
    while (!restart) {
      PageView v = g.view();
      if (v.type() == PageType::kLeaf) {
        *leaf = std::move(g);
        return Status::OK();
      }
      if (v.type() != PageType::kInternal) {
        return Status::Corruption("B+tree page of unexpected type",
                                  PageName(g.id()) + ": " + PageTypeName(v.type()));
      }
      Node n = NodeOf(g.data(), page_size_);
      if (n.count() == 0) return Status::Corruption("empty internal node", PageName(g.id()));
      int idx = 0;
      if (mode == 0) {
        idx = n.ChildIndex(target, loader, &s);
      } else if (mode == 1) {
        // Last child whose separator is < target.
        int lo = 1, hi = n.count();
        while (lo < hi && s.ok()) {
          int mid = lo + (hi - lo) / 2;
          if (n.Compare(mid, target, loader, &s) < 0) {
            lo = mid + 1;
          } else {
            hi = mid;
          }
        }
        idx = lo - 1;
      } else if (mode == 3) {
        idx = n.count() - 1;
      }
      if (!s.ok()) return s;
      PageReadGuard c;
      s = CoupleRead(&g, n.child(idx), &c);
      if (s.IsBusy()) {
        restart = true;
      } else if (!s.ok()) {
        return s;
      } else {
        g = std::move(c);
      }
    }
  }
}

// Reads key's value from a latched leaf: OK, NotFound, or an error.
static Status ValueFromLeaf(BufferPool* pool, const Node& n, int pos, std::string* value) {
  if (n.value_overflow(pos)) return ReadOverflow(pool, nullptr, n.ValueRef(pos), value);
  value->assign(n.raw_value(pos));
  return Status::OK();
}

Status Tree::Get(std::string_view key, std::string* value) {
  Status s;
  bool found;
  PageId hinted;
  Lsn hinted_lsn;
  const uint64_t key_hash = ahi_ != nullptr ? AdaptiveHashIndex::HashKey(key) : 0;
  if (ahi_ != nullptr && ahi_->Lookup(key_hash, &hinted, &hinted_lsn)) {
    // Use the entry only if the leaf is unchanged since it was recorded and holds the key:
    // in the map when the file has the leaf's newest version, else in the pool.
    const MappedLeafResult r = mapped_reads_enabled_
                                   ? SearchHintedMappedLeaf(hinted, hinted_lsn, key, value)
                                   : MappedLeafResult::kUnsure;
    if (r == MappedLeafResult::kFound) {
      ahi_->ReportHit();
      return Status::OK();
    }
    PageReadGuard g;
    if (r == MappedLeafResult::kUnsure && pool_->FetchRead(hinted, &g).ok() &&
        g.view().type() == PageType::kLeaf && g.view().lsn() == hinted_lsn) {
      Node n = NodeOf(g.data(), page_size_);
      int pos = n.LowerBound(key, ReadLoader(), &found, &s);
      if (s.ok() && found) {
        ahi_->ReportHit();
        return ValueFromLeaf(pool_, n, pos, value);
      }
    }
    // Stale: the descent below re-records the key's current leaf, or drops the entry when the
    // key is gone.
  }
  PageReadGuard g;
  if (mapped_reads_enabled_) {
    PageId leaf = kInvalidPageId;
    Lsn leaf_lsn = kInvalidLsn;
    switch (DescendMapped(key, value, &g, &leaf, &leaf_lsn)) {
      case MappedDescent::kFound:
        if (ahi_ != nullptr) ahi_->Record(key_hash, leaf, leaf_lsn);
        return Status::OK();
      case MappedDescent::kNotFound:
        if (ahi_ != nullptr) ahi_->Invalidate(key_hash);
        return Status::NotFound("");
      case MappedDescent::kLatchedLeaf:
        break;
      case MappedDescent::kFallBack:
        mapped_fallbacks_.fetch_add(1, std::memory_order_relaxed);
        break;
    }
  }
  if (!g.valid()) {
    s = DescendRead(key, 0, &g);
    if (!s.ok()) return s;
  }
  Node n = NodeOf(g.data(), page_size_);
  int pos = n.LowerBound(key, ReadLoader(), &found, &s);
  if (!s.ok()) return s;
  if (!found) {
    if (ahi_ != nullptr) ahi_->Invalidate(key_hash);
    return Status::NotFound("");
  }
  if (ahi_ != nullptr) ahi_->Record(key_hash, g.id(), g.view().lsn());
  return ValueFromLeaf(pool_, n, pos, value);
}

Status Tree::CopyLeaf(const PageReadGuard& g, LeafSnapshot* leaf, Prefetcher::ScanState* scan) {
  PageView v = g.view();
  if (v.type() != PageType::kLeaf) {
    return Status::Corruption("leaf link to a non-leaf page", PageName(g.id()));
  }
  leaf->Clear();
  leaf->id = g.id();
  leaf->lsn = v.lsn();
  leaf->next = v.next();
  leaf->prev = v.prev();
  Node n = NodeOf(g.data(), page_size_);
  const int count = n.count();
  leaf->CopyPage(g.data(), kPageHeaderSize + n.cells_begin(), page_size_,
                 static_cast<size_t>(count));
  std::string big_key, big_value;  // only for overflowed cells
  // Inline cells (the usual ones) are decoded in place; node offsets + node_base = page offsets.
  const size_t node_base = kPageHeaderSize;
  for (int i = 0; i < count; i++) {
    size_t key_off;
    uint32_t key_len, value_len;
    if (n.InlineCell(i, &key_off, &key_len, &value_len)) {
      leaf->AddInPage(node_base + key_off, key_len, value_len);
      continue;
    }
    uint8_t flags;
    std::string_view k, val;
    n.Parse(i, &flags, &k, &val);
    if ((flags & (kKeyOverflow | kValueOverflow)) == 0) {
      // Parse returns views of the page: key then value, adjacent in the cell.
      leaf->AddInPage(static_cast<size_t>(k.data() - g.data()), k.size(), val.size());
      continue;
    }
    Status s;
    if (flags & kKeyOverflow) {
      s = n.FullKey(i, ReadLoader(), &big_key);
      k = big_key;
    }
    if (s.ok() && (flags & kValueOverflow)) {
      s = ReadOverflow(pool_, nullptr, n.ValueRef(i), &big_value);
      val = big_value;
    }
    if (!s.ok()) return s;
    leaf->Add(k, val);
  }
  if (prefetcher_ != nullptr && scan != nullptr) {
    prefetcher_->OnLeafAccess(scan, leaf->id, leaf->prev, leaf->next);
  }
  return Status::OK();
}

namespace {
// First entry of leaf whose key is >= target (> target when exclusive).
size_t LeafLowerBound(const LeafSnapshot& leaf, std::string_view target, bool exclusive) {
  size_t lo = 0, hi = leaf.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int c = leaf.key(mid).compare(target);
    if (c < 0 || (exclusive && c == 0)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}
}  // namespace

Status Tree::SeekForward(std::string_view target, bool exclusive, LeafSnapshot* leaf, size_t* pos,
                         Prefetcher::ScanState* scan) {
  while (true) {
    PageReadGuard g;
    Status s = DescendRead(target, 0, &g);
    if (!s.ok()) return s;
    while (true) {
      s = CopyLeaf(g, leaf, scan);
      if (!s.ok()) return s;
      const size_t at = LeafLowerBound(*leaf, target, exclusive);
      if (at < leaf->size()) {
        *pos = at;
        return Status::OK();
      }
      if (leaf->next == kInvalidPageId) {
        leaf->Clear();
        return Status::OK();
      }
      PageReadGuard c;
      s = CoupleRead(&g, leaf->next, &c);
      if (s.IsBusy()) break;
      if (!s.ok()) return s;
      g = std::move(c);
    }
  }
}

Status Tree::SeekBackward(const std::string* target, bool exclusive, LeafSnapshot* leaf,
                          size_t* pos, Prefetcher::ScanState* scan) {
  while (true) {
    PageReadGuard g;
    Status s =
        target == nullptr ? DescendRead("", 3, &g) : DescendRead(*target, exclusive ? 1 : 0, &g);
    if (!s.ok()) return s;
    while (true) {
      s = CopyLeaf(g, leaf, scan);
      if (!s.ok()) return s;
      size_t n = leaf->size();
      // Entries before the first key > target (>= target when exclusive).
      if (target != nullptr) n = LeafLowerBound(*leaf, *target, !exclusive);
      if (n > 0) {
        *pos = n - 1;
        return Status::OK();
      }
      if (leaf->prev == kInvalidPageId) {
        leaf->Clear();
        return Status::OK();
      }
      PageReadGuard c;
      s = CoupleRead(&g, leaf->prev, &c);
      if (s.IsBusy()) break;
      if (!s.ok()) return s;
      g = std::move(c);
    }
  }
}

bool Tree::LatchUnchangedLeaf(const LeafSnapshot& leaf, PageReadGuard* g) {
  if (!pool_->FetchRead(leaf.id, g).ok()) return false;
  // Any change to the page (a write, split, merge, borrow, or free and reuse) advances its LSN,
  // so an equal LSN means the copied links still hold and the neighbour's keys all lie beyond
  // the copied ones.
  PageView v = g->view();
  return v.type() == PageType::kLeaf && v.lsn() == leaf.lsn;
}

Status Tree::WalkLink(PageReadGuard* g, int dir, LeafSnapshot* leaf, size_t* pos,
                      Prefetcher::ScanState* scan) {
  while (true) {
    PageView v = g->view();
    const PageId neighbour = dir > 0 ? v.next() : v.prev();
    if (neighbour == kInvalidPageId) {
      leaf->Clear();
      return Status::OK();
    }
    PageReadGuard c;
    Status s = CoupleRead(g, neighbour, &c);
    if (!s.ok()) return s;
    *g = std::move(c);
    s = CopyLeaf(*g, leaf, scan);
    if (!s.ok()) return s;
    if (!leaf->empty()) {
      *pos = dir > 0 ? 0 : leaf->size() - 1;
      return Status::OK();
    }
  }
}

Status Tree::StepForward(LeafSnapshot* leaf, size_t* pos, Prefetcher::ScanState* scan) {
  std::string last(leaf->key(leaf->size() - 1));
  PageReadGuard g;
  if (LatchUnchangedLeaf(*leaf, &g)) {
    Status s = WalkLink(&g, +1, leaf, pos, scan);
    if (!s.IsBusy()) return s;
  }
  g.Release();
  return SeekForward(last, /*exclusive=*/true, leaf, pos, scan);
}

Status Tree::StepBackward(LeafSnapshot* leaf, size_t* pos, Prefetcher::ScanState* scan) {
  std::string first(leaf->key(0));
  PageReadGuard g;
  if (LatchUnchangedLeaf(*leaf, &g)) {
    Status s = WalkLink(&g, -1, leaf, pos, scan);
    if (!s.IsBusy()) return s;
  }
  g.Release();
  return SeekBackward(&first, /*exclusive=*/true, leaf, pos, scan);
}

uint64_t Tree::Height() {
  PageReadGuard g;
  if (!pool_->FetchRead(engine_->RootPageId(), &g).ok()) return 0;
  return uint64_t{g.view().level()} + 1;
}

}  // namespace jadedb::bplustree
