// BufferPool: the fixed-size cache of pages every B+tree access goes through.
//
// Memory: options.buffer_pool_bytes / page_size frames, split into buffer_pool_partitions
// partitions by a hash of the page id; each partition has its own mutex, page table, midpoint
// LRU and dirty-page list (ordered by recovery LSN), so threads working on different pages
// rarely meet. A frame carries a pin count and a reader/writer latch (writer-preferring).
//
// Eviction resists scans (InnoDB's midpoint LRU): a page read from disk enters the old
// sublist (the last ~3/8 of the list) and moves to the head of the young sublist only when
// touched again lru_old_blocks_time_ms or more after its first access. A scan therefore only
// recycles old-sublist frames and leaves the hot set alone.
//
// The background flusher writes the oldest dirty pages every flusher_interval_ms, and is
// woken early to clean the LRU tails when misses start finding them dirty, so a foreground
// miss rarely has to write pages itself (and wait for their fsyncs).
//
// Writing pages (flusher thread, eviction, checkpoint) obeys the WAL rule: the WAL is made
// durable up to a page's LSN (Wal::FlushTo) before the page is written, and with double_write
// on, the page goes to doublewrite.jdb (synced) before its in-place write.
//
// Thread safety: all methods are thread-safe. Guards are used by one thread. Lock order:
// frame latches (taken top-down by the tree) -> Wal mutex -> partition mutex. No partition
// mutex is held while waiting for a latch or doing I/O. A thread must not FetchRead a page
// its own open MiniTxn holds for write (that would self-deadlock).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bplustree/bplustree_options.h"
#include "bplustree/page.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class BufferPool;
class DoubleWrite;
class FreeList;
class MiniTxn;
class PageFile;
class Wal;
struct Frame;

// A pinned page under a shared latch. Movable; releases on destruction.
class PageReadGuard {
 public:
  PageReadGuard() = default;
  PageReadGuard(PageReadGuard&& other) noexcept { *this = std::move(other); }
  PageReadGuard& operator=(PageReadGuard&& other) noexcept;
  PageReadGuard(const PageReadGuard&) = delete;
  PageReadGuard& operator=(const PageReadGuard&) = delete;
  ~PageReadGuard() { Release(); }

  bool valid() const { return frame_ != nullptr; }
  PageId id() const { return id_; }
  const char* data() const { return data_; }
  size_t page_size() const { return page_size_; }
  PageView view() const { return PageView(data_, page_size_); }
  // Unlatches and unpins (no-op when not valid).
  void Release();

 private:
  friend class BufferPool;
  BufferPool* pool_ = nullptr;
  Frame* frame_ = nullptr;
  const char* data_ = nullptr;
  PageId id_ = kInvalidPageId;
  size_t page_size_ = 0;
};

// A pinned page under an exclusive latch, registered with a MiniTxn. Changes made through
// data() are logged when the MiniTxn commits. Release() before commit: if the page was
// modified, the MiniTxn keeps the latch until Commit/Abort (nobody may see uncommitted
// bytes); if not, the latch and pin are dropped at once (latch coupling can let go of safe
// ancestors). Guards still alive at Commit/Abort are detached (become invalid).
//
// Changes are logged through the page's change log (PageChangeLog, InnoDB's mlog): writers
// that report the bytes they change (Node and PageMutator built from change_log()/mutator())
// use logged_data(); data() hands out the bytes for unreported writes and switches the page
// to the whole-page before-image fallback. (data(), change_log(): defined in mini_txn.cc.)
class PageWriteGuard {
 public:
  PageWriteGuard() = default;
  PageWriteGuard(PageWriteGuard&& other) noexcept { *this = std::move(other); }
  PageWriteGuard& operator=(PageWriteGuard&& other) noexcept;
  PageWriteGuard(const PageWriteGuard&) = delete;
  PageWriteGuard& operator=(const PageWriteGuard&) = delete;
  ~PageWriteGuard() { Release(); }

  bool valid() const { return mtr_ != nullptr; }
  PageId id() const { return id_; }
  // The bytes for writes that are not reported: the page falls back to a whole-page
  // before-image (copied now, diffed at commit).
  char* data() const;
  // The bytes for reads and for writes reported to change_log() before they are made.
  char* logged_data() const { return data_; }
  // The page's change log in the mtr (null when not valid).
  PageChangeLog* change_log() const;
  size_t page_size() const { return page_size_; }
  PageView view() const { return PageView(data_, page_size_); }
  // A mutator whose setters report to the change log.
  PageMutator mutator() const { return PageMutator(data_, page_size_, change_log()); }
  void Release();

 private:
  friend class BufferPool;
  friend class MiniTxn;
  MiniTxn* mtr_ = nullptr;
  size_t slot_ = 0;  // index of the page in the MiniTxn
  char* data_ = nullptr;
  PageId id_ = kInvalidPageId;
  size_t page_size_ = 0;
};

struct BufferPoolStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t evictions = 0;
  uint64_t flushes = 0;  // pages written in place
  // fsyncs of the data files that made in-place writes durable (one per trip around the
  // double-write ring, and one per checkpoint)
  uint64_t in_place_syncs = 0;
  uint64_t prefetches = 0;  // pages read by Prefetch
  uint64_t capacity_pages = 0;
  uint64_t resident_pages = 0;
  uint64_t dirty_pages = 0;
  uint64_t young_pages = 0;  // pages in the young LRU sublist
  // A partition whose frames were all pinned took a frame from another partition (borrows)
  // or from the bounded overflow reserve beyond the budget (overflow_allocs); lent_pages
  // are away from home now (returned when unpinned and clean). pinned_full: fetches refused
  // because the whole pool and the reserve were pinned.
  uint64_t borrows = 0;
  uint64_t overflow_allocs = 0;
  uint64_t lent_pages = 0;
  uint64_t pinned_full = 0;
};

class BufferPool {
 public:
  // page_file and wal outlive the pool; double_write may be null (disabled).
  BufferPool(const BPlusTreeOptions& options, uint32_t page_size, PageFile* page_file, Wal* wal,
             DoubleWrite* double_write);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  // Stops background threads. Does not flush: call FlushAll first.
  ~BufferPool();

  uint32_t page_size() const { return page_size_; }

  // Pins page `id` (reading it from disk on a miss, verifying its checksum) under a shared
  // latch. Corruption naming the file and page id if the page fails verification.
  Status FetchRead(PageId id, PageReadGuard* guard);
  // As FetchRead, but returns Busy instead of waiting when the latch is held exclusively
  // (optimistic descent). A miss still reads the page.
  Status TryFetchRead(PageId id, PageReadGuard* guard);
  // Pins page `id` under an exclusive latch for modification within mtr. Fetching a page
  // the same mtr already holds returns a guard on it without relatching.
  Status FetchWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard);
  // As FetchWrite, but Busy instead of waiting for the latch.
  Status TryFetchWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard);
  // Takes a page from the persisted free list, or extends the store, formats it with
  // InitPage(type, level) and returns it write-latched in mtr.
  Status AllocatePage(MiniTxn* mtr, PageType type, uint16_t level, PageWriteGuard* guard);
  // Returns page `id` to the free list when mtr commits (nothing happens if it aborts). The
  // caller must have unlinked the page from the tree within the same mtr.
  Status FreePage(MiniTxn* mtr, PageId id);
  // Hint: read `id` into the pool in the background without pinning it (read-ahead). No-op
  // when resident, when prefetch_threads is 0, or when the queue is full.
  void Prefetch(PageId id);

  // Writes every dirty page (WAL rule + double-write) and syncs the data files.
  Status FlushAll();
  // Writes dirty pages whose recovery LSN is < up_to (UINT64_MAX: all), at most max_pages.
  // The writes are durable after SyncInPlace (a checkpoint calls it before its meta page).
  Status FlushDirty(Lsn up_to, size_t max_pages);
  // Syncs the data files: every page written in place so far is durable afterwards. Page
  // writes are not synced one batch at a time; the double-write ring needs a sync only once
  // per trip around it (double_write.h), and checkpoints call this.
  Status SyncInPlace();
  // The smallest recovery LSN (first LSN of the oldest change not durable in place) among
  // dirty pages and pages written in place but not yet synced, or kInvalidLsn when there is
  // none. Used by checkpoints.
  Lsn MinRecoveryLsn() const;
  // Page id -> recovery LSN of every dirty page (the dirty page table of a checkpoint).
  std::vector<std::pair<PageId, Lsn>> DirtyPageTable() const;

  BufferPoolStats GetStats() const;

  // --- storage-layer internals (MiniTxn, FreeList, StorageEngine, tests) ---
  void SetFreeList(FreeList* free_list) { free_list_ = free_list; }
  // Marks frame dirty with the LSNs of a committed change (called under the Wal mutex).
  void MarkDirty(Frame* frame, Lsn first_lsn, Lsn page_lsn);
  // Unlatches (exclusive) and unpins a frame held by a MiniTxn.
  void ReleaseWrite(Frame* frame);
  // A frame for a brand-new page (beyond the end of the store): zero bytes, no read.
  Status FetchNewWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard);
  // For FreeList::Free, which overwrites the page: FetchWrite, or a zeroed frame when the page
  // was never written (allocated at the end of the store, then its owner died or aborted
  // before the page reached the disk).
  Status FetchWriteToFree(PageId id, MiniTxn* mtr, PageWriteGuard* guard);
  // Starts the background flusher (every options.flusher_interval_ms) and prefetch threads.
  void StartBackground();
  void StopBackground();
  // Called with the Status of every failed page flush (WAL sync, double-write, page write or
  // data-file sync; from the flusher, an eviction or a checkpoint), outside partition mutexes.
  // The pages stay dirty; the storage engine turns the failure into its read-only error state.
  // After the first failure the pool writes nothing more: every later flush (flusher,
  // eviction of a dirty page, checkpoint, FlushAll) returns that first error, and the
  // flusher thread stops trying.
  // Set before StartBackground.
  void SetFlushErrorHandler(std::function<void(const Status&)> handler);
  // Checks the structure of every page read from disk (after its checksum passed), so a page
  // that is intact on disk but malformed inside is reported as Corruption naming its file,
  // offset and page id, and never reaches code that trusts its offsets. The tree installs a
  // node check; without one only checksums are verified. Set before the pool is shared.
  void SetPageValidator(std::function<Status(PageId, const char* page)> validator);
  // Test hook run before each in-place page write with the page id and the page LSN; tests
  // assert Wal::durable_lsn() >= page LSN there (the WAL rule).
  void SetBeforeWriteHook(std::function<void(PageId, Lsn)> hook);
  // Drops every clean unpinned page (tests).
  void EvictAllClean();

 private:
  friend class PageReadGuard;
  // What Fetch does when the page is not in the pool.
  enum class OnMiss {
    kRead,  // read it from disk (and verify it)
    kZero,  // a brand-new page: a zeroed frame, no read
  };
  // FetchRead and TryFetchRead (try_only): fetch shared, fill *guard.
  Status FetchReadGuard(PageId id, bool try_only, OnMiss on_miss, PageReadGuard* guard);
  friend class MiniTxn;
  struct Partition;
  struct Impl;

  Status Fetch(PageId id, bool exclusive, bool try_latch, OnMiss on_miss, Frame** out);
  Status FillWriteGuard(PageId id, MiniTxn* mtr, PageWriteGuard* guard);
  Status FlushFrames(const std::vector<Frame*>& frames);
  // SyncInPlace with flush_mu held (the fsync too).
  Status SyncInPlaceLocked();
  // With flush_mu held: records a successful sync (s OK) of the first `rounds` write rounds
  // and `batches` double-write batches, or fails the pool.
  Status FinishInPlaceSync(const Status& s, uint64_t rounds, uint64_t batches);
  // With flush_mu held: a round of pages whose oldest change is min_rec_lsn is about to be
  // written in place without a sync (MinRecoveryLsn counts them until a sync covers it).
  void NoteUnsyncedRound(Lsn min_rec_lsn);
  // With flush_mu held: records the first flush failure (and tells the handler); returns it.
  Status FailFlush(const Status& s);
  // Wakes the flusher to clean the LRU tails (no-op without a flusher thread).
  void RequestLruFlush();
  // Writes up to a double-write batch of unpinned dirty pages from the LRU tail of each
  // partition (the next eviction victims), so foreground misses find clean frames.
  Status FlushLruTails();
  static void Rebalance(Partition& p, uint32_t old_pct);
  void Unpin(Frame* frame);
  void ReleaseRead(Frame* frame);
  // A frame for partition `to` whose own frames are all pinned: a free or clean unpinned
  // frame of another partition, else an overflow frame; null when none. Call with no
  // partition mutex held. The frame is returned (GiveBack) when unpinned and clean.
  Frame* BorrowFrame(uint32_t to);
  // Returns a borrowed frame that nobody owns (unmapped, unpinned, on no list) to its home.
  void GiveBack(Frame* frame);
  Status PoolFullError() const;

  const BPlusTreeOptions options_;
  const uint32_t page_size_;
  PageFile* const page_file_;
  Wal* const wal_;
  DoubleWrite* const double_write_;
  FreeList* free_list_ = nullptr;
  std::function<Status(PageId, const char*)> page_validator_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jadedb::bplustree
