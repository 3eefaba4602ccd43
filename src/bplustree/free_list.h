// FreeList: the persisted list of free pages. Free pages are chained through their header's
// next field (type kFree); the meta state holds the head and the page count. Allocation pops
// the head or extends the store; each allocation-state change is a small mini-transaction of
// its own, committed at once under the free-list mutex, so concurrent tree operations never
// wait for each other's commits and the log order of kAllocState records is their apply
// order. A page allocated by an operation that then crashes before committing is leaked
// (unreferenced, not on the list) until a future `check` reclaims it; an Abort returns it.
//
// Thread safety: thread-safe (one mutex).
#pragma once

#include <cstdint>
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
  Status Allocate(PageId* id, bool* fresh);
  // Pushes pages on the list (formats them kFree) in one mini-transaction.
  Status Free(const std::vector<PageId>& ids);

  PageId head() const;
  uint64_t page_count() const;
  uint64_t free_count() const;

 private:
  StorageEngine* const engine_;
  mutable std::mutex mu_;
  PageId head_;
  uint64_t page_count_;
  uint64_t free_count_;
};

}  // namespace jadedb::bplustree
