#include "bplustree/mini_txn.h"

#include "bplustree/buffer_pool.h"
#include "bplustree/free_list.h"
#include "bplustree/storage_engine.h"
#include "bplustree/wal.h"
#include "bplustree/wal_record.h"

namespace jadedb::bplustree {

MiniTxn::MiniTxn(StorageEngine* engine) : engine_(engine), id_(engine->NextMiniTxnId()) {}

MiniTxn::MiniTxn(MiniTxn&& other) noexcept { *this = std::move(other); }

MiniTxn& MiniTxn::operator=(MiniTxn&& o) noexcept {
  if (this == &o) return *this;
  if (active()) Abort();
  engine_ = o.engine_;
  id_ = o.id_;
  commit_lsn_ = o.commit_lsn_;
  pages_ = std::move(o.pages_);
  slot_of_ = std::move(o.slot_of_);
  pending_free_ = std::move(o.pending_free_);
  allocated_ = std::move(o.allocated_);
  allocations_ = std::move(o.allocations_);
  root_changed_ = o.root_changed_;
  new_root_ = o.new_root_;
  old_root_ = o.old_root_;
  alloc_changed_ = o.alloc_changed_;
  new_free_head_ = o.new_free_head_;
  new_page_count_ = o.new_page_count_;
  new_free_count_ = o.new_free_count_;
  for (auto& e : pages_) {
    if (e->guard_alive && e->guard != nullptr) e->guard->mtr_ = this;
  }
  o.engine_ = nullptr;
  o.Reset();
  return *this;
}

MiniTxn::~MiniTxn() {
  if (active()) Abort();
}

size_t MiniTxn::AddPage(Frame* frame, PageId id, char* data, size_t page_size) {
  auto e = std::make_unique<PageEntry>();
  e->frame = frame;
  e->id = id;
  e->data = data;
  e->before.reset(new char[page_size]);
  std::memcpy(e->before.get(), data, page_size);
  pages_.push_back(std::move(e));
  const size_t slot = pages_.size() - 1;
  if (pages_.size() > kLinearFindPages) {
    if (slot_of_.empty()) {
      // Later entries of a page id win: an earlier one was released before the page was
      // fetched again.
      for (size_t i = 0; i < pages_.size(); i++) slot_of_[pages_[i]->id] = i;
    } else {
      slot_of_[id] = slot;
    }
  }
  return slot;
}

int MiniTxn::FindPage(PageId id) const {
  if (!slot_of_.empty()) {
    auto it = slot_of_.find(id);
    if (it == slot_of_.end() || pages_[it->second]->frame == nullptr) return -1;
    return static_cast<int>(it->second);
  }
  for (size_t i = 0; i < pages_.size(); i++) {
    if (pages_[i]->frame != nullptr && pages_[i]->id == id) return static_cast<int>(i);
  }
  return -1;
}

void MiniTxn::GuardReleased(size_t slot) {
  PageEntry& e = *pages_[slot];
  e.guard_alive = false;
  e.guard = nullptr;
  if (e.frame == nullptr) return;
  const size_t n = engine_->page_size();
  if (std::memcmp(e.before.get(), e.data, n) == 0) {
    // Unmodified: let go at once (latch coupling releases safe ancestors this way).
    engine_->buffer_pool()->ReleaseWrite(e.frame);
    e.frame = nullptr;
    e.before.reset();
  }
}

void MiniTxn::SetRootPageId(PageId root) {
  if (!active()) return;
  if (!root_changed_) old_root_ = engine_->RootPageId();
  root_changed_ = true;
  new_root_ = root;
  engine_->SetRootInMemory(root);
}

void MiniTxn::SetAllocState(PageId free_head, uint64_t page_count, uint64_t free_count) {
  alloc_changed_ = true;
  new_free_head_ = free_head;
  new_page_count_ = page_count;
  new_free_count_ = free_count;
}

void MiniTxn::ReleaseAll() {
  BufferPool* pool = engine_->buffer_pool();
  for (auto& e : pages_) {
    if (e->guard_alive && e->guard != nullptr) {
      // Detach a guard still alive: it no longer refers to a latched page.
      e->guard->mtr_ = nullptr;
      e->guard->data_ = nullptr;
    }
    e->guard_alive = false;
    e->guard = nullptr;
    if (e->frame != nullptr) {
      pool->ReleaseWrite(e->frame);
      e->frame = nullptr;
    }
  }
}

void MiniTxn::Reset() {
  engine_ = nullptr;
  pages_.clear();
  slot_of_.clear();
  pending_free_.clear();
  allocated_.clear();
  allocations_.clear();
  root_changed_ = false;
  alloc_changed_ = false;
}

Status MiniTxn::Commit(bool sync) {
  if (!active()) return Status::InvalidArgument("mini-txn is not active");
  const size_t n = engine_->page_size();
  std::vector<WalRecord> records;
  std::vector<PageEntry*> modified;
  BufferPool* pool = engine_->buffer_pool();
  for (auto& e : pages_) {
    if (e->frame == nullptr) continue;
    WalRecord r;
    r.type = WalRecordType::kPage;
    r.txn_id = id_;
    r.page_id = e->id;
    DiffPage(e->before.get(), e->data, n, &r.ranges);
    if (r.ranges.empty()) {
      if (e->guard_alive && e->guard != nullptr) {
        e->guard->mtr_ = nullptr;
        e->guard->data_ = nullptr;
      }
      e->guard_alive = false;
      pool->ReleaseWrite(e->frame);
      e->frame = nullptr;
      continue;
    }
    records.push_back(std::move(r));
    modified.push_back(e.get());
  }
  if (root_changed_) {
    WalRecord r;
    r.type = WalRecordType::kSetRoot;
    r.txn_id = id_;
    r.root = new_root_;
    records.push_back(r);
  }
  for (const auto& [page, owner] : allocations_) {
    WalRecord r;
    r.type = WalRecordType::kAllocPage;
    r.txn_id = id_;
    r.page_id = page;
    r.owner_txn = owner;
    records.push_back(r);
  }
  if (alloc_changed_) {
    WalRecord r;
    r.type = WalRecordType::kAllocState;
    r.txn_id = id_;
    r.free_head = new_free_head_;
    r.page_count = new_page_count_;
    r.free_count = new_free_count_;
    records.push_back(r);
  }
  StorageEngine* engine = engine_;
  std::vector<PageId> pending_free = std::move(pending_free_);
  if (records.empty()) {
    ReleaseAll();
    Reset();
    commit_lsn_ = kInvalidLsn;
    if (!pending_free.empty()) return engine->free_list()->Free(pending_free);
    return Status::OK();
  }
  WalRecord commit;
  commit.type = WalRecordType::kCommit;
  commit.txn_id = id_;
  records.push_back(commit);
  Status s = engine->wal()->Append(&records, [&](Lsn first, Lsn last) {
    // Under the WAL mutex, so checkpoints see page LSNs, dirty state and meta that match
    // the log exactly.
    for (PageEntry* e : modified) {
      PageMutator(e->data, n).set_lsn(last);
      pool->MarkDirty(e->frame, first, last);
    }
    engine->ApplyCommittedMeta(root_changed_, new_root_, alloc_changed_, new_free_head_,
                               new_page_count_, new_free_count_);
  });
  if (!s.ok()) {
    pending_free_ = std::move(pending_free);
    Abort();
    return s;
  }
  commit_lsn_ = records.back().lsn;
  // The records reach the OS before the latches go, even without sync: an acknowledged commit
  // survives a crash of the process (WriteOptions::sync = false promises that), and a commit
  // the log refused (ENOSPC, EIO) is rolled back before any reader could see its pages.
  s = engine->wal()->WriteTo(commit_lsn_);
  if (!s.ok()) {
    pending_free_ = std::move(pending_free);
    Abort();
    return s;
  }
  // The pages it was allocated are now written by a logged commit: recovery no longer needs
  // their kAllocPage records.
  if (!allocated_.empty()) engine->free_list()->Settle(id_);
  ReleaseAll();
  Reset();
  if (!pending_free.empty()) {
    s = engine->free_list()->Free(pending_free);
    if (!s.ok()) return s;
  }
  return sync ? engine->wal()->FlushTo(commit_lsn_) : Status::OK();
}

void MiniTxn::Abort() {
  if (!active()) return;
  const size_t n = engine_->page_size();
  for (auto& e : pages_) {
    if (e->frame != nullptr) std::memcpy(e->data, e->before.get(), n);
  }
  if (root_changed_) engine_->SetRootInMemory(old_root_);
  StorageEngine* engine = engine_;
  std::vector<PageId> allocated = std::move(allocated_);
  const uint64_t id = id_;
  ReleaseAll();
  Reset();
  // Pages this operation allocated go back on the free list (if that fails they stay
  // unsettled, and recovery reclaims them after the next crash).
  if (!allocated.empty() && engine->free_list()->Free(allocated).ok()) {
    engine->free_list()->Settle(id);
  }
}

}  // namespace jadedb::bplustree
