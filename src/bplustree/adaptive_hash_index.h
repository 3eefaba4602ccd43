// AdaptiveHashIndex: InnoDB's adaptive hash index. For keys looked up repeatedly it remembers
// hash(key) -> (leaf page id, page LSN), so a Get can go straight to the leaf instead of
// descending the tree. Entries are built from observed access (a key becomes indexed on its
// build_threshold-th lookup through the tree) and validated on use: the leaf must still carry
// the recorded LSN (any change to a page gives it a new LSN, which invalidates every entry
// pointing at it) and must hold the key; otherwise the entry is dropped and the caller
// descends. Switchable at run time; hit/miss counters for GetProperty.
//
// Thread safety: thread-safe; partitioned by key hash, one mutex per partition.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bplustree/page.h"

namespace jadedb::bplustree {

struct AhiStats {
  uint64_t hits = 0;
  uint64_t misses = 0;         // lookups with no usable entry
  uint64_t invalidations = 0;  // entries dropped because their page changed
  uint64_t entries = 0;
};

class AdaptiveHashIndex {
 public:
  // capacity: entries kept in all (a full partition is cleared and rebuilt from new access).
  explicit AdaptiveHashIndex(size_t capacity = 1 << 20, uint32_t build_threshold = 2);
  AdaptiveHashIndex(const AdaptiveHashIndex&) = delete;
  AdaptiveHashIndex& operator=(const AdaptiveHashIndex&) = delete;

  void SetEnabled(bool enabled);
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // The leaf and LSN recorded for key; false when none (counts a miss).
  bool Lookup(std::string_view key, PageId* page, Lsn* lsn);
  // A lookup through the tree found key on leaf page (at lsn): count it, and index the key
  // once it has been seen build_threshold times.
  void Record(std::string_view key, PageId page, Lsn lsn);
  // The caller validated an entry from Lookup: it was usable (hit) or stale (dropped).
  void ReportHit();
  void Invalidate(std::string_view key);
  void Clear();

  AhiStats GetStats() const;
  // hits / (hits + misses), 0 when no lookups.
  double HitRate() const;

 private:
  struct Entry {
    PageId page = kInvalidPageId;
    Lsn lsn = kInvalidLsn;
    uint32_t seen = 0;
  };
  struct Partition {
    std::mutex mu;
    std::unordered_map<uint64_t, Entry> map;
  };
  static constexpr size_t kPartitions = 16;
  static uint64_t HashKey(std::string_view key);
  Partition& PartitionFor(uint64_t h) { return parts_[h % kPartitions]; }

  const size_t per_partition_;
  const uint32_t build_threshold_;
  std::atomic<bool> enabled_{true};
  std::vector<Partition> parts_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, invalidations_{0};
};

}  // namespace jadedb::bplustree
