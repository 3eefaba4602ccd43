// Checkpointer: fuzzy checkpoints for the B+tree store. A checkpoint flushes the pages that
// were dirty when it started (writers keep running; a background checkpoint flushes only the
// pages dirty since before the previous checkpoint), logs a kCheckpoint record holding the
// dirty page table and the committed meta state (taken atomically with the record's LSN),
// makes it durable, writes the meta page with the checkpoint LSN and the redo start (the
// oldest recovery LSN of a still-dirty page), and deletes WAL segments older than the redo
// start. A background thread runs one every checkpoint_interval_ms or when the WAL has grown
// by checkpoint_wal_bytes.
//
// Thread safety: Run() is serialized by an internal mutex; Start/Stop from one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "bplustree/page.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class StorageEngine;

class Checkpointer {
 public:
  Checkpointer(StorageEngine* engine, uint64_t interval_ms, uint64_t wal_bytes);
  ~Checkpointer();

  // flush_all: flush every page dirty at the start (Close, DB::Flush, open). Otherwise only
  // pages whose oldest change is older than the previous checkpoint: the redo start still
  // moves past that checkpoint, while pages that change all the time (under a write load,
  // most of the pool) are left to the LRU flushing that evicts them anyway instead of being
  // written once more per checkpoint. Recovery then replays at most about two checkpoint
  // intervals of log.
  Status Run(bool flush_all = true);
  void Start();
  void Stop();
  uint64_t checkpoints() const;
  Lsn last_checkpoint_lsn() const;

 private:
  void Loop();

  StorageEngine* const engine_;
  const uint64_t interval_ms_;
  const uint64_t wal_bytes_;
  mutable std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
  uint64_t checkpoints_ = 0;
  Lsn last_lsn_ = kInvalidLsn;
  uint64_t wal_bytes_at_last_ = 0;
};

}  // namespace jadedb::bplustree
