// BPlusTreeOptions: the knobs of the B+tree engine's storage layer (page size, buffer pool,
// WAL, checkpoints, double-write). The public jadedb::Options maps onto this struct.
// A plain value type; copy freely.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jadedb {
class Env;
class Logger;
}  // namespace jadedb

namespace jadedb::bplustree {

struct BPlusTreeOptions {
  // All file I/O goes through env (Env::Default() when null).
  Env* env = nullptr;
  // Informational log (may be null).
  Logger* info_log = nullptr;

  // Page size in bytes: a power of two in [4 KiB, 64 KiB]. Used when the store is created;
  // an existing store keeps the size recorded in its meta page.
  uint32_t page_size = 16 * 1024;
  // Size of each data segment file data-NNNNNN.jdb; a multiple of page_size. Fixed at create.
  uint64_t segment_file_bytes = 64ull << 20;

  // Memory for cached pages, split into buffer_pool_partitions partitions by page id hash.
  uint64_t buffer_pool_bytes = 128ull << 20;
  uint32_t buffer_pool_partitions = 16;
  // Midpoint LRU: a page read into the pool enters the old sublist (the last
  // lru_old_percent of the list) and is promoted to the head only when touched again at
  // least lru_old_blocks_time_ms after its first access, so one scan cannot flush the pool.
  uint32_t lru_old_percent = 37;  // ~3/8, as InnoDB
  uint32_t lru_old_blocks_time_ms = 1000;

  // WAL segment files wal-NNNNNN.log rotate when larger than this. A checkpoint deletes whole
  // segments only, so up to one segment more than needed stays on disk: 16 MiB keeps that
  // slack small next to checkpoint_wal_bytes, and a rotation (two fsyncs) every 16 MiB costs
  // nothing measurable.
  uint64_t wal_segment_bytes = 16ull << 20;
  // A fuzzy checkpoint runs every checkpoint_interval_ms (0 = only on demand / close) or when
  // the WAL has grown by checkpoint_wal_bytes since the last one.
  uint64_t checkpoint_interval_ms = 30'000;
  uint64_t checkpoint_wal_bytes = 64ull << 20;
  // Pages are written to doublewrite.jdb and synced before their in-place write, so a torn
  // page write can be repaired on recovery.
  bool double_write = true;
  // The background flusher writes the oldest dirty pages every flusher_interval_ms (not while
  // evictions are writing pages anyway) and cleans the LRU tails when misses find them dirty
  // (0 = no thread: pages are written on eviction, checkpoint and close only).
  uint64_t flusher_interval_ms = 1000;
  // Background read-ahead threads serving BufferPool::Prefetch (0 = Prefetch is a no-op).
  uint32_t prefetch_threads = 1;
  // Map the data files read-only so Tree::Get can descend through pages whose newest version
  // is on disk without latches (PageFile "Mapped reads", tree_mapped_get.cc;
  // jadedb::BPlusTreeOptions::allow_mmap_reads).
  bool allow_mmap_reads = false;
};

}  // namespace jadedb::bplustree
