// Tree: the B+tree proper, on top of the storage layer (StorageEngine: buffer pool, mini-txns,
// WAL). Nodes use the slotted format of node.h; large keys and values go to overflow chains.
//
// Shape: the root page never moves once created (a root split copies the root's cells into
// two new children and turns the root into their parent; a root collapse copies the only
// child back), so readers can always start at StorageEngine::RootPageId().
//
// Concurrency:
//  - Readers (Get, iterators) descend with shared latches, coupling parent -> child. A reader
//    never waits for a latch while holding one: it try-latches the child, and when that is
//    busy it lets go of everything, waits for the child alone, and restarts. So readers
//    cannot deadlock with writers, whose mini-txns keep modified pages latched until commit.
//    Readers on different leaves never block each other; there is no lock on the read path.
//  - With mapped reads (BPlusTreeOptions::allow_mmap_reads), Get takes no latch at all on a
//    page whose newest version is in its segment file: it reads the page in the file's read
//    map and checks the page's sequence word afterwards (optimistic lock coupling, with the
//    word in PageFile as the version), and latches in the pool only pages the pool holds
//    newer versions of (see DescendMapped in tree_mapped_get.cc).
//  - Writers are serialized among themselves by the caller (BPlusTreeDB's write mutex: one
//    mini-txn at a time, so a WriteBatch is one atomic mini-txn). Each operation first
//    descends optimistically (shared latches on internal nodes, exclusive on the leaf) and
//    restarts with exclusive latches on the whole path only when a split or merge is needed.
//
// Thread safety: Get, Seek* and Check may be called from any thread at any time; Put and
// Delete require the caller to serialize writers and pass the writer's mini-txn.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bplustree/buffer_pool.h"
#include "bplustree/mapped_node.h"
#include "bplustree/mini_txn.h"
#include "bplustree/node.h"
#include "bplustree/node_hints.h"
#include "bplustree/page.h"
#include "bplustree/page_file.h"
#include "bplustree/prefetcher.h"
#include "bplustree/storage_engine.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class AdaptiveHashIndex;

// A copy of one leaf's entries (overflow keys and values resolved), made under the leaf's latch
// so an iterator can move without holding latches. The bytes live in one arena and an index
// of offsets, both reused from leaf to leaf, so copying a leaf allocates nothing once warm
// (a string pair per entry cost two heap allocations each, as 16-byte keys exceed SSO). The
// arena starts with a copy of the whole page (one memcpy): an inline cell's key and value
// are adjacent in it, so its entry just points there; only overflowed cells are appended
// (a per-entry append was a third of a sequential scan's instructions).
struct LeafSnapshot {
  PageId id = kInvalidPageId;
  Lsn lsn = kInvalidLsn;
  PageId next = kInvalidPageId;
  PageId prev = kInvalidPageId;

  size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  std::string_view key(size_t i) const {
    return std::string_view(arena_.get() + index_[i].key_off, index_[i].key_len);
  }
  std::string_view value(size_t i) const {
    const Entry& e = index_[i];
    return std::string_view(arena_.get() + e.key_off + e.key_len, e.value_len);
  }
  // Drops the entries (keeping the memory) and the ids.
  void Clear() {
    id = kInvalidPageId;
    lsn = kInvalidLsn;
    next = prev = kInvalidPageId;
    used_ = 0;
    index_.clear();
  }
  // Starts the arena with the page's bytes [cells_begin, page_size) at their page offsets (the
  // bytes before cells_begin are left undefined and never read). Call after Clear.
  void CopyPage(const char* page, size_t cells_begin, size_t page_size, size_t entries) {
    Grow(page_size, 0);
    std::memcpy(arena_.get() + cells_begin, page + cells_begin, page_size - cells_begin);
    used_ = page_size;
    index_.reserve(entries);
  }
  // An entry whose key is at page offset key_off, followed by its value (an inline cell).
  void AddInPage(size_t key_off, size_t key_len, size_t value_len) {
    index_.push_back({key_off, static_cast<uint32_t>(key_len), static_cast<uint32_t>(value_len)});
  }
  // An entry copied to the end of the arena (an overflowed cell, resolved).
  void Add(std::string_view k, std::string_view v) {
    Grow(used_ + k.size() + v.size(), used_);
    index_.push_back({used_, static_cast<uint32_t>(k.size()), static_cast<uint32_t>(v.size())});
    std::memcpy(arena_.get() + used_, k.data(), k.size());
    std::memcpy(arena_.get() + used_ + k.size(), v.data(), v.size());
    used_ += k.size() + v.size();
  }

 private:
  struct Entry {
    size_t key_off;
    uint32_t key_len;
    uint32_t value_len;
  };
  // Makes room for need bytes, keeping the first keep.
  void Grow(size_t need, size_t keep) {
    if (need <= capacity_) return;
    const size_t capacity = std::max(need, 2 * capacity_);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (keep > 0) std::memcpy(grown.get(), arena_.get(), keep);
    arena_ = std::move(grown);
    capacity_ = capacity;
  }
  std::unique_ptr<char[]> arena_;
  size_t capacity_ = 0;
  size_t used_ = 0;
  std::vector<Entry> index_;
};

struct TreeStats {
  uint64_t height = 0;
  uint64_t leaf_pages = 0;
  uint64_t internal_pages = 0;
  uint64_t overflow_pages = 0;
  uint64_t entries = 0;
};

class Tree {
 public:
  // engine outlives the tree. ahi and prefetcher may be null.
  Tree(StorageEngine* engine, AdaptiveHashIndex* ahi, Prefetcher* prefetcher);
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;

  // Creates the root leaf of an empty store (no-op when a root exists).
  Status Init();

  // OK and *value, or NotFound.
  Status Get(std::string_view key, std::string* value);

  // Writers (serialized by the caller), within mtr.
  Status Put(MiniTxn* mtr, std::string_view key, std::string_view value);
  Status Delete(MiniTxn* mtr, std::string_view key);

  // Positions: the leaf holding the first key >= target (> target when exclusive), with
  // *pos at that key; an empty snapshot (id 0) when no such key exists.
  // scan (may be null) is the caller's read-ahead state.
  Status SeekForward(std::string_view target, bool exclusive, LeafSnapshot* leaf, size_t* pos,
                     Prefetcher::ScanState* scan = nullptr);
  // The leaf holding the last key <= target (< target when exclusive); target null means
  // the last key of the tree.
  Status SeekBackward(const std::string* target, bool exclusive, LeafSnapshot* leaf, size_t* pos,
                      Prefetcher::ScanState* scan = nullptr);
  // Moves from the last entry of *leaf to the first key after it (StepForward) or from the
  // first entry to the last key before it (StepBackward). When the leaf is unchanged since it
  // was copied (same page LSN) this follows the leaf link without a descent and without
  // copying the leaf again; otherwise it seeks from the root. *leaf must be non-empty.
  Status StepForward(LeafSnapshot* leaf, size_t* pos, Prefetcher::ScanState* scan = nullptr);
  Status StepBackward(LeafSnapshot* leaf, size_t* pos, Prefetcher::ScanState* scan = nullptr);

  // Walks the whole tree: key order in every node, separators bounding their subtrees, levels,
  // leaf links both ways, node structure. Fills *report; Corruption naming the page on the
  // first problem. Must not run concurrently with writers.
  Status Check(std::string* report, TreeStats* stats = nullptr);

  // Height of the tree (1 = the root is a leaf).
  uint64_t Height();
  size_t payload_size() const { return payload_size_; }
  // Largest inline value and key; larger ones go to overflow chains.
  size_t max_inline_value() const { return payload_size_ / 4; }
  size_t max_inline_key() const { return payload_size_ / 16; }

  uint64_t splits() const { return splits_.load(std::memory_order_relaxed); }
  uint64_t merges() const { return merges_.load(std::memory_order_relaxed); }
  // Rebalances that moved cells between siblings instead of merging them.
  uint64_t leaf_borrows() const { return leaf_borrows_.load(std::memory_order_relaxed); }
  uint64_t internal_borrows() const { return internal_borrows_.load(std::memory_order_relaxed); }
  uint64_t restarts() const { return restarts_.load(std::memory_order_relaxed); }
  // With mapped reads (BPlusTreeOptions::allow_mmap_reads): Gets answered from a leaf in the
  // read map, pages verified there, and Gets whose mapped descent gave up for the latched
  // one (restarts of mapped descents count in restarts()).
  uint64_t mapped_reads() const { return mapped_reads_.load(std::memory_order_relaxed); }
  uint64_t mapped_verifies() const { return mapped_verifies_.load(std::memory_order_relaxed); }
  uint64_t mapped_fallbacks() const { return mapped_fallbacks_.load(std::memory_order_relaxed); }

  // Tests: called by Get's mapped descent at each hop from a node read in the map, after the
  // node's word was checked and before the child is read (the window in which a writer can
  // split or merge the child). It may write to the tree (the descent holds no latch there).
  // Set before Gets run.
  void SetMappedHopHookForTest(std::function<void(PageId parent, PageId child)> hook) {
    mapped_hop_hook_ = std::move(hook);
  }

 private:
  struct PathEntry;
  class ReadPath;

  // Descends with shared latches to the leaf for target; leaves *leaf latched.
  // mode: 0 = leaf for target, 1 = leaf for the last key < target (prev), 2 = leftmost,
  // 3 = rightmost.
  Status DescendRead(std::string_view target, int mode, PageReadGuard* leaf);

  // Get's descent with mapped reads (tree_mapped_get.cc): pages whose newest version is in
  // the file are searched in the read map without latches and validated by their sequence
  // words; the others are latched in the pool. kFound (*value set) and kNotFound answer from
  // a mapped leaf (*leaf_id, *leaf_lsn: the version searched); kLatchedLeaf leaves key's leaf
  // latched in *leaf; kFallBack: use DescendRead (an overflowed key or value, a page that
  // failed verification, an I/O error, or too many restarts under writes).
  enum class MappedDescent { kFound, kNotFound, kLatchedLeaf, kFallBack };
  MappedDescent DescendMapped(std::string_view key, std::string* value, PageReadGuard* leaf,
                              PageId* leaf_id, Lsn* leaf_lsn);
  // Completes a mapped read of page id begun by PageFile::BeginMappedRead: true when its bytes
  // passed verification (checksum, structure) at this sequence, now or before.
  bool VerifyMapped(PageId id, PageFile::MappedPage* page);
  // The cached hints of mapped page id at page.seq (null when none), into *hints.
  const NodeHints* FindHints(PageId id, const PageFile::MappedPage& page, NodeHints* hints);
  // After a search of mapped page id without hints: computes and caches them (the page's
  // word still unchanged).
  void AddHints(PageId id, const PageFile::MappedPage& page);
  // The adaptive hash index's hint: key in leaf `id` as of LSN expect_lsn, searched in the
  // map. kFound; kNotFound when the hint is stale (the file's newest version has another LSN,
  // or lacks the key); kUnsure when the map cannot tell (the pool holds a newer version, a
  // write is in progress, or the value is overflowed).
  MappedLeafResult SearchHintedMappedLeaf(PageId id, Lsn expect_lsn, std::string_view key,
                                          std::string* value);
  // Shared-latches child while holding parent without waiting; on Busy releases parent,
  // waits for child, releases and returns Busy (the caller restarts).
  Status CoupleRead(PageReadGuard* parent, PageId child, PageReadGuard* out);
  Status CopyLeaf(const PageReadGuard& g, LeafSnapshot* leaf, Prefetcher::ScanState* scan);
  // Latches leaf->id and returns true when it is still the leaf that was copied into *leaf.
  bool LatchUnchangedLeaf(const LeafSnapshot& leaf, PageReadGuard* g);
  // From latched leaf g, copies the neighbours in direction dir (+1 next, -1 prev) until one
  // has entries; *pos at its first (dir +1) or last entry. Busy when a latch could not be taken.
  Status WalkLink(PageReadGuard* g, int dir, LeafSnapshot* leaf, size_t* pos,
                  Prefetcher::ScanState* scan);

  // Writer helpers.
  Status FetchForWrite(MiniTxn* mtr, PageId id, PageWriteGuard* g);
  // Optimistic: shared latches down to the leaf's parent, exclusive leaf.
  Status DescendWriteOptimistic(MiniTxn* mtr, std::string_view key, PageWriteGuard* leaf);
  // Pessimistic: exclusive latches on the whole path; path.back() is the leaf.
  Status DescendWritePessimistic(MiniTxn* mtr, std::string_view key, std::vector<PathEntry>* path);
  // Inserts cell at pos in path[level] (splitting up the path as needed).
  Status InsertInto(MiniTxn* mtr, std::vector<PathEntry>* path, size_t depth, int pos,
                    std::string cell);
  Status SplitRoot(MiniTxn* mtr, PathEntry* root, std::vector<std::string>& cells);
  // Rebalances path[depth] after a removal made it underfull.
  Status Rebalance(MiniTxn* mtr, std::vector<PathEntry>* path, size_t depth);
  // Redistributes two internal siblings that cannot merge (lg left of rg under parent).
  Status BorrowInternal(PathEntry* parent, int right_idx, PageWriteGuard* lg, PageWriteGuard* rg);
  // Separator between left's last key and right's first key (leaves).
  Status MakeSeparator(MiniTxn* mtr, const std::string& left_last, const std::string& right_first,
                       std::string* cell_key, uint8_t* flags);
  Status FreeCellChains(MiniTxn* mtr, const Node& node, int i);
  KeyLoader ReadLoader();
  KeyLoader WriteLoader(MiniTxn* mtr);
  Status BuildLeafCell(MiniTxn* mtr, const Node* leaf, int existing, std::string_view key,
                       std::string_view value, std::string* cell);
  bool Underfull(const Node& node) const { return node.UsedSpace() < payload_size_ / 4; }
  Status CheckNode(PageId id, int expect_level, const std::string* lo, const std::string* hi,
                   std::vector<PageId>* leaves, TreeStats* stats, std::string* report);

  StorageEngine* const engine_;
  BufferPool* const pool_;
  AdaptiveHashIndex* const ahi_;
  Prefetcher* const prefetcher_;
  const size_t page_size_;
  const size_t payload_size_;
  const bool mapped_reads_enabled_;
  // Search hints of mapped pages (null without mapped reads); see node_hints.h.
  std::unique_ptr<NodeHintCache> hint_cache_;
  std::function<void(PageId, PageId)> mapped_hop_hook_;
  std::atomic<uint64_t> splits_{0}, merges_{0}, leaf_borrows_{0}, internal_borrows_{0},
      restarts_{0}, mapped_reads_{0}, mapped_verifies_{0}, mapped_fallbacks_{0};
};

}  // namespace jadedb::bplustree
