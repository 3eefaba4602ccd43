#include "bplustree/checkpoint.h"

#include <chrono>

#include "bplustree/buffer_pool.h"
#include "bplustree/free_list.h"
#include "bplustree/page_file.h"
#include "bplustree/storage_engine.h"
#include "bplustree/wal.h"

namespace jadedb::bplustree {

Checkpointer::Checkpointer(StorageEngine* engine, uint64_t interval_ms, uint64_t wal_bytes)
    : engine_(engine), interval_ms_(interval_ms), wal_bytes_(wal_bytes) {}

Checkpointer::~Checkpointer() { Stop(); }

Status Checkpointer::Run(bool flush_all) {
  std::lock_guard<std::mutex> run(run_mu_);
  Wal* wal = engine_->wal();
  BufferPool* pool = engine_->buffer_pool();
  // Flush what was dirty when we started (or before the previous checkpoint); writers keep
  // going meanwhile (fuzzy).
  Lsn flush_below = wal->last_lsn() + 1;
  if (!flush_all) {
    std::lock_guard<std::mutex> l(mu_);
    flush_below = last_lsn_;
  }
  Status s = pool->FlushDirty(flush_below, SIZE_MAX);
  // Durable before the meta page moves the redo start past their changes (page writes are
  // not synced one batch at a time).
  if (s.ok()) s = pool->SyncInPlace();
  if (!s.ok()) return s;

  WalRecord rec;
  rec.type = WalRecordType::kCheckpoint;
  rec.dirty_pages = pool->DirtyPageTable();  // informational: redo_start is what counts
  const MetaState meta = engine_->committed_meta();
  rec.root = meta.root;
  rec.free_head = meta.free_head;
  rec.page_count = meta.page_count;
  std::vector<WalRecord> recs{rec};
  MetaState state;
  Lsn redo_start = kInvalidLsn;
  s = wal->Append(&recs, [&](Lsn first, Lsn) {
    // Atomic with the record's LSN: the committed meta state and the oldest unflushed change.
    state = engine_->committed_meta();
    const Lsn min_rec = pool->MinRecoveryLsn();
    redo_start = (min_rec == kInvalidLsn || min_rec > first) ? first : min_rec;
    const Lsn alloc = engine_->free_list()->OldestUnsettledAllocation();
    if (alloc != kInvalidLsn && alloc < redo_start) redo_start = alloc;
  });
  if (!s.ok()) return s;
  const Lsn ckpt_lsn = recs[0].lsn;
  s = wal->FlushTo(ckpt_lsn);
  if (s.ok()) s = engine_->WriteMetaPage(ckpt_lsn, redo_start, state);
  if (!s.ok()) return s;
  {
    // The checkpoint is complete (durable meta page) whether or not old segments go now.
    std::lock_guard<std::mutex> l(mu_);
    checkpoints_++;
    last_lsn_ = ckpt_lsn;
    wal_bytes_at_last_ = wal->bytes_appended();
  }
  // A segment that cannot be deleted stays listed and is retried by the next checkpoint. It
  // does not stop writes: the data is safe (the segment is older than the redo start) and
  // only disk space is at stake, so the error is logged and returned to the caller.
  s = wal->RemoveSegmentsBefore(redo_start);
  if (!s.ok()) engine_->LogWarning("could not delete an old WAL segment: " + s.ToString());
  return s;
}

void Checkpointer::Start() {
  std::lock_guard<std::mutex> l(mu_);
  if (thread_.joinable() || (interval_ms_ == 0 && wal_bytes_ == 0)) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void Checkpointer::Loop() {
  // Wake often enough to notice WAL growth; checkpoint on the interval or the growth.
  constexpr uint64_t kPollMs = 200;
  uint64_t waited = 0;
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    cv_.wait_for(l, std::chrono::milliseconds(kPollMs));
    if (stop_) break;
    waited += kPollMs;
    const uint64_t grown = engine_->wal()->bytes_appended() - wal_bytes_at_last_;
    const bool due =
        (interval_ms_ > 0 && waited >= interval_ms_) || (wal_bytes_ > 0 && grown >= wal_bytes_);
    if (!due) continue;
    waited = 0;
    // In the engine's error state (read-only) nothing may be written any more: a retry
    // could only fail again or, after a failed fsync, pretend success.
    if (!engine_->background_error().ok()) continue;
    l.unlock();
    Run(/*flush_all=*/false);  // a failure is retried next time; the log keeps everything
    l.lock();
  }
}

uint64_t Checkpointer::checkpoints() const {
  std::lock_guard<std::mutex> l(const_cast<std::mutex&>(mu_));
  return checkpoints_;
}

Lsn Checkpointer::last_checkpoint_lsn() const {
  std::lock_guard<std::mutex> l(const_cast<std::mutex&>(mu_));
  return last_lsn_;
}

}  // namespace jadedb::bplustree
