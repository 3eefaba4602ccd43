// FreeList: the persisted list of free pages. Free pages are chained through their header's
// next field (type kFree); the meta state holds the head and the page count. Allocation pops
// the head or extends the store; each allocation-state change is a small mini-transaction of
// its own, committed at once under the free-list mutex, so concurrent tree operations never
// wait for each other's commits and the log order of kAllocState records is their apply
// order. Each allocation also logs which mini-txn the page is for: if that mtr never commits
// a change to the page (it aborted, or the process died first), recovery hands the page back
// (RecoveryResult::unclaimed_pages -> Reclaim); an Abort returns it at once.
//
// Thread safety: thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "bplustree/page.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class StorageEngine;

class FreeList {
 public:
  FreeList(StorageEngine* engine, PageId head, uint64_t page_count, uint64_t free_count);

  // Pops a free page or extends the store; *fresh is true when the page is new (beyond the
  // old end, never written). Commits its own mini-transaction.
  // owner: the mini-txn the page is for (logged, see MiniTxn::LogAllocation).
  Status Allocate(uint64_t owner, PageId* id, bool* fresh);
  // Pushes pages on the list (formats them kFree) in one mini-transaction.
  Status Free(const std::vector<PageId>& ids);

  PageId head() const;
  uint64_t page_count() const;
  uint64_t free_count() const;

  // Mini-txn owner has committed or given back the pages it was allocated.
  void Settle(uint64_t owner);
  // A lower bound of the LSN of the oldest allocation whose owner has not settled
  // (kInvalidLsn when none): a checkpoint's redo start must not pass it, so that recovery
  // sees the kAllocPage record of a page whose owner then dies.
  Lsn OldestUnsettledAllocation() const;

 private:
  StorageEngine* const engine_;
  mutable std::mutex mu_;
  PageId head_;
  uint64_t page_count_;
  uint64_t free_count_;
  // owner mtr -> LSN bound of its first allocation. Own mutex, taken last (under the WAL mutex
  // by checkpoints, under mu_ by Allocate).
  mutable std::mutex unsettled_mu_;
  std::map<uint64_t, Lsn> unsettled_;
};

}  // namespace jadedb::bplustree
