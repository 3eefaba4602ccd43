#include "bplustree/buffer_pool.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "bplustree/double_write.h"
#include "bplustree/free_list.h"
#include "bplustree/mini_txn.h"
#include "bplustree/page_file.h"
#include "bplustree/wal.h"

namespace jadedb::bplustree {

// A page latch: shared/exclusive, writers preferred (a waiting writer holds back new
// readers so a stream of readers cannot starve it). Built on one atomic word rather than
// pthread rwlocks because a frame's latch protects whichever page the frame holds, so
// address-based lock-order checkers (TSan) would report phantom cycles between unrelated
// pages; latch order is a property of the tree (top-down), not of frames.
class RwLatch {
 public:
  void lock() {
    writers_waiting_.fetch_add(1, std::memory_order_relaxed);
    int32_t expected = 0;
    while (!state_.compare_exchange_weak(expected, -1, std::memory_order_acquire)) {
      if (expected != 0) state_.wait(expected, std::memory_order_relaxed);
      expected = 0;
    }
    writers_waiting_.fetch_sub(1, std::memory_order_relaxed);
  }
  bool try_lock() {
    int32_t expected = 0;
    return state_.compare_exchange_strong(expected, -1, std::memory_order_acquire);
  }
  void unlock() {
    state_.store(0, std::memory_order_release);
    state_.notify_all();
  }
  void lock_shared() {
    while (true) {
      int32_t s = state_.load(std::memory_order_relaxed);
      if (s >= 0 && writers_waiting_.load(std::memory_order_relaxed) == 0) {
        if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return;
        continue;
      }
      if (s < 0) {
        state_.wait(s, std::memory_order_relaxed);
      } else {
        std::this_thread::yield();  // a writer is waiting for the readers to drain
      }
    }
  }
  bool try_lock_shared() {
    int32_t s = state_.load(std::memory_order_relaxed);
    while (s >= 0) {
      if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acquire)) return true;
    }
    return false;
  }
  void unlock_shared() {
    if (state_.fetch_sub(1, std::memory_order_release) == 1) state_.notify_all();
  }

 private:
  std::atomic<int32_t> state_{0};  // -1: exclusive; n > 0: n readers
  std::atomic<int32_t> writers_waiting_{0};
};

// One cached page. Fields below `latch` are guarded by the partition mutex, except as noted;
// the page bytes by the latch.
//
// pins and mapped are atomics so the hit path takes the partition mutex once, not three times:
// pins only grow under the mutex (a lookup in the page table), but drop without it (Unpin);
// the eviction scan reads them under the mutex, where a count of 0 cannot rise again. mapped
// is written under the mutex and read without it by a holder of a pin, after the latch (a
// loader that fails clears mapped before it unlatches, so the latch orders the two).
struct Frame {
  char* data = nullptr;
  RwLatch latch;
  uint32_t partition = 0;
  PageId page_id = kInvalidPageId;  // fixed while pinned
  std::atomic<bool> mapped{false};  // in the partition's page table
  std::atomic<int> pins{0};
  bool in_free = false;  // in the partition's free_frames (guarded by the mutex)
  // Midpoint LRU.
  Frame* prev = nullptr;
  Frame* next = nullptr;
  uint8_t list = 0;  // 0 none, 1 young, 2 old
  uint64_t first_access_us = 0;
  // Dirty state. rec_lsn: first LSN of the oldest change not yet on disk.
  bool dirty = false;
  bool modified_during_flush = false;
  Lsn rec_lsn = kInvalidLsn;
};

namespace {

uint64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct FrameList {
  Frame* head = nullptr;
  Frame* tail = nullptr;
  size_t size = 0;
  uint8_t tag = 0;

  void PushFront(Frame* f) {
    f->prev = nullptr;
    f->next = head;
    if (head) head->prev = f;
    head = f;
    if (!tail) tail = f;
    f->list = tag;
    size++;
  }
  void PushBack(Frame* f) {
    f->next = nullptr;
    f->prev = tail;
    if (tail) tail->next = f;
    tail = f;
    if (!head) head = f;
    f->list = tag;
    size++;
  }
  void Remove(Frame* f) {
    if (f->prev)
      f->prev->next = f->next;
    else
      head = f->next;
    if (f->next)
      f->next->prev = f->prev;
    else
      tail = f->prev;
    f->prev = f->next = nullptr;
    f->list = 0;
    size--;
  }
};

}  // namespace

struct BufferPool::Partition {
  std::mutex mu;
  std::unordered_map<PageId, Frame*> table;
  std::vector<Frame*> free_frames;  // use PushFree / PopFree
  FrameList young, old;

  void PushFree(Frame* f) {
    f->in_free = true;
    free_frames.push_back(f);
  }
  Frame* PopFree() {
    Frame* f = free_frames.back();
    free_frames.pop_back();
    f->in_free = false;
    return f;
  }
  std::set<std::pair<Lsn, Frame*>> dirty;  // the flush list, oldest change first
};

struct BufferPool::Impl {
  std::unique_ptr<char[]> memory;
  std::vector<std::unique_ptr<Frame>> frames;
  std::vector<std::unique_ptr<Partition>> parts;
  std::atomic<uint64_t> hits{0}, misses{0}, evictions{0}, flushes{0}, prefetches{0};
  std::mutex flush_mu;  // one flush batch at a time (the double-write file is shared)
  // The first failed flush (guarded by flush_mu). Later flushes return it without writing:
  // after a failed write or fsync the kernel may have dropped dirty data, so a retry that
  // "succeeds" proves nothing, and the engine is read-only from then on anyway.
  Status flush_error;
  std::atomic<bool> flush_failed{false};  // flush_error is set (read by the flusher thread)
  std::function<void(PageId, Lsn)> before_write_hook;
  std::function<void(const Status&)> flush_error_handler;

  std::mutex bg_mu;
  std::condition_variable bg_cv;
  // Wakes the flusher early: a foreground miss found the LRU tail of some partition mostly
  // dirty (see RequestLruFlush).
  std::condition_variable flush_cv;
  std::atomic<bool> lru_flush_wanted{false};
  bool stop = false;
  std::thread flusher;
  std::vector<std::thread> prefetchers;
  std::deque<PageId> prefetch_queue;
};

namespace {
constexpr size_t kPrefetchQueueMax = 256;
constexpr size_t kVictimScan = 128;
// A miss that had to pass this many dirty frames at the LRU tail before a clean victim asks
// the flusher to clean the tails (InnoDB's LRU flush by the page cleaner), so that later
// misses find clean victims and do not write pages (and wait for three fsyncs) themselves.
constexpr size_t kLruFlushTrigger = 16;
// How deep into a partition's LRU tail the flusher looks for dirty pages.
constexpr size_t kLruFlushScan = 256;
// Below this many pages a partition does not keep the old/young ratio (InnoDB's
// BUF_LRU_OLD_MIN_LEN): a nearly empty pool has nothing to protect.
constexpr size_t kLruOldMinLen = 16;
}  // namespace

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
    impl_->parts.push_back(std::make_unique<Partition>());
    impl_->parts.back()->young.tag = 1;
    impl_->parts.back()->old.tag = 2;
  }
  for (uint64_t i = 0; i < total; i++) {
    auto f = std::make_unique<Frame>();
    f->data = impl_->memory.get() + i * page_size;
    f->partition = static_cast<uint32_t>(i / per_part);
    impl_->parts[f->partition]->PushFree(f.get());
    impl_->frames.push_back(std::move(f));
  }
}

BufferPool::~BufferPool() { StopBackground(); }

namespace {
inline uint32_t PartitionOf(PageId id, size_t n) {
  return static_cast<uint32_t>(((id * 0x9E3779B97F4A7C15ull) >> 32) % n);
}
}  // namespace

void BufferPool::Unpin(Frame* f) {
  // The last pin of a frame whose load failed (unmapped) returns it to the free list; any
  // other unpin is one atomic decrement.
  if (f->pins.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (f->mapped.load(std::memory_order_acquire)) return;
  Partition& p = *impl_->parts[f->partition];
  std::lock_guard<std::mutex> l(p.mu);
  // Recheck under the mutex: meanwhile an eviction may have reused the frame, or (tests)
  // EvictAllClean put it on the free list.
  if (f->pins.load(std::memory_order_relaxed) == 0 && !f->mapped.load(std::memory_order_relaxed) &&
      !f->in_free) {
    p.PushFree(f);
  }
}

void BufferPool::ReleaseRead(Frame* f) {
  f->latch.unlock_shared();
  Unpin(f);
}

void BufferPool::ReleaseWrite(Frame* f) {
  f->latch.unlock();
  Unpin(f);
}

Status BufferPool::Fetch(PageId id, bool exclusive, bool try_latch, bool is_new, Frame** out) {
  if (id < kFirstDataPageId) {
    return Status::InvalidArgument("page " + std::to_string(id) + " is a meta page");
  }
  Partition& p = *impl_->parts[PartitionOf(id, impl_->parts.size())];
  const uint32_t old_pct = std::min<uint32_t>(95, std::max<uint32_t>(5, options_.lru_old_percent));
  const uint64_t old_time_us = uint64_t{options_.lru_old_blocks_time_ms} * 1000;
  int full_waits = 0;
  for (int attempt = 0;; attempt++) {
    std::unique_lock<std::mutex> l(p.mu);
    auto it = p.table.find(id);
    if (it != p.table.end()) {
      Frame* f = it->second;
      f->pins.fetch_add(1, std::memory_order_relaxed);
      impl_->hits++;
      // Touch: an old page is promoted only when accessed again after old_blocks_time.
      if (f->list == 2 && NowMicros() - f->first_access_us >= old_time_us) {
        p.old.Remove(f);
        p.young.PushFront(f);
      } else if (f->list == 1 && f != p.young.head) {
        p.young.Remove(f);
        p.young.PushFront(f);
      }
      Rebalance(p, old_pct);
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
        impl_->evictions++;
        f = clean;
        break;
      }
      if (dirty.empty()) {
        // Every frame is pinned, usually for a moment (a flush batch, other readers): wait
        // a little; give up only when it lasts.
        if (++full_waits > 2000) {
          return Status::Busy("buffer pool partition full: every frame is pinned");
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
    if (p.table.count(id)) {
      p.PushFree(f);
      continue;
    }
    // An unpinned frame is never latched, so this cannot fail; try_lock also keeps the
    // partition mutex -> latch order out of the lock graph (latches are taken before the
    // WAL and partition mutexes everywhere else).
    if (!f->latch.try_lock()) {
      p.PushFree(f);
      continue;
    }
    impl_->misses++;
    f->page_id = id;
    f->mapped.store(true, std::memory_order_relaxed);
    f->pins.store(1, std::memory_order_relaxed);
    f->dirty = false;
    f->first_access_us = NowMicros();
    p.table[id] = f;
    p.old.PushFront(f);  // midpoint insertion
    Rebalance(p, old_pct);
    l.unlock();
    Status s;
    if (is_new) {
      std::memset(f->data, 0, page_size_);
    } else {
      s = page_file_->ReadPage(id, f->data);
      if (s.IsNotFound()) s = Status::Corruption(s.message());
      if (s.ok() && page_validator_) {
        s = page_validator_(id, f->data);
        if (!s.ok()) {
          s = Status::Corruption(page_file_->PagePath(id) + " at offset " +
                                     std::to_string(page_file_->PageOffset(id)) + ", page " +
                                     std::to_string(id),
                                 s.message());
        }
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

Status BufferPool::FetchReadGuard(PageId id, bool try_only, PageReadGuard* guard) {
  guard->Release();
  Frame* f;
  Status s = Fetch(id, false, try_only, false, &f);
  if (!s.ok()) return s;
  guard->pool_ = this;
  guard->frame_ = f;
  guard->data_ = f->data;
  guard->id_ = id;
  guard->page_size_ = page_size_;
  return Status::OK();
}

Status BufferPool::FetchRead(PageId id, PageReadGuard* guard) {
  return FetchReadGuard(id, /*try_only=*/false, guard);
}

Status BufferPool::TryFetchRead(PageId id, PageReadGuard* guard) {
  return FetchReadGuard(id, /*try_only=*/true, guard);
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
                            [&](Frame** f) { return Fetch(id, true, false, false, f); });
  if (!s.ok()) return s;
  return FillWriteGuard(id, mtr, guard);
}

Status BufferPool::TryFetchWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWriteImpl(this, id, mtr, guard, page_size_,
                            [&](Frame** f) { return Fetch(id, true, true, false, f); });
  if (!s.ok()) return s;
  return FillWriteGuard(id, mtr, guard);
}

Status BufferPool::FetchNewWrite(PageId id, MiniTxn* mtr, PageWriteGuard* guard) {
  Status s = FetchWriteImpl(this, id, mtr, guard, page_size_,
                            [&](Frame** f) { return Fetch(id, true, false, true, f); });
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
  Partition& p = *impl_->parts[f->partition];
  std::lock_guard<std::mutex> l(p.mu);
  f->modified_during_flush = true;
  if (!f->dirty) {
    f->dirty = true;
    f->rec_lsn = first_lsn;
    p.dirty.insert({first_lsn, f});
  }
}

// Writes the pinned frames that are dirty. Caller pins them; they stay pinned.
Status BufferPool::FlushFrames(const std::vector<Frame*>& frames) {
  std::lock_guard<std::mutex> fl(impl_->flush_mu);
  if (!impl_->flush_error.ok()) return impl_->flush_error;
  struct Copy {
    Frame* frame;
    PageId id;
    Lsn lsn;
    size_t offset;
  };
  std::vector<Copy> copies;
  std::string buf;
  buf.reserve(frames.size() * page_size_);
  Lsn max_lsn = 0;
  for (Frame* f : frames) {
    // A shared latch means no mini-txn is mid-change: the bytes are all committed. A page
    // held exclusively is skipped (it stays dirty): waiting here while holding flush_mu
    // could deadlock with that mini-txn evicting a page.
    if (!f->latch.try_lock_shared()) continue;
    bool dirty;
    PageId id;
    {
      Partition& p = *impl_->parts[f->partition];
      std::lock_guard<std::mutex> l(p.mu);
      dirty = f->dirty && f->mapped;
      id = f->page_id;
      if (dirty) f->modified_during_flush = false;
    }
    if (dirty) {
      const Lsn lsn = PageView(f->data, page_size_).lsn();
      copies.push_back({f, id, lsn, buf.size()});
      buf.append(f->data, page_size_);
      max_lsn = std::max(max_lsn, lsn);
    }
    f->latch.unlock_shared();
  }
  if (copies.empty()) return Status::OK();
  std::sort(copies.begin(), copies.end(), [](const Copy& a, const Copy& b) { return a.id < b.id; });
  // The WAL rule: the log is durable up to every page LSN before any page is written.
  Status s = wal_->FlushTo(max_lsn);
  for (Copy& c : copies) SealPage(buf.data() + c.offset, page_size_);
  for (size_t i = 0; s.ok() && i < copies.size(); i += kDoubleWriteBatchPages) {
    const size_t end = std::min(copies.size(), i + kDoubleWriteBatchPages);
    if (double_write_ != nullptr) {
      std::vector<std::pair<PageId, const char*>> batch;
      for (size_t j = i; j < end; j++)
        batch.emplace_back(copies[j].id, buf.data() + copies[j].offset);
      s = double_write_->WriteBatch(batch);
    }
    for (size_t j = i; s.ok() && j < end; j++) {
      if (impl_->before_write_hook) impl_->before_write_hook(copies[j].id, copies[j].lsn);
      s = page_file_->WritePage(copies[j].id, buf.data() + copies[j].offset);
    }
    // Synced before the next batch reuses the double-write file.
    if (s.ok()) s = page_file_->Sync();
  }
  if (!s.ok()) {
    impl_->flush_error = s;
    impl_->flush_failed.store(true, std::memory_order_relaxed);
    if (impl_->flush_error_handler) impl_->flush_error_handler(s);
    return s;
  }
  impl_->flushes += copies.size();
  for (Copy& c : copies) {
    Partition& p = *impl_->parts[c.frame->partition];
    std::lock_guard<std::mutex> l(p.mu);
    if (!c.frame->dirty) continue;
    p.dirty.erase({c.frame->rec_lsn, c.frame});
    if (c.frame->modified_during_flush) {
      // Changed after our copy: its unflushed changes all come after the copy's LSN.
      c.frame->rec_lsn = std::max(c.frame->rec_lsn, c.lsn + 1);
      p.dirty.insert({c.frame->rec_lsn, c.frame});
    } else {
      c.frame->dirty = false;
    }
  }
  return Status::OK();
}

Status BufferPool::FlushDirty(Lsn up_to, size_t max_pages) {
  // Snapshot the candidates, then pin and flush them a chunk at a time so a big flush never
  // pins more than a chunk of the pool.
  std::vector<std::pair<Frame*, PageId>> todo;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    for (const auto& [lsn, f] : part->dirty) {
      if (lsn >= up_to || todo.size() >= max_pages) break;
      todo.emplace_back(f, f->page_id);
    }
  }
  constexpr size_t kChunk = 64;
  for (size_t i = 0; i < todo.size(); i += kChunk) {
    std::vector<Frame*> chunk;
    for (size_t j = i; j < std::min(todo.size(), i + kChunk); j++) {
      Frame* f = todo[j].first;
      Partition& p = *impl_->parts[f->partition];
      std::lock_guard<std::mutex> l(p.mu);
      if (f->mapped && f->page_id == todo[j].second && f->dirty) {
        f->pins.fetch_add(1, std::memory_order_relaxed);
        chunk.push_back(f);
      }
    }
    Status s = FlushFrames(chunk);
    for (Frame* f : chunk) Unpin(f);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status BufferPool::FlushAll() { return FlushDirty(UINT64_MAX, SIZE_MAX); }

Lsn BufferPool::MinRecoveryLsn() const {
  Lsn min = kInvalidLsn;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    if (!part->dirty.empty()) {
      const Lsn lsn = part->dirty.begin()->first;
      if (min == kInvalidLsn || lsn < min) min = lsn;
    }
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
  st.hits = impl_->hits;
  st.misses = impl_->misses;
  st.evictions = impl_->evictions;
  st.flushes = impl_->flushes;
  st.prefetches = impl_->prefetches;
  st.capacity_pages = impl_->frames.size();
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
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
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    for (FrameList* list : {&part->old, &part->young}) {
      for (Frame* f = list->tail; f;) {
        Frame* prev = f->prev;
        if (f->pins.load(std::memory_order_relaxed) == 0 && !f->dirty) {
          list->Remove(f);
          part->table.erase(f->page_id);
          f->mapped.store(false, std::memory_order_relaxed);
          part->PushFree(f);
        }
        f = prev;
      }
    }
  }
}

void BufferPool::RequestLruFlush() {
  // Only the first request until the flusher takes it notifies (a miss is a hot path).
  if (!impl_->lru_flush_wanted.exchange(true, std::memory_order_relaxed)) {
    impl_->flush_cv.notify_one();
  }
}

Status BufferPool::FlushLruTails() {
  for (auto& part : impl_->parts) {
    std::vector<Frame*> batch;
    {
      std::lock_guard<std::mutex> l(part->mu);
      size_t scanned = 0;
      for (FrameList* list : {&part->old, &part->young}) {
        for (Frame* c = list->tail;
             c && scanned < kLruFlushScan && batch.size() < kDoubleWriteBatchPages;
             c = c->prev, scanned++) {
          if (c->dirty && c->pins.load(std::memory_order_relaxed) == 0) {
            c->pins.fetch_add(1, std::memory_order_relaxed);
            batch.push_back(c);
          }
        }
      }
    }
    if (batch.empty()) continue;
    Status s = FlushFrames(batch);
    for (Frame* f : batch) Unpin(f);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

void BufferPool::StartBackground() {
  std::lock_guard<std::mutex> l(impl_->bg_mu);
  impl_->stop = false;
  if (options_.flusher_interval_ms > 0 && !impl_->flusher.joinable()) {
    impl_->flusher = std::thread([this] {
      const auto interval = std::chrono::milliseconds(options_.flusher_interval_ms);
      auto next_periodic = std::chrono::steady_clock::now() + interval;
      std::unique_lock<std::mutex> l(impl_->bg_mu);
      while (!impl_->stop) {
        impl_->flush_cv.wait_until(l, next_periodic, [&] {
          return impl_->stop || impl_->lru_flush_wanted.load(std::memory_order_relaxed);
        });
        if (impl_->stop) break;
        const bool lru = impl_->lru_flush_wanted.exchange(false, std::memory_order_relaxed);
        const bool periodic = std::chrono::steady_clock::now() >= next_periodic;
        if (periodic) next_periodic = std::chrono::steady_clock::now() + interval;
        // After a failure nothing is written any more (see flush_error): stop trying.
        if (impl_->flush_failed.load(std::memory_order_relaxed)) continue;
        l.unlock();
        // A failure reaches the flush error handler (the engine's error state); the pages
        // stay dirty.
        Status s;
        if (lru) s = FlushLruTails();
        if (s.ok() && periodic) FlushDirty(UINT64_MAX, 1024);
        l.lock();
      }
    });
  }
  for (uint32_t i = impl_->prefetchers.size(); i < options_.prefetch_threads; i++) {
    impl_->prefetchers.emplace_back([this] {
      std::unique_lock<std::mutex> l(impl_->bg_mu);
      while (true) {
        impl_->bg_cv.wait(l, [&] { return impl_->stop || !impl_->prefetch_queue.empty(); });
        if (impl_->stop) break;
        const PageId id = impl_->prefetch_queue.front();
        impl_->prefetch_queue.pop_front();
        l.unlock();
        Frame* f;
        if (Fetch(id, false, true, false, &f).ok()) {
          impl_->prefetches++;
          ReleaseRead(f);
        }
        l.lock();
      }
    });
  }
}

void BufferPool::StopBackground() {
  {
    std::lock_guard<std::mutex> l(impl_->bg_mu);
    impl_->stop = true;
    impl_->prefetch_queue.clear();
    impl_->bg_cv.notify_all();
    impl_->flush_cv.notify_all();
  }
  if (impl_->flusher.joinable()) impl_->flusher.join();
  for (auto& t : impl_->prefetchers) t.join();
  impl_->prefetchers.clear();
}

}  // namespace jadedb::bplustree
