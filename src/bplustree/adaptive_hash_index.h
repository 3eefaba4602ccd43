// AdaptiveHashIndex: InnoDB's adaptive hash index. For keys looked up repeatedly it remembers
// hash(key) -> (leaf page id, page LSN), so a Get can go straight to the leaf instead of
// descending the tree. Entries are built from observed access (a key becomes indexed on its
// build_threshold-th lookup through the tree) and validated on use: the leaf must still carry
// the recorded LSN (any change to a page gives it a new LSN, which invalidates every entry
// pointing at it) and must hold the key; otherwise the caller descends. Switchable at run
// time; hit/miss counters for GetProperty.
//
// The table is a fixed array of slots, direct-mapped by key hash (a colliding key replaces the
// older one, like a CPU cache), read and written with plain atomic loads and stores and no
// lock: a lookup costs one hash and one cache line, so it pays for itself even when most
// lookups miss (uniformly random reads). A racing writer can pair one entry's page with
// another's LSN; the caller's validation (leaf type, LSN, key present) makes any entry safe
// to act on, so correctness never depends on the table's contents.
//
// Adaptive use (InnoDB turns its AHI off when it does not pay): an entry is useful only when
// a key is read again before its leaf changes, and under uniformly random reads of a large
// key set almost no key is (a ~9% hit rate at 1M keys), so every Get would pay a hash, a
// cache miss on the slot and a slot write for nothing. The index therefore measures its own
// hit rate over windows of kWindow lookups and, below kOffHitRate, bypasses all keys outside
// a fixed 1/kSampleDivisor sample of the hash space; the sampled keys keep being looked up and
// recorded exactly as before, so their hit rate is an unbiased estimate of what the whole
// index would achieve, and it comes back on for all keys once that estimate reaches
// kOnHitRate (e.g. a skewed workload starts).
//
// Thread safety: thread-safe, lock-free.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "bplustree/page.h"

namespace jadedb::bplustree {

struct AhiStats {
  uint64_t hits = 0;
  uint64_t misses = 0;         // lookups with no usable entry
  uint64_t invalidations = 0;  // entries dropped because their page changed
  uint64_t entries = 0;
  bool sampling = false;  // the low hit rate switched the index to its key sample
};

class AdaptiveHashIndex {
 public:
  // slots: table size, rounded up to a power of two (16 bytes each); the most entries it holds.
  explicit AdaptiveHashIndex(size_t slots = 1 << 18, uint32_t build_threshold = 2);
  AdaptiveHashIndex(const AdaptiveHashIndex&) = delete;
  AdaptiveHashIndex& operator=(const AdaptiveHashIndex&) = delete;

  void SetEnabled(bool enabled);
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // Adaptive-use tuning (see the header comment).
  static constexpr uint32_t kWindow = 4096;
  static constexpr uint32_t kSampleDivisor = 16;
  static constexpr double kOffHitRate = 0.15;
  static constexpr double kOnHitRate = 0.25;

  // The leaf and LSN recorded for key; false when none (counts a miss), or when the index is
  // sampling and key is outside the sample (counted as neither).
  bool Lookup(std::string_view key, PageId* page, Lsn* lsn);
  // A lookup through the tree found key on leaf page (at lsn): count it, and index the key
  // once it has been seen build_threshold times (at once when it is already indexed, with a
  // stale page or LSN). No-op for keys outside the sample while sampling.
  void Record(std::string_view key, PageId page, Lsn lsn);
  // The same, for a key hashed once with HashKey (a Get looks up, then records or drops).
  bool Lookup(uint64_t key_hash, PageId* page, Lsn* lsn);
  void Record(uint64_t key_hash, PageId page, Lsn lsn);
  void Invalidate(uint64_t key_hash);
  static uint64_t HashKey(std::string_view key);
  // The caller validated an entry from Lookup and used it.
  void ReportHit();
  // Drops key's entry (the key is gone from the leaf the entry names).
  void Invalidate(std::string_view key);
  void Clear();

  AhiStats GetStats() const;
  // hits / (hits + misses), 0 when no lookups.
  double HitRate() const;

 private:
  // tag_page: the hash's high 32 bits (the tag) << 32 | page id; page id 0 means "seen, not
  // yet indexed" and then lsn counts the sightings. Pages beyond 2^32 - 1 are not indexed.
  struct Slot {
    std::atomic<uint64_t> tag_page{0};
    std::atomic<uint64_t> lsn{0};
  };
  // Whether key (hash h) is looked up and recorded now: always, unless sampling and h is
  // outside the sample. The sample uses hash bits that neither pick the slot nor form the tag.
  bool InUse(uint64_t h) const {
    return !sampling_.load(std::memory_order_relaxed) || ((h >> 24) & (kSampleDivisor - 1)) == 0;
  }
  // Counts a lookup or hit in the current window and switches sampling when a window ends.
  void CountLookup();
  Slot& SlotFor(uint64_t h) { return slots_[h & mask_]; }
  static uint64_t Tag(uint64_t h) { return (h >> 32) | 1; }  // never 0: 0 marks an empty slot

  const uint32_t build_threshold_;
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<bool> enabled_{true};
  std::atomic<uint64_t> hits_{0}, misses_{0}, invalidations_{0};
  std::atomic<bool> sampling_{false};
  // The current window: lookups made (not bypassed) and hits among them. Updated without
  // a lock; a lost update between racing threads only blurs the estimate.
  std::atomic<uint32_t> window_lookups_{0}, window_hits_{0};
};

}  // namespace jadedb::bplustree
