#include "util/arena.h"

#include <cstdint>

namespace jadedb {

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // Large objects get their own block so the current block's tail is not wasted.
    return AllocateNewBlock(bytes);
  }
  alloc_ptr_ = AllocateNewBlock(kBlockSize);
  alloc_bytes_remaining_ = kBlockSize;
  char* result = alloc_ptr_;
  alloc_ptr_ += bytes;
  alloc_bytes_remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
  size_t mod = reinterpret_cast<uintptr_t>(alloc_ptr_) & (kAlign - 1);
  size_t slop = mod == 0 ? 0 : kAlign - mod;
  size_t needed = bytes + slop;
  if (needed <= alloc_bytes_remaining_) {
    char* result = alloc_ptr_ + slop;
    alloc_ptr_ += needed;
    alloc_bytes_remaining_ -= needed;
    return result;
  }
  // New blocks come from new[], which is suitably aligned.
  return AllocateFallback(bytes);
}

char* Arena::AllocateNewBlock(size_t bytes) {
  // Not make_unique<char[]>: it zero-fills, and every byte is about to be written anyway.
  blocks_.push_back(std::unique_ptr<char[]>(new char[bytes]));
  memory_usage_.fetch_add(bytes + sizeof(void*), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace jadedb
