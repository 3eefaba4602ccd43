// Helpers for the B+tree storage-layer tests: small, deterministic options and a shortcut
// for writing a value into a page inside one mini-transaction.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "bplustree/buffer_pool.h"
#include "bplustree/mini_txn.h"
#include "bplustree/storage_engine.h"
#include "util/coding.h"

namespace jadedb::bplustree::test {

// 4 KiB pages, a 64-page pool in 2 partitions, no background threads (tests drive flushing
// and checkpoints themselves).
inline BPlusTreeOptions SmallOptions(Env* env = nullptr) {
  BPlusTreeOptions o;
  o.env = env;
  o.page_size = 4096;
  o.segment_file_bytes = 4096 * 16;
  o.buffer_pool_bytes = 4096 * 64;
  o.buffer_pool_partitions = 2;
  o.wal_segment_bytes = 1 << 20;
  o.checkpoint_interval_ms = 0;
  o.checkpoint_wal_bytes = 0;
  o.flusher_interval_ms = 0;
  o.prefetch_threads = 0;
  o.lru_old_blocks_time_ms = 0;
  return o;
}

// The u64 at payload slot `slot` of a page.
inline uint64_t GetSlot(const char* page, size_t slot) {
  return DecodeFixed64(page + PayloadBegin() + 8 * slot);
}
inline void PutSlot(char* page, size_t slot, uint64_t v) {
  EncodeFixed64(page + PayloadBegin() + 8 * slot, v);
}

// Allocates n leaf pages, one committed mini-txn each (a small pool cannot pin them all).
inline std::vector<PageId> AllocatePages(StorageEngine* e, size_t n) {
  std::vector<PageId> ids;
  for (size_t i = 0; i < n; i++) {
    MiniTxn m = e->Begin();
    PageWriteGuard g;
    Status s = e->buffer_pool()->AllocatePage(&m, PageType::kLeaf, 0, &g);
    EXPECT_TRUE(s.ok()) << s.ToString();
    ids.push_back(g.id());
    g.Release();
    s = m.Commit(false);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_TRUE(e->SyncWal().ok());
  return ids;
}

inline uint64_t ReadSlot(StorageEngine* e, PageId id, size_t slot) {
  PageReadGuard g;
  Status s = e->buffer_pool()->FetchRead(id, &g);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? GetSlot(g.data(), slot) : ~0ull;
}

inline Status WriteSlot(StorageEngine* e, PageId id, size_t slot, uint64_t v, bool sync) {
  MiniTxn m = e->Begin();
  PageWriteGuard g;
  Status s = e->buffer_pool()->FetchWrite(id, &m, &g);
  if (!s.ok()) return s;
  PutSlot(g.data(), slot, v);
  g.Release();
  return m.Commit(sync);
}

}  // namespace jadedb::bplustree::test
