// PageFile's mapped reads: a read-only map per segment and a seqlock word per page (see
// "Mapped reads" in page_file.h).
#include <algorithm>
#include <atomic>

#include "bplustree/page_file.h"
#include "bplustree/seqlock.h"

namespace jadedb::bplustree {

namespace {
// Bytes at the start of a page BeginMappedRead prefetches: the page header (64), the node
// header and the first ~120 slots (as the buffer pool does on a hit).
constexpr size_t kMappedPrefetchBytes = 320;
}  // namespace

PageFile::SegmentMap* PageFile::MapOrCreateLocked(uint64_t segment) const {
  if (segment >= maps_.size()) maps_.resize(segment + 1);
  if (!maps_[segment]) {
    maps_[segment] = std::make_unique<SegmentMap>(pages_per_segment_);
    if (segment < kFastSegments) {
      fast_maps_[segment].store(maps_[segment].get(), std::memory_order_release);
    }
  }
  return maps_[segment].get();
}

PageFile::SegmentMap* PageFile::MapOrCreate(uint64_t segment) const {
  if (!map_reads_) return nullptr;
  if (segment < kFastSegments) {
    SegmentMap* map = fast_maps_[segment].load(std::memory_order_acquire);
    if (map != nullptr) return map;
  }
  std::lock_guard<std::mutex> l(mu_);
  return MapOrCreateLocked(segment);
}

void PageFile::AddSegmentMap(uint64_t segment, RandomRWFile* file) const {
  uint64_t size = 0;
  // Without a size nothing can be read safely: leave the segment unmapped (pread still works).
  if (!file->GetSize(&size).ok()) return;
  SegmentMap* map = MapOrCreateLocked(segment);
  map->size.store(size, std::memory_order_relaxed);
  map->base.store(file->ReadMapping(), std::memory_order_release);
}

PageFile::SegmentMap* PageFile::MapOf(uint64_t segment) const {
  if (!map_reads_) return nullptr;
  if (segment < kFastSegments) return fast_maps_[segment].load(std::memory_order_acquire);
  std::lock_guard<std::mutex> l(mu_);
  return segment < maps_.size() ? maps_[segment].get() : nullptr;
}

bool PageFile::BeginMappedRead(PageId id, MappedPage* page) const {
  SegmentMap* map = MapOf(id / pages_per_segment_);
  if (map == nullptr) return false;
  const char* base = map->base.load(std::memory_order_acquire);
  if (base == nullptr) return false;
  const uint64_t offset = PageOffset(id);
  if (offset + page_size_ > map->size.load(std::memory_order_acquire)) return false;
  // Start loading the page's header, node header and first slots while the word (most likely
  // another cache miss) loads: the search reads them next.
  const char* data = base + offset;
  for (size_t b = 0; b < kMappedPrefetchBytes; b += 64) __builtin_prefetch(data + b);
  const SegmentMap::PageWord& w = map->words[id % pages_per_segment_];
  page->seq = w.seq.load(std::memory_order_acquire);
  // Being written, or the file's version is not the newest.
  if (page->seq & (SegmentMap::kWriting | SegmentMap::kPoolNewer)) return false;
  page->verified = w.verified_at.load(std::memory_order_relaxed) == page->seq;
  page->data = data;
  return true;
}

bool PageFile::EndMappedRead(PageId id, const MappedPage& page) const {
  std::atomic<uint64_t>& seq = MapOf(id / pages_per_segment_)->words[id % pages_per_segment_].seq;
  return SeqlockUnchanged(seq, page.seq);
}

void PageFile::MarkMappedVerified(PageId id, const MappedPage& page) const {
  // A write that began after EndMappedRead moved the word past page.seq, so this stamp never
  // vouches for its bytes.
  MapOf(id / pages_per_segment_)
      ->words[id % pages_per_segment_]
      .verified_at.store(page.seq, std::memory_order_relaxed);
}

void PageFile::MarkPoolNewer(PageId id) const {
  SegmentMap* map = MapOrCreate(id / pages_per_segment_);
  if (map == nullptr) return;
  // Before the committing mini-txn unlatches the page, so a reader that latches it after
  // sees the bit (and one that read the map before sees the word change).
  map->words[id % pages_per_segment_].seq.fetch_or(SegmentMap::kPoolNewer,
                                                   std::memory_order_acq_rel);
}

void PageFile::ClearPoolNewer(PageId id) const {
  SegmentMap* map = MapOf(id / pages_per_segment_);
  if (map == nullptr) return;
  // After the write that put the version in the file: release orders it before the bit goes.
  map->words[id % pages_per_segment_].seq.fetch_and(~SegmentMap::kPoolNewer,
                                                    std::memory_order_release);
}

void PageFile::BeginMappedWrite(SegmentMap* map, PageId id) const {
  // acq_rel: the odd word is visible before any byte of the write can be.
  map->words[id % pages_per_segment_].seq.fetch_add(1, std::memory_order_acq_rel);
}

void PageFile::EndMappedWrite(SegmentMap* map, PageId id, bool written) const {
  if (written) {
    const uint64_t end = PageOffset(id) + page_size_;
    uint64_t size = map->size.load(std::memory_order_relaxed);
    while (size < end && !map->size.compare_exchange_weak(size, end, std::memory_order_release)) {
    }
  }
  // Even again, whether or not the write succeeded: a failed write may have changed bytes,
  // and the changed word makes every reader that overlapped it retry.
  map->words[id % pages_per_segment_].seq.fetch_add(1, std::memory_order_release);
}

}  // namespace jadedb::bplustree
