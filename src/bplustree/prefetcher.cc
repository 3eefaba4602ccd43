#include "bplustree/prefetcher.h"

#include <utility>

namespace jadedb::bplustree {

Prefetcher::Prefetcher(PrefetchFn fn, uint32_t trigger_run)
    : fn_(std::move(fn)), trigger_run_(trigger_run == 0 ? 1 : trigger_run) {}

void Prefetcher::OnLeafAccess(ScanState* st, PageId id, PageId prev, PageId next) {
  int dir = 0;
  if (st->last != kInvalidPageId) {
    if (id == st->last_next) {
      dir = 1;
    } else if (id == st->last_prev) {
      dir = -1;
    }
  }
  if (dir != 0 && dir == st->direction) {
    st->run++;
  } else {
    st->run = dir != 0 ? 1 : 0;
  }
  st->direction = dir;
  st->last = id;
  st->last_next = next;
  st->last_prev = prev;
  if (!enabled() || st->run < trigger_run_) return;
  if (st->run == trigger_run_) runs_.fetch_add(1, std::memory_order_relaxed);
  PageId target = dir > 0 ? next : prev;
  if (target == kInvalidPageId) return;
  requests_.fetch_add(1, std::memory_order_relaxed);
  fn_(target);
}

}  // namespace jadedb::bplustree
