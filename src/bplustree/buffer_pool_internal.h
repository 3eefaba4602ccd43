// BufferPool internals shared by buffer_pool.cc (fetch, eviction, LRU) and
// buffer_pool_flush.cc (page writing and the background threads): the frame, its latch, the
// LRU lists and the per-partition and pool-wide state. Not part of the storage layer's API.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
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

inline uint64_t NowMicros() {
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

inline constexpr size_t kPrefetchQueueMax = 256;
inline constexpr size_t kVictimScan = 128;
// A miss that had to pass this many dirty frames at the LRU tail before a clean victim asks
// the flusher to clean the tails (InnoDB's LRU flush by the page cleaner), so that later
// misses find clean victims and do not write pages (and wait for three fsyncs) themselves.
inline constexpr size_t kLruFlushTrigger = 16;
// How deep into a partition's LRU tail the flusher looks for dirty pages.
inline constexpr size_t kLruFlushScan = 256;
// Below this many pages a partition does not keep the old/young ratio (InnoDB's
// BUF_LRU_OLD_MIN_LEN): a nearly empty pool has nothing to protect.
inline constexpr size_t kLruOldMinLen = 16;

}  // namespace jadedb::bplustree
