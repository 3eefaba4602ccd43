// Helpers for the B+tree storage-layer tests: small, deterministic options and a shortcut
// for writing a value into a page inside one mini-transaction.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <string>

#include "bplustree/buffer_pool.h"
#include "bplustree/mini_txn.h"
#include "bplustree/storage_engine.h"
#include "jadedb/env.h"
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

// An Env over the real one whose page-file writes (RandomRWFile::Write) and file deletions
// can be made to fail, counting the attempts.
class FaultyEnv final : public EnvWrapper {
 public:
  FaultyEnv() : EnvWrapper(Env::Default()) {}
  std::atomic<bool> fail_page_writes{false};
  std::atomic<bool> fail_removes{false};
  std::atomic<int> page_write_attempts{0};
  std::atomic<int> remove_attempts{0};

  Status NewRandomRWFile(const std::string& path, std::unique_ptr<RandomRWFile>* r) override {
    std::unique_ptr<RandomRWFile> f;
    Status s = target()->NewRandomRWFile(path, &f);
    if (s.ok()) *r = std::make_unique<File>(this, std::move(f));
    return s;
  }
  Status RemoveFile(const std::string& path) override {
    remove_attempts++;
    if (fail_removes) return Status::IOError("injected remove failure", path);
    return target()->RemoveFile(path);
  }

 private:
  class File final : public RandomRWFile {
   public:
    File(FaultyEnv* env, std::unique_ptr<RandomRWFile> f) : env_(env), f_(std::move(f)) {}
    Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
      return f_->Read(offset, n, result, scratch);
    }
    Status Write(uint64_t offset, std::string_view data) override {
      env_->page_write_attempts++;
      if (env_->fail_page_writes) return Status::IOError("injected page write failure");
      return f_->Write(offset, data);
    }
    Status Sync() override { return f_->Sync(); }
    Status Close() override { return f_->Close(); }
    Status GetSize(uint64_t* size) const override { return f_->GetSize(size); }

   private:
    FaultyEnv* const env_;
    std::unique_ptr<RandomRWFile> f_;
  };
};

}  // namespace jadedb::bplustree::test
