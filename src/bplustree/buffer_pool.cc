// BufferPool: fetching pages (hits, misses, eviction, the midpoint LRU), guards, allocation
// and statistics. Page writing and the background threads are in buffer_pool_flush.cc.
#include "bplustree/buffer_pool.h"

#include <algorithm>
#include <new>

#include "bplustree/buffer_pool_internal.h"
#include "bplustree/double_write.h"
#include "bplustree/free_list.h"
#include "bplustree/mini_txn.h"
#include "bplustree/page_file.h"
#include "bplustree/wal.h"

namespace jadedb::bplustree {

// Moves the young/old boundary so the old sublist is ~old_pct of the list. Pages cross the
// boundary at the midpoint only: the young head (hot pages) and old tail (victims) stay put.
void BufferPool::Rebalance(Partition& p, uint32_t old_pct) {
  const size_t total = p.young.size + p.old.size;
  if (total < kLruOldMinLen) return;
  const size_t target = total * old_pct / 100;
  while (p.old.size < target && p.young.size > 0) {
    Frame* y = p.young.tail;
    p.young.Remove(y);
    p.old.PushFront(y);
  }
  while (p.old.size > target + 1 && p.old.size > 0) {
    Frame* o = p.old.head;
    p.old.Remove(o);
    p.young.PushBack(o);
  }
}

// ---- guards ----

PageReadGuard& PageReadGuard::operator=(PageReadGuard&& o) noexcept {
  if (this != &o) {
    Release();
    pool_ = o.pool_;
    frame_ = o.frame_;
    data_ = o.data_;
    id_ = o.id_;
    page_size_ = o.page_size_;
    o.frame_ = nullptr;
    o.pool_ = nullptr;
  }
  return *this;
}

void PageReadGuard::Release() {
  if (frame_ != nullptr) {
    pool_->ReleaseRead(frame_);
    frame_ = nullptr;
    pool_ = nullptr;
    data_ = nullptr;
  }
}

PageWriteGuard& PageWriteGuard::operator=(PageWriteGuard&& o) noexcept {
  if (this != &o) {
    Release();
    mtr_ = o.mtr_;
    slot_ = o.slot_;
    data_ = o.data_;
    id_ = o.id_;
    page_size_ = o.page_size_;
    o.mtr_ = nullptr;
    if (mtr_ != nullptr) mtr_->entry(slot_).guard = this;
  }
  return *this;
}

void PageWriteGuard::Release() {
  if (mtr_ != nullptr) {
    MiniTxn* m = mtr_;
    mtr_ = nullptr;
    data_ = nullptr;
    m->GuardReleased(slot_);
  }
}

// ---- pool ----

BufferPool::BufferPool(const BPlusTreeOptions& options, uint32_t page_size, PageFile* page_file,
                       Wal* wal, DoubleWrite* double_write)
    : options_(options),
      page_size_(page_size),
      page_file_(page_file),
      wal_(wal),
      double_write_(double_write),
      impl_(std::make_unique<Impl>()) {
  const uint32_t nparts = std::max<uint32_t>(1, options.buffer_pool_partitions);
  const uint64_t per_part = std::max<uint64_t>(8, options.buffer_pool_bytes / page_size / nparts);
  const uint64_t total = per_part * nparts;
  impl_->memory.reset(new char[total * page_size]);
  for (uint32_t i = 0; i < nparts; i++) {
    impl_->parts.push_back(std::make_unique<Partition>(per_part));
    impl_->parts.back()->young.tag = 1;
    impl_->parts.back()->old.tag = 2;
  }
  for (uint64_t i = 0; i < total; i++) {
    auto f = std::make_unique<Frame>();
    f->data = impl_->memory.get() + i * page_size;
    f->home = static_cast<uint32_t>(i / per_part);
    f->partition.store(f->home, std::memory_order_relaxed);
    impl_->parts[f->home]->PushFree(f.get());
    impl_->frames.push_back(std::move(f));
  }
  impl_->overflow_limit = std::max<size_t>(kMinOverflowFrames, total * kOverflowPercent / 100);
}

BufferPool::~BufferPool() {
  StopBackground();
  for (auto& f : impl_->overflow_frames) delete[] f->data;
}

namespace {
inline uint32_t PartitionOf(PageId id, size_t n) {
  return static_cast<uint32_t>(((id * 0x9E3779B97F4A7C15ull) >> 32) % n);
}
}  // namespace

void BufferPool::Unpin(Frame* f) {
  // The owner cannot change while we hold a pin.
  const uint32_t owner = f->partition.load(std::memory_order_relaxed);
  // The last pin of a frame whose load failed (unmapped) returns it to the free list, and
  // the last pin of a clean borrowed frame returns it to its home; any other unpin is one
  // atomic decrement.
  if (f->pins.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  const bool borrowed = owner != f->home;
  if (!borrowed && f->mapped.load(std::memory_order_acquire)) return;
  Partition& p = *impl_->parts[owner];
  {
    std::lock_guard<std::mutex> l(p.mu);
    // Recheck under the mutex: meanwhile a hit may have pinned the frame again, an eviction
    // reused it, or (tests) EvictAllClean put it on the free list.
    if (f->pins.load(std::memory_order_relaxed) != 0 ||
        f->partition.load(std::memory_order_relaxed) != owner || f->in_free) {
      return;
    }
    if (f->mapped.load(std::memory_order_relaxed)) {
      // A dirty borrowed frame goes home after its flush, which pins and unpins it.
      if (!borrowed || f->dirty) return;
      (f->list == 1 ? p.young : p.old).Remove(f);
      p.table.erase(f->page_id);
      f->mapped.store(false, std::memory_order_relaxed);
    } else if (!borrowed) {
      p.PushFree(f);
      return;
    }
  }
  GiveBack(f);
}

void BufferPool::GiveBack(Frame* f) {
  impl_->lent_now.fetch_sub(1, std::memory_order_relaxed);
  if (f->home == kOverflowHome) {
    std::lock_guard<std::mutex> l(impl_->overflow_mu);
    delete[] f->data;  // the reserve holds memory only while it is in use
    f->data = nullptr;
    f->partition.store(kOverflowHome, std::memory_order_relaxed);
    impl_->overflow_free.push_back(f);
    return;
  }
  Partition& home = *impl_->parts[f->home];
  std::lock_guard<std::mutex> l(home.mu);
  f->partition.store(f->home, std::memory_order_relaxed);
  home.PushFree(f);
}

Frame* BufferPool::BorrowFrame(uint32_t to) {
  const size_t n = impl_->parts.size();
  for (size_t k = 1; k < n; k++) {
    const uint32_t qi = static_cast<uint32_t>((to + k) % n);
    Partition& q = *impl_->parts[qi];
    std::lock_guard<std::mutex> l(q.mu);
    Frame* f = nullptr;
    if (!q.free_frames.empty()) {
      f = q.PopFree();
    } else {
      size_t scanned = 0;
      for (FrameList* list : {&q.old, &q.young}) {
        for (Frame* c = list->tail; c && !f && scanned < kVictimScan; c = c->prev, scanned++) {
          if (c->pins.load(std::memory_order_relaxed) == 0 && !c->dirty) f = c;
        }
      }
      if (f == nullptr) continue;
      (f->list == 1 ? q.young : q.old).Remove(f);
      q.table.erase(f->page_id);
      f->mapped.store(false, std::memory_order_relaxed);
      q.evictions++;
    }
    const int64_t was_lent = f->home != qi, now_lent = f->home != to;
    impl_->lent_now.fetch_add(now_lent - was_lent, std::memory_order_relaxed);
    f->partition.store(to, std::memory_order_relaxed);
    impl_->borrows++;
    return f;
  }
  // Every other partition is pinned too: the overflow reserve, beyond the memory budget but
  // bounded, so that a batch somewhat larger than the pool still commits.
  std::lock_guard<std::mutex> l(impl_->overflow_mu);
  Frame* f = nullptr;
  if (!impl_->overflow_free.empty()) {
    f = impl_->overflow_free.back();
    impl_->overflow_free.pop_back();
  } else if (impl_->overflow_frames.size() < impl_->overflow_limit) {
    impl_->overflow_frames.push_back(std::make_unique<Frame>());
    f = impl_->overflow_frames.back().get();
    f->home = kOverflowHome;
  } else {
    return nullptr;
  }
  f->data = new (std::nothrow) char[page_size_];
  if (f->data == nullptr) {
    impl_->overflow_free.push_back(f);
    return nullptr;
  }
  f->partition.store(to, std::memory_order_relaxed);
  impl_->lent_now.fetch_add(1, std::memory_order_relaxed);
  impl_->overflow_allocs++;
  return f;
}

void BufferPool::ReleaseRead(Frame* f) {
  f->latch.unlock_shared();
  Unpin(f);
}

void BufferPool::ReleaseWrite(Frame* f) {
  f->latch.unlock();
  Unpin(f);
}

Status BufferPool::Fetch(PageId id, bool exclusive, bool try_latch, OnMiss on_miss, Frame** out) {
  if (id < kFirstDataPageId) {
    return Status::InvalidArgument("page " + std::to_string(id) + " is a meta page");
  }
  const uint32_t pidx = PartitionOf(id, impl_->parts.size());
  Partition& p = *impl_->parts[pidx];
  const uint32_t old_pct = std::min<uint32_t>(95, std::max<uint32_t>(5, options_.lru_old_percent));
  const uint64_t old_time_us = uint64_t{options_.lru_old_blocks_time_ms} * 1000;
  int full_waits = 0;
  for (int attempt = 0;; attempt++) {
    std::unique_lock<std::mutex> l(p.mu);
    if (Frame* f = p.table.find(id)) {
      // The caller reads the page header and the node's slot array first: start loading
      // them now, so the misses overlap the pin, the LRU touch and the latch.
      for (size_t off = 0; off < kHitPrefetchBytes; off += 64) __builtin_prefetch(f->data + off);
      f->pins.fetch_add(1, std::memory_order_relaxed);
      p.hits++;
      // Touch: an old page is promoted only when accessed again after old_blocks_time; a
      // young page moves to the head unless it is still in the first quarter of the list.
      if (f->list == 2) {
        if (old_time_us == 0 || NowMicros() - f->first_access_us >= old_time_us) {
          p.old.Remove(f);
          p.young.PushFront(f);
          f->young_stamp = ++p.young_clock;
          Rebalance(p, old_pct);
        }
      } else if (f->list == 1 && p.young_clock - f->young_stamp > p.young.size / 4) {
        p.young.Remove(f);
        p.young.PushFront(f);
        f->young_stamp = ++p.young_clock;
      }
      l.unlock();
      if (exclusive) {
        if (try_latch ? !f->latch.try_lock() : (f->latch.lock(), false)) {
          Unpin(f);
          return Status::Busy("page " + std::to_string(id) + " is latched");
        }
      } else if (try_latch ? !f->latch.try_lock_shared() : (f->latch.lock_shared(), false)) {
        Unpin(f);
        return Status::Busy("page " + std::to_string(id) + " is latched");
      }
      // Our pin keeps the frame on page id; only a failed load (which unmaps it before
      // unlatching) can have made it invalid.
      if (f->mapped.load(std::memory_order_acquire)) {
        *out = f;
        return Status::OK();
      }
      // Its load failed while we waited: retry (which reads again and reports the error).
      if (exclusive)
        f->latch.unlock();
      else
        f->latch.unlock_shared();
      Unpin(f);
      if (attempt > 3) return Status::IOError("page " + std::to_string(id) + " failed to load");
      continue;
    }

    // Miss: find a frame.
    Frame* f = nullptr;
    while (f == nullptr) {
      if (!p.free_frames.empty()) {
        f = p.PopFree();
        break;
      }
      Frame* clean = nullptr;
      std::vector<Frame*> dirty;
      size_t scanned = 0;
      for (FrameList* list : {&p.old, &p.young}) {
        for (Frame* c = list->tail; c && !clean && scanned < kVictimScan; c = c->prev, scanned++) {
          if (c->pins.load(std::memory_order_relaxed) > 0) continue;
          if (!c->dirty) {
            clean = c;
          } else if (dirty.size() < kDoubleWriteBatchPages) {
            // With no clean victim, the miss writes a whole double-write batch of dirty ones
            // rather than a few: each batch costs three fsyncs (WAL up to the batch's LSNs,
            // doublewrite.jdb, data files) whatever its size, and the pages written become
            // the clean victims of the next misses.
            dirty.push_back(c);
          }
        }
      }
      if (dirty.size() >= kLruFlushTrigger) RequestLruFlush();
      if (clean) {
        (clean->list == 1 ? p.young : p.old).Remove(clean);
        p.table.erase(clean->page_id);
        clean->mapped.store(false, std::memory_order_relaxed);
        p.evictions++;
        f = clean;
        break;
      }
      if (dirty.empty()) {
        // Every frame of the partition is pinned (a mini-txn holds every page it changes
        // until commit): borrow one from another partition or the overflow reserve.
        l.unlock();
        f = BorrowFrame(pidx);
        l.lock();
        if (f != nullptr) break;
        // The whole pool is pinned, usually for a moment (a flush batch, other readers):
        // wait a little; give up only when it lasts.
        if (++full_waits > 2000) {
          impl_->pinned_full++;
          return PoolFullError();
        }
        l.unlock();
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        l.lock();
        if (p.table.count(id)) break;
        continue;
      }
      for (Frame* d : dirty) d->pins.fetch_add(1, std::memory_order_relaxed);
      l.unlock();
      Status s = FlushFrames(dirty);
      for (Frame* d : dirty) Unpin(d);
      if (!s.ok()) return s;
      l.lock();
      if (p.table.count(id)) break;  // loaded by someone else meanwhile
    }
    if (f == nullptr) continue;  // found in the table: retry as a hit
    // An unpinned frame is never latched, so try_lock cannot fail; it also keeps the
    // partition mutex -> latch order out of the lock graph (latches are taken before the
    // WAL and partition mutexes everywhere else). The table check: loaded by someone else
    // while we looked for a frame.
    if (p.table.count(id) || !f->latch.try_lock()) {
      if (f->home == pidx) {
        p.PushFree(f);
      } else {
        l.unlock();
        GiveBack(f);
      }
      continue;
    }
    p.misses++;
    f->page_id = id;
    f->mapped.store(true, std::memory_order_relaxed);
    f->pins.store(1, std::memory_order_relaxed);
    f->dirty = false;
    f->first_access_us = NowMicros();
    p.table.insert(f);
    p.old.PushFront(f);  // midpoint insertion
    Rebalance(p, old_pct);
    l.unlock();
    Status s;
    if (on_miss == OnMiss::kZero) {
      std::memset(f->data, 0, page_size_);
    } else {
      // Through the read map when the page is there: no system call, and no checksum or
      // structure check again for bytes that passed them at this write sequence.
      PageFile::MappedPage mapped;
      s = page_file_->ReadPage(id, f->data, &mapped);
      if (s.IsNotFound()) s = Status::Corruption(s.message());
      const bool checked_before = s.ok() && mapped.data != nullptr && mapped.verified;
      if (s.ok() && page_validator_ && !checked_before) {
        s = page_validator_(id, f->data);
        if (!s.ok()) {
          s = Status::Corruption(page_file_->PagePath(id) + " at offset " +
                                     std::to_string(page_file_->PageOffset(id)) + ", page " +
                                     std::to_string(id),
                                 s.message());
        }
      }
      // Only with the validator: the stamp vouches for the structure too (Tree::Get's mapped
      // reads rely on it), and pages read before the tree installs it are checked again.
      if (s.ok() && mapped.data != nullptr && !mapped.verified && page_validator_) {
        page_file_->MarkMappedVerified(id, mapped);
      }
    }
    if (!s.ok()) {
      {
        std::lock_guard<std::mutex> g(p.mu);
        p.table.erase(id);
        f->mapped.store(false, std::memory_order_release);
        (f->list == 1 ? p.young : p.old).Remove(f);
      }
      f->latch.unlock();
      Unpin(f);
      return s;
    }
    if (!exclusive) {
      f->latch.unlock();
      f->latch.lock_shared();
    }
    *out = f;
    return Status::OK();
  }
}

Status BufferPool::FetchReadGuard(PageId id, bool try_only, OnMiss on_miss, PageReadGuard* guard) {
  guard->Release();
  Frame* f;
  Status s = Fetch(id, false, try_only, on_miss, &f);
  if (!s.ok()) return s;
  guard->pool_ = this;
  guard->frame_ = f;
  guard->data_ = f->data;
  guard->id_ = id;
  guard->page_size_ = page_size_;
  return Status::OK();
}

Status BufferPool::FetchRead(PageId id, PageReadGuard* guard) {
  return FetchReadGuard(id, /*try_only=*/false, OnMiss::kRead, guard);
}

Status BufferPool::TryFetchRead(PageId id, PageReadGuard* guard) {
  return FetchReadGuard(id, /*try_only=*/true, OnMiss::kRead, guard);
}

namespace {
Status FetchWriteImpl(BufferPool* pool, PageId id, MiniTxn* mtr, PageWriteGuard* guard,
                      uint32_t page_size, const std::function<Status(Frame**)>& fetch) {
  (void)pool;
  guard->Release();
  if (mtr == nullptr || !mtr->active()) return Status::InvalidArgument("no active mini-txn");
  int slot = mtr->FindPage(id);
  if (slot < 0) {
    Frame* f;
    Status s = fetch(&f);
    if (!s.ok()) return s;
    slot = static_cast<int>(mtr->AddPage(f, id, f->data, page_size));
  } else if (mtr->entry(slot).guard_alive) {
    return Status::InvalidArgument("page " + std::to_string(id) +
                                   " already has a write guard in this mini-txn");
  }
  MiniTxn::PageEntry& e = mtr->entry(slot);
  e.guard_alive = true;
  e.guard = guard;
  return Status::OK();
}
}  // namespace

Status BufferPool::FetchWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWriteImpl(this, id, mtr, guard, page_size_,
                            [&](Frame** f) { return Fetch(id, true, false, OnMiss::kRead, f); });
  if (!s.ok()) return s;
  return FillWriteGuard(id, mtr, guard);
}

Status BufferPool::TryFetchWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWriteImpl(this, id, mtr, guard, page_size_,
                            [&](Frame** f) { return Fetch(id, true, true, OnMiss::kRead, f); });
  if (!s.ok()) return s;
  return FillWriteGuard(id, mtr, guard);
}

Status BufferPool::FetchNewWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWriteImpl(this, id, mtr, guard, page_size_,
                            [&](Frame** f) { return Fetch(id, true, false, OnMiss::kZero, f); });
  if (!s.ok()) return s;
  return FillWriteGuard(id, mtr, guard);
}

Status BufferPool::FetchWriteToFree(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWrite(id, mtr, guard);
  if (s.ok()) return s;
  std::unique_ptr<char[]> probe(new char[page_size_]);
  if (!page_file_->ReadPage(id, probe.get()).IsNotFound()) return s;
  return FetchNewWrite(id, mtr, guard);
}

Status BufferPool::FillWriteGuard(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  const int slot = mtr->FindPage(id);
  guard->mtr_ = mtr;
  guard->slot_ = static_cast<size_t>(slot);
  guard->data_ = mtr->entry(slot).data;
  guard->id_ = id;
  guard->page_size_ = page_size_;
  return Status::OK();
}

Status BufferPool::AllocatePage(MiniTxn* mtr, PageType type, uint16_t level,
                                PageWriteGuard* guard) {
  if (free_list_ == nullptr) return Status::NotSupported("buffer pool has no free list");
  if (mtr == nullptr || !mtr->active()) return Status::InvalidArgument("no active mini-txn");
  PageId id;
  bool fresh;
  Status s = free_list_->Allocate(mtr->id(), &id, &fresh);
  if (!s.ok()) return s;
  s = fresh ? FetchNewWrite(id, mtr, guard) : FetchWrite(id, mtr, guard);
  if (!s.ok()) {
    free_list_->Free({id});
    return s;
  }
  // Keep the page LSN: a page's LSN only grows, which redo relies on.
  const Lsn lsn = PageView(guard->data(), page_size_).lsn();
  InitPage(guard->data(), page_size_, id, type, level, lsn);
  mtr->AddAllocated(id);
  return Status::OK();
}

Status BufferPool::FreePage(MiniTxn* mtr, PageId id) {
  if (mtr == nullptr || !mtr->active()) return Status::InvalidArgument("no active mini-txn");
  if (id < kFirstDataPageId) return Status::InvalidArgument("cannot free a meta page");
  mtr->AddPendingFree(id);
  return Status::OK();
}

void BufferPool::Prefetch(PageId id) {
  if (options_.prefetch_threads == 0 || id < kFirstDataPageId) return;
  {
    Partition& p = *impl_->parts[PartitionOf(id, impl_->parts.size())];
    std::lock_guard<std::mutex> l(p.mu);
    if (p.table.count(id)) return;
  }
  std::lock_guard<std::mutex> l(impl_->bg_mu);
  if (impl_->prefetchers.empty() || impl_->prefetch_queue.size() >= kPrefetchQueueMax) return;
  impl_->prefetch_queue.push_back(id);
  impl_->bg_cv.notify_all();
}

void BufferPool::MarkDirty(Frame* f, Lsn first_lsn, Lsn /*page_lsn*/) {
  Partition& p = *impl_->parts[f->partition.load(std::memory_order_relaxed)];
  std::lock_guard<std::mutex> l(p.mu);
  f->modified_during_flush = true;
  // Mapped reads of the page's old version in the file stop here (before the mini-txn lets go
  // of the page's latch); FlushFrames clears the mark once the file has caught up.
  page_file_->MarkPoolNewer(f->page_id);
  if (!f->dirty) {
    f->dirty = true;
    f->rec_lsn = first_lsn;
    p.dirty.insert({first_lsn, f});
  }
}

// Writes the pinned frames that are dirty. Caller pins them; they stay pinned.

Lsn BufferPool::MinRecoveryLsn() const {
  Lsn min = kInvalidLsn;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    if (!part->dirty.empty()) {
      const Lsn lsn = part->dirty.begin()->first;
      if (min == kInvalidLsn || lsn < min) min = lsn;
    }
  }
  // After the partitions: a page marked clean by a flush we did not see as dirty was noted
  // here before it was marked.
  std::lock_guard<std::mutex> l(impl_->unsynced_mu);
  for (const auto& [round, lsn] : impl_->unsynced) {
    if (lsn != kInvalidLsn && (min == kInvalidLsn || lsn < min)) min = lsn;
  }
  return min;
}

std::vector<std::pair<PageId, Lsn>> BufferPool::DirtyPageTable() const {
  std::vector<std::pair<PageId, Lsn>> out;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    for (const auto& [lsn, f] : part->dirty) out.emplace_back(f->page_id, lsn);
  }
  return out;
}

BufferPoolStats BufferPool::GetStats() const {
  BufferPoolStats st;
  st.flushes = impl_->flushes;
  st.in_place_syncs = impl_->in_place_syncs;
  st.prefetches = impl_->prefetches;
  st.capacity_pages = impl_->frames.size();
  st.borrows = impl_->borrows;
  st.overflow_allocs = impl_->overflow_allocs;
  st.lent_pages = static_cast<uint64_t>(std::max<int64_t>(0, impl_->lent_now.load()));
  st.pinned_full = impl_->pinned_full;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    st.hits += part->hits;
    st.misses += part->misses;
    st.evictions += part->evictions;
    st.resident_pages += part->table.size();
    st.dirty_pages += part->dirty.size();
    st.young_pages += part->young.size;
  }
  return st;
}

void BufferPool::SetBeforeWriteHook(std::function<void(PageId, Lsn)> hook) {
  std::lock_guard<std::mutex> fl(impl_->flush_mu);
  impl_->before_write_hook = std::move(hook);
}

void BufferPool::SetPageValidator(std::function<Status(PageId, const char*)> validator) {
  page_validator_ = std::move(validator);
}

void BufferPool::SetFlushErrorHandler(std::function<void(const Status&)> handler) {
  std::lock_guard<std::mutex> fl(impl_->flush_mu);
  impl_->flush_error_handler = std::move(handler);
}

void BufferPool::EvictAllClean() {
  for (size_t i = 0; i < impl_->parts.size(); i++) {
    Partition* part = impl_->parts[i].get();
    std::vector<Frame*> borrowed;
    {
      std::lock_guard<std::mutex> l(part->mu);
      for (FrameList* list : {&part->old, &part->young}) {
        for (Frame* f = list->tail; f;) {
          Frame* prev = f->prev;
          if (f->pins.load(std::memory_order_relaxed) == 0 && !f->dirty) {
            list->Remove(f);
            part->table.erase(f->page_id);
            f->mapped.store(false, std::memory_order_relaxed);
            if (f->home == i) {
              part->PushFree(f);
            } else {
              borrowed.push_back(f);
            }
          }
          f = prev;
        }
      }
    }
    for (Frame* f : borrowed) GiveBack(f);
  }
}

Status BufferPool::PoolFullError() const {
  const uint64_t frames = impl_->frames.size();
  return Status::Busy(
      "buffer pool full: all " + std::to_string(frames) + " frames (" +
          std::to_string(frames * page_size_ >> 10) + " KiB) and the " +
          std::to_string(impl_->overflow_limit) +
          " overflow frames are pinned. A WriteBatch keeps every page it changes pinned until "
          "it commits: split it into smaller batches or raise bplustree.buffer_pool_size",
      "the batch was not applied");
}

}  // namespace jadedb::bplustree
