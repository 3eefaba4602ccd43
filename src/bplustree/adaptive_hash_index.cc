#include "bplustree/adaptive_hash_index.h"

#include "util/hash.h"

namespace jadedb::bplustree {

AdaptiveHashIndex::AdaptiveHashIndex(size_t capacity, uint32_t build_threshold)
    : per_partition_(capacity / kPartitions + 1),
      build_threshold_(build_threshold == 0 ? 1 : build_threshold),
      parts_(kPartitions) {}

uint64_t AdaptiveHashIndex::HashKey(std::string_view key) {
  // Two independent 32-bit hashes: a collision needs both to match, and even then the
  // caller's check that the leaf holds the key keeps the answer right.
  return (uint64_t{Hash(key, 0x9747b28c)} << 32) | Hash(key, 0x5bd1e995);
}

void AdaptiveHashIndex::SetEnabled(bool enabled) {
  enabled_.store(enabled, std::memory_order_relaxed);
  if (!enabled) Clear();
}

bool AdaptiveHashIndex::Lookup(std::string_view key, PageId* page, Lsn* lsn) {
  if (!enabled()) return false;
  uint64_t h = HashKey(key);
  Partition& p = PartitionFor(h);
  std::lock_guard<std::mutex> l(p.mu);
  auto it = p.map.find(h);
  if (it == p.map.end() || it->second.page == kInvalidPageId) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *page = it->second.page;
  *lsn = it->second.lsn;
  return true;
}

void AdaptiveHashIndex::Record(std::string_view key, PageId page, Lsn lsn) {
  if (!enabled()) return;
  uint64_t h = HashKey(key);
  Partition& p = PartitionFor(h);
  std::lock_guard<std::mutex> l(p.mu);
  if (p.map.size() >= per_partition_ && p.map.find(h) == p.map.end()) p.map.clear();
  Entry& e = p.map[h];
  if (++e.seen >= build_threshold_) {
    e.page = page;
    e.lsn = lsn;
  }
}

void AdaptiveHashIndex::ReportHit() { hits_.fetch_add(1, std::memory_order_relaxed); }

void AdaptiveHashIndex::Invalidate(std::string_view key) {
  uint64_t h = HashKey(key);
  Partition& p = PartitionFor(h);
  std::lock_guard<std::mutex> l(p.mu);
  auto it = p.map.find(h);
  if (it != p.map.end() && it->second.page != kInvalidPageId) {
    it->second.page = kInvalidPageId;
    it->second.seen = 0;
    invalidations_.fetch_add(1, std::memory_order_relaxed);
    misses_.fetch_add(1, std::memory_order_relaxed);
  }
}

void AdaptiveHashIndex::Clear() {
  for (Partition& p : parts_) {
    std::lock_guard<std::mutex> l(p.mu);
    p.map.clear();
  }
}

AhiStats AdaptiveHashIndex::GetStats() const {
  AhiStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.invalidations = invalidations_.load(std::memory_order_relaxed);
  for (const Partition& p : parts_) {
    std::lock_guard<std::mutex> l(const_cast<std::mutex&>(p.mu));
    for (const auto& [h, e] : p.map) s.entries += e.page != kInvalidPageId;
  }
  return s;
}

double AdaptiveHashIndex::HitRate() const {
  uint64_t h = hits_.load(std::memory_order_relaxed);
  uint64_t m = misses_.load(std::memory_order_relaxed);
  return h + m == 0 ? 0.0 : static_cast<double>(h) / static_cast<double>(h + m);
}

}  // namespace jadedb::bplustree
