// StorageEngine: the B+tree engine's storage layer as one object. It owns the data segment
// files and meta pages (PageFile), the WAL, the double-write buffer, the buffer pool, the
// free list and the checkpointer; Open() creates a new store or runs ARIES recovery on an
// existing one. The tree (tree.h) works only through Begin() (mini-transactions),
// buffer_pool() (page guards) and the root page id.
//
// Thread safety: all methods are thread-safe. Close() (or the destructor) must not race
// with other calls.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "bplustree/bplustree_options.h"
#include "bplustree/buffer_pool.h"
#include "bplustree/mini_txn.h"
#include "bplustree/page.h"
#include "jadedb/status.h"

namespace jadedb {
class FileLock;
}

namespace jadedb::bplustree {

class Checkpointer;
class DoubleWrite;
class FreeList;
class PageFile;
class Wal;

// What recovery did on the last Open (tests, LOG).
struct RecoveryStats {
  bool created = false;          // a new store was created
  uint64_t records_scanned = 0;  // WAL records read from the redo start
  uint64_t pages_redone = 0;     // page records applied
  uint64_t txns_undone = 0;      // mini-txns without a commit record that were rolled back
  uint64_t pages_repaired = 0;   // torn pages restored from the double-write buffer
  uint64_t pages_reclaimed = 0;  // allocated pages whose owner never committed, freed again
  Lsn redo_start = kInvalidLsn;
  Lsn end_lsn = kInvalidLsn;
};

// Committed allocation and root state, the content of the meta page.
struct MetaState {
  PageId root = kInvalidPageId;
  PageId free_head = kInvalidPageId;
  uint64_t page_count = kFirstDataPageId;  // pages 0..page_count-1 exist
  uint64_t free_count = 0;                 // pages on the free list
};

class StorageEngine {
 public:
  // Opens the store in directory dir (created when missing, as is a new store when the
  // directory has no meta page). Takes the directory's LOCK file.
  static Status Open(const BPlusTreeOptions& options, const std::string& dir,
                     std::unique_ptr<StorageEngine>* result);
  StorageEngine(const StorageEngine&) = delete;
  StorageEngine& operator=(const StorageEngine&) = delete;
  ~StorageEngine();

  // Flushes everything, writes a final checkpoint and closes the files. Idempotent.
  Status Close();

  // Starts a mini-transaction.
  MiniTxn Begin();
  BufferPool* buffer_pool() const { return pool_.get(); }
  uint32_t page_size() const { return page_size_; }
  const std::string& dir() const { return dir_; }

  // The tree's root page (kInvalidPageId for an empty tree). Set with MiniTxn::SetRootPageId.
  PageId RootPageId() const { return root_.load(std::memory_order_acquire); }
  // Pages in the store (meta pages included) and pages on the free list, for stats/tests.
  uint64_t PageCount() const;
  uint64_t FreePageCount() const;

  // Runs a fuzzy checkpoint now (flushes dirty pages, logs the dirty page table, writes the
  // meta page, deletes WAL segments no longer needed).
  Status Checkpoint();
  // Makes every committed mini-txn durable (one fsync of the WAL).
  Status SyncWal();

  // The read-only error state. The first failure of a write the store cannot take back (a
  // page flush by the flusher, an eviction or a checkpoint; a meta-page write; a WAL write or
  // sync reported by the DB) is kept here; from then on writes and checkpoints return it, and
  // Close writes nothing, while reads go on. OK while healthy. Reopening the store (on a
  // healthy disk) recovers from the WAL and clears it.
  Status background_error() const;
  // Keeps s (when not OK) unless an error is already kept; logs it.
  void RecordBackgroundError(const Status& s);
  // For a failed WAL fsync of a sync commit: RecordBackgroundError(s), and reads are fenced
  // (read_error) until the store is reopened.
  void RecordWalSyncError(const Status& s);
  // OK, or the background error once a WAL fsync failed. A sync commit releases its page
  // latches after the log write(2) and before the fsync (early lock release, as InnoDB), so
  // when that fsync fails readers may already have seen changes the log may not hold (after
  // a failed fsync the kernel may drop the unsynced pages): what the store holds after
  // recovery is unknown until it reopens. From then on Get, MultiGet and iterators return
  // this error rather than answer with data that may vanish; reopening runs recovery, which
  // decides what is durable. A failed log write(2) alone does not fence reads (the commit is
  // rolled back before its latches are released, and everything visible is in the OS), nor
  // does a failed page flush (the pages in memory match the durable log).
  // One acquire load while healthy.
  Status read_error() const {
    if (!reads_fenced_.load(std::memory_order_acquire)) return Status::OK();
    return background_error();
  }
  // Writes a line to the informational log (options.info_log; dropped when null).
  void LogWarning(const std::string& message) const;

  // "bplustree.buffer-pool.hits" etc. False when name is unknown. See GetProperty in
  // storage_engine.cc for the list; "bplustree.stats" gives all of them, one per line.
  bool GetProperty(std::string_view name, std::string* value) const;
  const RecoveryStats& recovery_stats() const { return recovery_stats_; }

  // --- storage-layer internals ---
  Wal* wal() const { return wal_.get(); }
  PageFile* page_file() const { return page_file_.get(); }
  FreeList* free_list() const { return free_list_.get(); }
  uint64_t NextMiniTxnId() { return next_mtr_id_.fetch_add(1) + 1; }
  void SetRootInMemory(PageId root) { root_.store(root, std::memory_order_release); }
  // Committed meta state; updated under the Wal mutex as mini-txns log their meta changes.
  MetaState committed_meta() const;
  void ApplyCommittedMeta(bool root_changed, PageId root, bool alloc_changed, PageId free_head,
                          uint64_t page_count, uint64_t free_count);
  // Writes the meta page (next sequence) for a checkpoint at checkpoint_lsn.
  Status WriteMetaPage(Lsn checkpoint_lsn, Lsn redo_start, const MetaState& state);
  Checkpointer* checkpointer() const { return checkpointer_.get(); }
  const BPlusTreeOptions& options() const { return options_; }

 private:
  StorageEngine(const BPlusTreeOptions& options, std::string dir);
  Status OpenImpl();
  Status CreateNew();
  Status Recover();

  BPlusTreeOptions options_;
  const std::string dir_;
  uint32_t page_size_ = kDefaultPageSize;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<PageFile> page_file_;
  std::unique_ptr<Wal> wal_;
  std::unique_ptr<DoubleWrite> double_write_;
  std::unique_ptr<BufferPool> pool_;
  std::unique_ptr<FreeList> free_list_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::atomic<PageId> root_{kInvalidPageId};
  std::atomic<uint64_t> next_mtr_id_{0};
  mutable std::mutex meta_mu_;
  MetaState committed_;
  std::mutex meta_write_mu_;
  uint64_t meta_sequence_ = 0;
  uint64_t segment_file_bytes_ = 0;
  RecoveryStats recovery_stats_;
  bool closed_ = false;
  mutable std::mutex error_mu_;            // a leaf lock: nothing is called while holding it
  Status background_error_;                // guarded by error_mu_
  std::atomic<bool> reads_fenced_{false};  // set (after background_error_) when the WAL failed
};

}  // namespace jadedb::bplustree
