// BufferPool internals shared by buffer_pool.cc (fetch, eviction, LRU) and
// buffer_pool_flush.cc (page writing and the background threads): the frame, its latch, the
// LRU lists and the per-partition and pool-wide state. Not part of the storage layer's API.
#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "bplustree/buffer_pool.h"

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
//
// Borrowing: a partition whose frames are all pinned (one large mini-txn pins every page it
// changes until commit, and pages hash to partitions) takes a free or clean frame from
// another partition, or an overflow frame (allocated beyond the budget, bounded). partition
// is the current owner, home the owner it returns to (kOverflowHome: the overflow reserve).
// partition changes only while the old owner's mutex is held or while the frame is owned by
// nobody (unpinned, unmapped, on no list); it is read without the mutex only by holders of a
// pin, and by others after locking the partition it names (then rechecked).
struct Frame {
  char* data = nullptr;
  RwLatch latch;
  std::atomic<uint32_t> partition{0};
  uint32_t home = 0;                // fixed at creation
  PageId page_id = kInvalidPageId;  // fixed while pinned
  std::atomic<bool> mapped{false};  // in the partition's page table
  std::atomic<int> pins{0};
  bool in_free = false;  // in the partition's free_frames (guarded by the mutex)
  // Midpoint LRU.
  Frame* prev = nullptr;
  Frame* next = nullptr;
  uint8_t list = 0;  // 0 none, 1 young, 2 old
  uint64_t first_access_us = 0;
  // The partition's young_clock when the frame was last put at the young head (see Touch).
  uint64_t young_stamp = 0;
  Frame* hash_next = nullptr;  // chain in the partition's PageTable
  // Dirty state. rec_lsn: first LSN of the oldest change not yet on disk.
  bool dirty = false;
  bool modified_during_flush = false;
  Lsn rec_lsn = kInvalidLsn;
};

inline constexpr uint32_t kOverflowHome = UINT32_MAX;

// For the midpoint LRU's old_blocks_time (about a second): the coarse monotonic clock (a few
// ms resolution) reads a vDSO variable instead of the TSC, and is read on every miss and on
// hits of old pages.
inline uint64_t NowMicros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
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

// A partition's page id -> frame map: chained through Frame::hash_next, so a miss allocates
// nothing (std::unordered_map allocated and freed a node per miss) and a lookup is a multiply
// and a shift rather than a division by a prime. Grows by doubling when it holds more frames
// than buckets (borrowed frames can make a partition hold more than its share).
class PageTable {
 public:
  explicit PageTable(size_t expected = 64) {
    Resize(std::bit_ceil(std::max<size_t>(16, expected * 2)));
  }
  Frame* find(PageId id) const {
    for (Frame* f = buckets_[Bucket(id)]; f != nullptr; f = f->hash_next) {
      if (f->page_id == id) return f;
    }
    return nullptr;
  }
  bool count(PageId id) const { return find(id) != nullptr; }
  // f->page_id is the key; f must not be in the table.
  void insert(Frame* f) {
    if (size_ >= buckets_.size()) Resize(buckets_.size() * 2);
    Frame*& head = buckets_[Bucket(f->page_id)];
    f->hash_next = head;
    head = f;
    size_++;
  }
  void erase(PageId id) {
    for (Frame** link = &buckets_[Bucket(id)]; *link != nullptr; link = &(*link)->hash_next) {
      if ((*link)->page_id == id) {
        Frame* f = *link;
        *link = f->hash_next;
        f->hash_next = nullptr;
        size_--;
        return;
      }
    }
  }
  size_t size() const { return size_; }

 private:
  size_t Bucket(PageId id) const { return (id * 0xff51afd7ed558ccdull) >> shift_; }
  void Resize(size_t n) {
    std::vector<Frame*> old;
    old.swap(buckets_);
    buckets_.assign(n, nullptr);
    shift_ = 64 - std::countr_zero(n);
    size_ = 0;
    for (Frame* head : old) {
      while (head != nullptr) {
        Frame* next = head->hash_next;
        insert(head);
        head = next;
      }
    }
  }
  std::vector<Frame*> buckets_;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

struct BufferPool::Partition {
  explicit Partition(size_t frames) : table(frames) {}
  std::mutex mu;
  PageTable table;
  // Counted under mu (no shared atomic on the hit path); summed by GetStats.
  uint64_t hits = 0, misses = 0, evictions = 0;
  // Bumped each time a frame is put at the young head; a frame stamped less than a quarter of
  // the young list ago is still near the head and is not moved on a hit (InnoDB's
  // buf_page_peek_if_too_old), so hot pages do not relink list neighbours on every access.
  uint64_t young_clock = 0;
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
  std::atomic<uint64_t> flushes{0}, prefetches{0};  // hits, misses, evictions: Partition
  // Borrowing (see Frame): frames taken from another partition / from the overflow reserve
  // (events), frames lent out now, and fetches refused because every frame was pinned.
  std::atomic<uint64_t> borrows{0}, overflow_allocs{0}, pinned_full{0};
  std::atomic<int64_t> lent_now{0};
  // The overflow reserve: Frame objects are never deleted (stale pointers in flush
  // snapshots are checked against the owner's mutex), their page memory is freed when the
  // frame returns. At most overflow_limit of them exist.
  std::mutex overflow_mu;
  std::vector<std::unique_ptr<Frame>> overflow_frames;  // guarded by overflow_mu
  std::vector<Frame*> overflow_free;                    // guarded by overflow_mu
  size_t overflow_limit = 0;
  std::mutex flush_mu;  // one flush batch at a time (the double-write file is shared)
  // The first failed flush (guarded by flush_mu). Later flushes return it without writing:
  // after a failed write or fsync the kernel may have dropped dirty data, so a retry that
  // "succeeds" proves nothing, and the engine is read-only from then on anyway.
  Status flush_error;
  std::atomic<bool> flush_failed{false};  // flush_error is set (read by the flusher thread)
  // Pages written in place and not yet synced, one entry per write round (a double-write
  // batch, or a flush without double-write): the round's number and the smallest recovery
  // LSN among its pages. Appended under flush_mu before those pages are marked clean, and
  // read by MinRecoveryLsn after the partitions, so a page is always counted in one or the
  // other; a data-file sync drops the rounds it covered. unsynced_mu is a leaf lock.
  std::mutex unsynced_mu;
  std::deque<std::pair<uint64_t, Lsn>> unsynced;  // guarded by unsynced_mu
  uint64_t write_rounds = 0;                      // guarded by flush_mu
  std::atomic<uint64_t> in_place_syncs{0};
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

inline constexpr size_t kPrefetchQueueMax = 256;
inline constexpr size_t kVictimScan = 128;
// Bytes at the start of a page prefetched on a pool hit: the page header (64), the node
// header and the first ~120 slots.
inline constexpr size_t kHitPrefetchBytes = 320;
// The overflow reserve (see Frame): kOverflowPercent of the pool, at least kMinOverflowFrames.
// A batch pins each page it changes plus its before-image (mini_txn.h), so the reserve at
// most adds a quarter to what such a batch costs anyway; beyond it the batch is refused.
inline constexpr size_t kOverflowPercent = 25;
inline constexpr size_t kMinOverflowFrames = 64;
// A miss that had to pass this many dirty frames at the LRU tail before a clean victim asks
// the flusher to clean the tails (InnoDB's LRU flush by the page cleaner), so that later
// misses find clean victims and do not write pages (and wait for three fsyncs) themselves.
inline constexpr size_t kLruFlushTrigger = 16;
// How deep into a partition's LRU tail the flusher looks for dirty pages, and how many it
// takes from one partition per pass. Deeper cleans pages that are likely to be changed again
// before their eviction (each random insert that hits a cleaned leaf costs a second write);
// shallower leaves misses without a clean victim, and they then write pages themselves.
inline constexpr size_t kLruFlushScan = 128;
inline constexpr size_t kLruFlushPerPartition = 64;
// Below this many pages a partition does not keep the old/young ratio (InnoDB's
// BUF_LRU_OLD_MIN_LEN): a nearly empty pool has nothing to protect.
inline constexpr size_t kLruOldMinLen = 16;

}  // namespace jadedb::bplustree
