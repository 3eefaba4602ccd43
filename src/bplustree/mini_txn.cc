#include "bplustree/mini_txn.h"

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bplustree/buffer_pool.h"
#include "bplustree/free_list.h"
#include "bplustree/storage_engine.h"
#include "bplustree/wal.h"
#include "bplustree/wal_record.h"

namespace jadedb::bplustree {

namespace {

bool VerifyByDefault() {
#ifndef NDEBUG
  return true;
#else
  const char* env = std::getenv("JADEDB_VERIFY_MLOG");
  return env != nullptr && env[0] == '1';
#endif
}

// -1: not set yet (the default is computed on first use, so a static initializer in another
// file may call SetVerifyChangeLogs before or after this file's initializers run).
std::atomic<int> g_verify_change_logs{-1};

[[noreturn]] void ChangeLogBug(PageId id, const char* what, size_t offset) {
  std::fprintf(stderr,
               "B+tree change log incomplete: page %" PRIu64
               " %s at byte %zu (a writer changed "
               "the page without reporting the range; see PageChangeLog)\n",
               id, what, offset);
  std::abort();
}

}  // namespace

void MiniTxn::SetVerifyChangeLogs(bool on) {
  g_verify_change_logs.store(on ? 1 : 0, std::memory_order_relaxed);
}

bool MiniTxn::VerifyChangeLogs() {
  int v = g_verify_change_logs.load(std::memory_order_relaxed);
  if (v < 0) {
    int unset = -1;
    v = VerifyByDefault() ? 1 : 0;
    if (!g_verify_change_logs.compare_exchange_strong(unset, v, std::memory_order_relaxed)) {
      v = unset;
    }
  }
  return v == 1;
}

// PageWriteGuard's change-log accessors live with the mtr that owns the logs.
char* PageWriteGuard::data() const {
  if (mtr_ != nullptr) mtr_->entry(slot_).log.SetWholePage();
  return data_;
}

PageChangeLog* PageWriteGuard::change_log() const {
  return mtr_ != nullptr ? &mtr_->entry(slot_).log : nullptr;
}

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
  e->log.Start(data, page_size);
  if (VerifyChangeLogs()) {
    e->verify_image.reset(new char[page_size]);
    std::memcpy(e->verify_image.get(), data, page_size);
  }
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
  if (!e.log.Modified()) {
    if (e.verify_image != nullptr) VerifyRanges(e, {});
    // Unmodified: let go at once (latch coupling releases safe ancestors this way).
    engine_->buffer_pool()->ReleaseWrite(e.frame);
    e.frame = nullptr;
    e.log.Start(nullptr, 0);
    e.verify_image.reset();
  }
}

void MiniTxn::VerifyRanges(const PageEntry& e, const std::vector<ByteRange>& ranges) const {
  std::vector<ByteRange> want;
  DiffPage(e.verify_image.get(), e.data, engine_->page_size(), &want);
  const size_t n = std::min(want.size(), ranges.size());
  for (size_t i = 0; i < n; i++) {
    const ByteRange& w = want[i];
    const ByteRange& r = ranges[i];
    if (w.offset != r.offset)
      ChangeLogBug(e.id, "range starts differ", std::min(w.offset, r.offset));
    if (w.after != r.after || w.before != r.before) {
      ChangeLogBug(e.id, "range bytes differ", w.offset);
    }
  }
  if (want.size() > n) ChangeLogBug(e.id, "changed but unlogged", want[n].offset);
  if (ranges.size() > n) ChangeLogBug(e.id, "logged but unchanged", ranges[n].offset);
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
    if (e->log.whole_page()) {
      DiffPage(e->log.before_image(), e->data, n, &r.ranges);
    } else {
      ChangedRanges(e->log, &r.ranges);
    }
    if (e->verify_image != nullptr) VerifyRanges(*e, r.ranges);
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
      // Reported so that an Abort after a failed WAL write restores the old page LSN too.
      e->log.WillChange(page_layout::kLsn, 8);
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
  for (auto& e : pages_) {
    if (e->frame == nullptr) continue;
    e->log.Undo();
    if (e->verify_image != nullptr &&
        std::memcmp(e->data, e->verify_image.get(), engine_->page_size()) != 0) {
      ChangeLogBug(e->id, "not restored by Abort", 0);
    }
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
