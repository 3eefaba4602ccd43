#include "bplustree/adaptive_hash_index.h"

#include <bit>
#include <functional>

namespace jadedb::bplustree {

AdaptiveHashIndex::AdaptiveHashIndex(size_t slots, uint32_t build_threshold)
    : build_threshold_(build_threshold == 0 ? 1 : build_threshold),
      mask_(std::bit_ceil(slots < 2 ? size_t{2} : slots) - 1),
      slots_(new Slot[mask_ + 1]) {}

uint64_t AdaptiveHashIndex::HashKey(std::string_view key) {
  // 64 bits: the low ones pick the slot, the high 32 are the tag, so two keys share an entry
  // only when both parts collide (and even then the caller's key check keeps answers right).
  return std::hash<std::string_view>()(key);
}

void AdaptiveHashIndex::SetEnabled(bool enabled) {
  enabled_.store(enabled, std::memory_order_relaxed);
  if (!enabled) Clear();
}

void AdaptiveHashIndex::CountLookup() {
  // Exactly one thread, the one whose count reaches kWindow, closes the window; counts that
  // other threads add meanwhile go to the next one.
  if (window_lookups_.fetch_add(1, std::memory_order_relaxed) + 1 != kWindow) return;
  const uint32_t hits = window_hits_.exchange(0, std::memory_order_relaxed);
  window_lookups_.fetch_sub(kWindow, std::memory_order_relaxed);
  const double rate = static_cast<double>(hits) / kWindow;
  const bool sampling = sampling_.load(std::memory_order_relaxed);
  if (!sampling && rate < kOffHitRate) {
    sampling_.store(true, std::memory_order_relaxed);
  } else if (sampling && rate >= kOnHitRate) {
    sampling_.store(false, std::memory_order_relaxed);
  }
}

bool AdaptiveHashIndex::Lookup(std::string_view key, PageId* page, Lsn* lsn) {
  return Lookup(HashKey(key), page, lsn);
}

bool AdaptiveHashIndex::Lookup(uint64_t h, PageId* page, Lsn* lsn) {
  if (!enabled()) return false;
  if (!InUse(h)) return false;  // not counted: a shared counter per Get is what sampling saves
  CountLookup();
  Slot& slot = SlotFor(h);
  const uint64_t tp = slot.tag_page.load(std::memory_order_acquire);
  const PageId p = tp & 0xffffffffu;
  if ((tp >> 32) != Tag(h) || p == kInvalidPageId) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *page = p;
  *lsn = slot.lsn.load(std::memory_order_relaxed);
  return true;
}

void AdaptiveHashIndex::Record(std::string_view key, PageId page, Lsn lsn) {
  Record(HashKey(key), page, lsn);
}

void AdaptiveHashIndex::Record(uint64_t h, PageId page, Lsn lsn) {
  if (!enabled() || page > 0xffffffffu) return;
  if (!InUse(h)) return;
  const uint64_t tag = Tag(h);
  Slot& slot = SlotFor(h);
  const uint64_t tp = slot.tag_page.load(std::memory_order_relaxed);
  const uint64_t indexed = tag << 32 | page;
  uint64_t seen = 1;
  if ((tp >> 32) == tag) {
    if ((tp & 0xffffffffu) != kInvalidPageId) {
      // Indexed already: refresh a stale page or LSN, and write nothing when it is current
      // (a hot key must not keep dirtying a shared cache line).
      if (tp == indexed && slot.lsn.load(std::memory_order_relaxed) == lsn) return;
      invalidations_.fetch_add(1, std::memory_order_relaxed);
      seen = build_threshold_;
    } else {
      seen = slot.lsn.load(std::memory_order_relaxed) + 1;
    }
  }
  if (seen >= build_threshold_) {
    slot.lsn.store(lsn, std::memory_order_relaxed);
    slot.tag_page.store(indexed, std::memory_order_release);
  } else {
    slot.lsn.store(seen, std::memory_order_relaxed);
    slot.tag_page.store(tag << 32, std::memory_order_release);
  }
}

void AdaptiveHashIndex::ReportHit() {
  hits_.fetch_add(1, std::memory_order_relaxed);
  window_hits_.fetch_add(1, std::memory_order_relaxed);
}

void AdaptiveHashIndex::Invalidate(std::string_view key) { Invalidate(HashKey(key)); }

void AdaptiveHashIndex::Invalidate(uint64_t h) {
  // Outside the sample while sampling: an entry left over from before is still validated
  // on use, and dropping it would cost the cache miss that sampling avoids.
  if (!InUse(h)) return;
  Slot& slot = SlotFor(h);
  uint64_t tp = slot.tag_page.load(std::memory_order_relaxed);
  if ((tp >> 32) != Tag(h) || (tp & 0xffffffffu) == kInvalidPageId) return;
  if (slot.tag_page.compare_exchange_strong(tp, 0, std::memory_order_relaxed)) {
    invalidations_.fetch_add(1, std::memory_order_relaxed);
  }
}

void AdaptiveHashIndex::Clear() {
  for (size_t i = 0; i <= mask_; i++) slots_[i].tag_page.store(0, std::memory_order_relaxed);
}

AhiStats AdaptiveHashIndex::GetStats() const {
  AhiStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.invalidations = invalidations_.load(std::memory_order_relaxed);
  s.sampling = sampling_.load(std::memory_order_relaxed);
  for (size_t i = 0; i <= mask_; i++) {
    s.entries += (slots_[i].tag_page.load(std::memory_order_relaxed) & 0xffffffffu) != 0;
  }
  return s;
}

double AdaptiveHashIndex::HitRate() const {
  uint64_t h = hits_.load(std::memory_order_relaxed);
  uint64_t m = misses_.load(std::memory_order_relaxed);
  return h + m == 0 ? 0.0 : static_cast<double>(h) / static_cast<double>(h + m);
}

}  // namespace jadedb::bplustree
