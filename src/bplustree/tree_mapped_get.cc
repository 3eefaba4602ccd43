// Tree::Get's latch-free descent through the segment files' read maps (allow_mmap_reads).
//
// Optimistic lock coupling with PageFile's per-page sequence word as the version. A page the
// word calls readable (not being written, and the pool holds no newer version) is searched in
// the map with no latch, no pin and no buffer-pool lookup, as LMDB reads its pages. Each hop
// from a mapped node N to its child C:
//   1. search N for C (bounds-checked: the bytes may be torn by a concurrent write);
//   2. check N's word: unchanged means C came from a whole, current version of N;
//   3. take C's word (or latch C in the pool when the pool holds its newest version);
//   4. check N's word again: unchanged means C was still N's child when C's word was taken
//      (or when C's latch was granted), so C's version at that word is the right one to read.
// A mini-txn sets the word of every page it changed before it releases any latch (MarkDirty
// at commit), so step 4 catches every split, merge or free that reached N or C in between,
// and the word check after the leaf search catches any change to the leaf. Any failed check
// restarts from the root; after kMaxRestarts the Get takes the latched descent, which always
// progresses. Pages with newer versions in the pool are latched and coupled as in
// DescendRead, so writes concentrated on a few pages leave the rest of the path latch-free.
#include <string>

#include "bplustree/page.h"
#include "bplustree/tree.h"
#include "bplustree/tree_internal.h"

namespace jadedb::bplustree {

using namespace tree_internal;  // NOLINT(build/namespaces): the tree's own helpers

namespace {
constexpr int kMaxRestarts = 8;
}  // namespace

bool Tree::VerifyMapped(PageId id, PageFile::MappedPage* page) {
  if (page->verified) return true;
  // The pool's rule for pages from disk: checksum, then structure. A failure is left to the
  // latched descent, whose pool read reports it as Corruption naming the file and page.
  static const std::string kNoName;
  PageFile* file = engine_->page_file();
  if (!VerifyPage(page->data, page_size_, id, kNoName, 0).ok() ||
      !ValidateTreePage(id, page->data, page_size_).ok() || !file->EndMappedRead(id, *page)) {
    return false;
  }
  file->MarkMappedVerified(id, *page);
  page->verified = true;
  mapped_verifies_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

const NodeHints* Tree::FindHints(PageId id, const PageFile::MappedPage& page, NodeHints* hints) {
  return hint_cache_->Find(id, page.seq, hints) ? hints : nullptr;
}

void Tree::AddHints(PageId id, const PageFile::MappedPage& page) {
  NodeHints hints;
  if (ComputeNodeHints(page.data, page_size_, &hints) &&
      engine_->page_file()->EndMappedRead(id, page)) {
    hint_cache_->Store(id, page.seq, hints);
  }
}

Tree::MappedDescent Tree::DescendMapped(std::string_view key, std::string* value,
                                        PageReadGuard* leaf, PageId* leaf_id, Lsn* leaf_lsn) {
  PageFile* file = engine_->page_file();
  for (int attempt = 0; attempt <= kMaxRestarts; attempt++) {
    if (attempt > 0) restarts_.fetch_add(1, std::memory_order_relaxed);
    // The node in hand: in the map at m (mapped), else latched in g.
    PageId id = engine_->RootPageId();
    PageFile::MappedPage m;
    PageReadGuard g;
    bool mapped = file->BeginMappedRead(id, &m);
    if (mapped && !VerifyMapped(id, &m)) return MappedDescent::kFallBack;
    if (!mapped && !pool_->FetchRead(id, &g).ok()) return MappedDescent::kFallBack;
    bool restart = false;
    while (!restart) {
      PageId child;
      if (mapped) {
        NodeHints hints;
        const NodeHints* h = FindHints(id, m, &hints);
        if (PageView(m.data, page_size_).type() == PageType::kLeaf) {
          const MappedLeafResult r = FindInMappedLeaf(m.data, page_size_, key, value, h);
          const Lsn lsn = PageView(m.data, page_size_).lsn();
          if (!file->EndMappedRead(id, m)) {
            restart = true;
            continue;
          }
          if (r == MappedLeafResult::kUnsure) return MappedDescent::kFallBack;
          if (h == nullptr) AddHints(id, m);
          mapped_reads_.fetch_add(1, std::memory_order_relaxed);
          *leaf_id = id;
          *leaf_lsn = lsn;
          return r == MappedLeafResult::kFound ? MappedDescent::kFound : MappedDescent::kNotFound;
        }
        const bool decided = FindChildInMapped(m.data, page_size_, key, &child, h);
        if (!file->EndMappedRead(id, m)) {  // step 2
          restart = true;
          continue;
        }
        if (h == nullptr) AddHints(id, m);
        // A whole, verified internal node that the map search cannot decide (an overflowed
        // separator): the latched descent compares through the overflow chain.
        if (!decided) return MappedDescent::kFallBack;
        if (mapped_hop_hook_) mapped_hop_hook_(id, child);
      } else {
        PageView v = g.view();
        if (v.type() == PageType::kLeaf) {
          *leaf = std::move(g);
          return MappedDescent::kLatchedLeaf;
        }
        Node n = NodeOf(g.data(), page_size_);
        if (v.type() != PageType::kInternal || n.count() == 0) return MappedDescent::kFallBack;
        Status s;
        const int idx = n.ChildIndex(key, ReadLoader(), &s);
        if (!s.ok()) return MappedDescent::kFallBack;
        child = n.child(idx);
      }

      PageFile::MappedPage cm;
      if (file->BeginMappedRead(child, &cm)) {  // step 3, in the map
        // Step 4. A latched parent cannot change while we hold it: just let go of it.
        if (!mapped) {
          g.Release();
        } else if (!file->EndMappedRead(id, m)) {
          restart = true;
          continue;
        }
        if (!VerifyMapped(child, &cm)) return MappedDescent::kFallBack;
        id = child;
        m = cm;
        mapped = true;
        continue;
      }
      // Step 3 in the pool: the pool holds the child's newest version (or the file has no
      // map there).
      PageReadGuard c;
      if (!mapped) {
        Status s = CoupleRead(&g, child, &c);
        if (s.IsBusy()) {
          restart = true;
          continue;
        }
        if (!s.ok()) return MappedDescent::kFallBack;
      } else {
        Status s = pool_->TryFetchRead(child, &c);
        if (s.IsBusy()) {
          // A writer holds the child until its mini-txn commits: wait for it (holding
          // nothing), then restart.
          if (pool_->FetchRead(child, &c).ok()) c.Release();
          restart = true;
          continue;
        }
        if (!s.ok()) return MappedDescent::kFallBack;
        if (!file->EndMappedRead(id, m)) {  // step 4
          restart = true;
          continue;
        }
      }
      g = std::move(c);
      id = child;
      mapped = false;
    }
  }
  return MappedDescent::kFallBack;
}

MappedLeafResult Tree::SearchHintedMappedLeaf(PageId id, Lsn expect_lsn, std::string_view key,
                                              std::string* value) {
  PageFile* file = engine_->page_file();
  PageFile::MappedPage page;
  if (!file->BeginMappedRead(id, &page) || !VerifyMapped(id, &page)) {
    return MappedLeafResult::kUnsure;
  }
  // The hint was recorded at expect_lsn; a leaf with another LSN has changed since (any change
  // advances it), so the key may have moved: the hint is stale.
  if (PageView(page.data, page_size_).lsn() != expect_lsn) {
    return file->EndMappedRead(id, page) ? MappedLeafResult::kNotFound : MappedLeafResult::kUnsure;
  }
  NodeHints hints;
  const MappedLeafResult r =
      FindInMappedLeaf(page.data, page_size_, key, value, FindHints(id, page, &hints));
  // A write of the page overlapped the search: its answer may come from torn bytes.
  if (!file->EndMappedRead(id, page)) return MappedLeafResult::kUnsure;
  if (r == MappedLeafResult::kFound) mapped_reads_.fetch_add(1, std::memory_order_relaxed);
  return r;
}

}  // namespace jadedb::bplustree
