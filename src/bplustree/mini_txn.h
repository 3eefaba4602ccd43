// MiniTxn: InnoDB's mini-transaction. Groups the page changes of one logical operation (one
// WriteBatch, one split, one allocation) so they become durable and visible atomically.
//
// Pages are fetched for write through the mtr (BufferPool::FetchWrite). Each page gets a change
// log (PageChangeLog, InnoDB's mlog): its writers report the byte ranges they are about to
// change and the log saves those bytes; writes that are not reported switch the page to a
// whole-page before-image. Commit() turns each page's log into byte ranges (offset,
// after-bytes, before-bytes as undo information; ChangedRanges, or DiffPage against the
// whole-page image) and appends one redo record per modified page, the meta changes, and a
// commit record to the WAL in one group; it stamps every modified page with the commit LSN,
// marks it dirty, releases all latches, and with sync=true waits until the WAL is durable
// (group commit: concurrent committers share one fsync). Abort() restores the before-images.
//
// Verification mode (SetVerifyChangeLogs; on in builds without NDEBUG, with the environment
// variable JADEDB_VERIFY_MLOG=1, and in the test binaries) also keeps a whole-page copy of
// every page and checks at commit and release that the logged ranges are exactly what a diff
// against it gives: a write that was not reported aborts the process, naming the page and byte.
//
// Thread safety: a MiniTxn is used by one thread. Its latches are held until Commit/Abort
// (except pages released unmodified, see PageWriteGuard). Destroying an active mtr aborts it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bplustree/page.h"
#include "bplustree/wal_record.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class BufferPool;
class PageWriteGuard;
class StorageEngine;
struct Frame;

class MiniTxn {
 public:
  MiniTxn() = default;  // inactive
  explicit MiniTxn(StorageEngine* engine);
  MiniTxn(MiniTxn&& other) noexcept;
  MiniTxn& operator=(MiniTxn&& other) noexcept;
  MiniTxn(const MiniTxn&) = delete;
  MiniTxn& operator=(const MiniTxn&) = delete;
  ~MiniTxn();

  bool active() const { return engine_ != nullptr; }
  uint64_t id() const { return id_; }

  // Logs and applies the changes; releases latches. With sync, returns once the commit
  // record is durable. After Commit the mtr is inactive. An mtr that changed nothing logs
  // nothing. On a WAL error the changes are rolled back and the error returned.
  Status Commit(bool sync);
  // Restores every page to its before-image, undoes meta changes, releases latches.
  void Abort();

  // Sets the tree's root page (logged with the mtr; visible to RootPageId() at once,
  // restored on Abort). Callers serialize root changes (hold the X latch of the old root).
  void SetRootPageId(PageId root);

  // LSN of the commit record after a successful Commit (kInvalidLsn if nothing was logged).
  Lsn commit_lsn() const { return commit_lsn_; }

  // Verification of the change logs (see above), process-wide.
  static void SetVerifyChangeLogs(bool on);
  static bool VerifyChangeLogs();

  // --- storage-layer internals ---
  struct PageEntry {
    Frame* frame = nullptr;
    PageId id = kInvalidPageId;
    char* data = nullptr;
    PageChangeLog log;
    std::unique_ptr<char[]> verify_image;  // before-image, verification mode only
    bool guard_alive = false;              // a PageWriteGuard currently refers to this entry
    PageWriteGuard* guard = nullptr;
  };
  // Registers a page the caller has pinned and X-latched; returns its slot.
  size_t AddPage(Frame* frame, PageId id, char* data, size_t page_size);
  // Slot of page id if this mtr holds it, else -1.
  int FindPage(PageId id) const;
  PageEntry& entry(size_t slot) { return *pages_[slot]; }
  // Called by PageWriteGuard::Release.
  void GuardReleased(size_t slot);
  // Pages to push on the free list after commit.
  void AddPendingFree(PageId id) { pending_free_.push_back(id); }
  // Allocation-state change (free-list head, page count), logged with the mtr.
  void SetAllocState(PageId free_head, uint64_t page_count, uint64_t free_count);
  // Pages this mtr allocated (returned to the free list if it aborts).
  void AddAllocated(PageId id) { allocated_.push_back(id); }
  // Logs (kAllocPage, with this mtr) that page id was handed to mini-txn owner, so recovery
  // can return the page to the free list when no committed change of its owner reached it.
  void LogAllocation(PageId id, uint64_t owner) { allocations_.emplace_back(id, owner); }

 private:
  void ReleaseAll();
  void Reset();
  // Verification mode: aborts unless ranges are the diff of e's page against its copy.
  void VerifyRanges(const PageEntry& e, const std::vector<ByteRange>& ranges) const;

  StorageEngine* engine_ = nullptr;
  uint64_t id_ = 0;
  Lsn commit_lsn_ = kInvalidLsn;
  std::vector<std::unique_ptr<PageEntry>> pages_;
  // Page id -> its latest slot, built once an mtr holds more than kLinearFindPages pages (a
  // large WriteBatch touches thousands; a linear FindPage per fetch made it quadratic).
  static constexpr size_t kLinearFindPages = 16;
  std::unordered_map<PageId, size_t> slot_of_;
  std::vector<PageId> pending_free_;
  std::vector<PageId> allocated_;
  std::vector<std::pair<PageId, uint64_t>> allocations_;  // (page, owner mtr) for kAllocPage
  bool root_changed_ = false;
  PageId new_root_ = kInvalidPageId;
  PageId old_root_ = kInvalidPageId;
  bool alloc_changed_ = false;
  PageId new_free_head_ = kInvalidPageId;
  uint64_t new_page_count_ = 0;
  uint64_t new_free_count_ = 0;
};

}  // namespace jadedb::bplustree
