// Prefetcher: read-ahead for range scans. It watches the leaves scans visit; when a scan
// walks leaf links in one direction for trigger_run leaves in a row, it asks the buffer pool
// to read the next leaf in that direction in the background (BufferPool::Prefetch), so the
// scan finds it resident. Random access never triggers it.
//
// Thread safety: thread-safe. Detection state is per scan (ScanState, owned by the iterator);
// the counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

#include "bplustree/page.h"

namespace jadedb::bplustree {

class Prefetcher {
 public:
  // Issues a prefetch (normally BufferPool::Prefetch).
  using PrefetchFn = std::function<void(PageId)>;
  explicit Prefetcher(PrefetchFn fn, uint32_t trigger_run = 2);

  // The per-scan detection state.
  struct ScanState {
    PageId last = kInvalidPageId;
    PageId last_next = kInvalidPageId;
    PageId last_prev = kInvalidPageId;
    int direction = 0;  // +1 forward, -1 backward
    uint32_t run = 0;
  };

  // A scan visited leaf id (whose links are prev/next).
  void OnLeafAccess(ScanState* state, PageId id, PageId prev, PageId next);

  void SetEnabled(bool enabled) { enabled_.store(enabled, std::memory_order_relaxed); }
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  uint64_t sequential_runs() const { return runs_.load(std::memory_order_relaxed); }

 private:
  PrefetchFn fn_;
  const uint32_t trigger_run_;
  std::atomic<bool> enabled_{true};
  std::atomic<uint64_t> requests_{0}, runs_{0};
};

}  // namespace jadedb::bplustree
