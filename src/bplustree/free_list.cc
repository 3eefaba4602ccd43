#include "bplustree/free_list.h"

#include "bplustree/buffer_pool.h"
#include "bplustree/mini_txn.h"
#include "bplustree/storage_engine.h"
#include "bplustree/wal.h"

namespace jadedb::bplustree {

FreeList::FreeList(StorageEngine* engine, PageId head, uint64_t page_count, uint64_t free_count)
    : engine_(engine), head_(head), page_count_(page_count), free_count_(free_count) {}

Status FreeList::Allocate(uint64_t owner, PageId* id, bool* fresh) {
  std::lock_guard<std::mutex> l(mu_);
  MiniTxn mtr = engine_->Begin();
  PageId next_head = head_;
  uint64_t next_count = page_count_;
  uint64_t next_free = free_count_;
  if (head_ != kInvalidPageId) {
    PageReadGuard g;
    Status s = engine_->buffer_pool()->FetchRead(head_, &g);
    if (!s.ok()) return s;
    PageView v = g.view();
    if (v.type() != PageType::kFree) {
      return Status::Corruption("free-list page " + std::to_string(head_) + " has type " +
                                PageTypeName(v.type()));
    }
    next_head = v.next();
    if (next_head != kInvalidPageId && (next_head < kFirstDataPageId || next_head >= page_count_)) {
      return Status::Corruption("free-list page " + std::to_string(head_) + " links to page " +
                                std::to_string(next_head));
    }
    *id = head_;
    *fresh = false;
    if (next_free > 0) next_free--;
  } else {
    *id = page_count_;
    *fresh = true;
    next_count++;
  }
  mtr.SetAllocState(next_head, next_count, next_free);
  mtr.LogAllocation(*id, owner);
  {
    // Registered before the commit, with a bound at or below its LSN: a checkpoint that misses
    // the registration chose its redo start before the allocation was logged. The bound is
    // read before unsettled_mu_ is taken: checkpoints take unsettled_mu_ under the WAL mutex.
    const Lsn bound = engine_->wal()->last_lsn() + 1;
    std::lock_guard<std::mutex> u(unsettled_mu_);
    unsettled_.try_emplace(owner, bound);
  }
  Status s = mtr.Commit(false);
  if (!s.ok()) return s;
  head_ = next_head;
  page_count_ = next_count;
  free_count_ = next_free;
  return Status::OK();
}

Status FreeList::Free(const std::vector<PageId>& ids) {
  if (ids.empty()) return Status::OK();
  std::lock_guard<std::mutex> l(mu_);
  MiniTxn mtr = engine_->Begin();
  BufferPool* pool = engine_->buffer_pool();
  PageId head = head_;
  for (PageId id : ids) {
    if (id < kFirstDataPageId || id >= page_count_) {
      mtr.Abort();
      return Status::InvalidArgument("cannot free page " + std::to_string(id));
    }
    PageWriteGuard g;
    Status s = pool->FetchWriteToFree(id, &mtr, &g);
    if (!s.ok()) {
      mtr.Abort();
      return s;
    }
    const Lsn lsn = g.view().lsn();
    InitPage(g.data(), g.page_size(), id, PageType::kFree, 0, lsn);
    g.mutator().set_next(head);
    head = id;
  }
  mtr.SetAllocState(head, page_count_, free_count_ + ids.size());
  Status s = mtr.Commit(false);
  if (!s.ok()) return s;
  head_ = head;
  free_count_ += ids.size();
  return Status::OK();
}

void FreeList::Settle(uint64_t owner) {
  std::lock_guard<std::mutex> u(unsettled_mu_);
  unsettled_.erase(owner);
}

Lsn FreeList::OldestUnsettledAllocation() const {
  std::lock_guard<std::mutex> u(unsettled_mu_);
  Lsn oldest = kInvalidLsn;
  for (const auto& [owner, lsn] : unsettled_) {
    if (oldest == kInvalidLsn || lsn < oldest) oldest = lsn;
  }
  return oldest;
}

PageId FreeList::head() const {
  std::lock_guard<std::mutex> l(mu_);
  return head_;
}
uint64_t FreeList::page_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return page_count_;
}
uint64_t FreeList::free_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return free_count_;
}

}  // namespace jadedb::bplustree
