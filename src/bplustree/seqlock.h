// The read side of a sequence lock, shared by PageFile's per-page words (mapped reads) and
// NodeHintCache's slots: after reading the protected data with plain or relaxed loads, a
// reader checks that the word still holds the value it saw before.
#pragma once

#include <atomic>
#include <cstdint>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define JADEDB_SEQLOCK_TSAN 1
#endif
#endif
#if !defined(JADEDB_SEQLOCK_TSAN) && defined(__SANITIZE_THREAD__)
#define JADEDB_SEQLOCK_TSAN 1
#endif

namespace jadedb::bplustree {

// True when `word` still holds `seen`: no writer began since it was read (with acquire).
// The reads of the data must happen before this second look at the word: an acquire fence
// orders them. ThreadSanitizer does not support fences; there an acq_rel read-modify-write
// that changes nothing orders them the same way.
inline bool SeqlockUnchanged(std::atomic<uint64_t>& word, uint64_t seen) {
#ifdef JADEDB_SEQLOCK_TSAN
  return word.fetch_add(0, std::memory_order_acq_rel) == seen;
#else
  std::atomic_thread_fence(std::memory_order_acquire);
  return word.load(std::memory_order_relaxed) == seen;
#endif
}

}  // namespace jadedb::bplustree
