// PageFile's mapped reads: a read-only map per segment and a seqlock word per page (see
// "Mapped reads" in page_file.h).
#include <algorithm>
#include <atomic>

#include "bplustree/page_file.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define JADEDB_HAS_TSAN_FEATURE 1
#endif
#endif
#ifndef JADEDB_HAS_TSAN_FEATURE
#define JADEDB_HAS_TSAN_FEATURE 0
#endif

namespace jadedb::bplustree {

void PageFile::AddSegmentMap(uint64_t segment, RandomRWFile* file) const {
  uint64_t size = 0;
  // Without a size nothing can be read safely: leave the segment unmapped (pread still works).
  if (!file->GetSize(&size).ok()) return;
  if (segment >= maps_.size()) maps_.resize(segment + 1);
  maps_[segment] = std::make_unique<SegmentMap>(file->ReadMapping(), size, pages_per_segment_);
  if (segment < kFastSegments) fast_maps_[segment].store(maps_[segment].get());
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
  const uint64_t offset = PageOffset(id);
  if (offset + page_size_ > map->size.load(std::memory_order_acquire)) return false;
  const SegmentMap::PageWord& w = map->words[id % pages_per_segment_];
  page->seq = w.seq.load(std::memory_order_acquire);
  if (page->seq & 1) return false;  // being written
  page->verified = w.verified_at.load(std::memory_order_relaxed) == page->seq;
  page->data = map->base + offset;
  return true;
}

bool PageFile::EndMappedRead(PageId id, const MappedPage& page) const {
  std::atomic<uint64_t>& seq = MapOf(id / pages_per_segment_)->words[id % pages_per_segment_].seq;
  // The reads of the page must happen before the second look at its word (the seqlock's read
  // side): an acquire fence does that. ThreadSanitizer does not support fences; there an
  // acq_rel read-modify-write that changes nothing orders them the same way.
#if defined(__SANITIZE_THREAD__) || JADEDB_HAS_TSAN_FEATURE
  return seq.fetch_add(0, std::memory_order_acq_rel) == page.seq;
#else
  std::atomic_thread_fence(std::memory_order_acquire);
  return seq.load(std::memory_order_relaxed) == page.seq;
#endif
}

void PageFile::MarkMappedVerified(PageId id, const MappedPage& page) const {
  // A write that began after EndMappedRead moved the word past page.seq, so this stamp never
  // vouches for its bytes.
  MapOf(id / pages_per_segment_)
      ->words[id % pages_per_segment_]
      .verified_at.store(page.seq, std::memory_order_relaxed);
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
