#include "bplustree/storage_engine.h"

#include "bplustree/checkpoint.h"
#include "bplustree/double_write.h"
#include "bplustree/free_list.h"
#include "bplustree/page_file.h"
#include "bplustree/recovery.h"
#include "bplustree/wal.h"
#include "jadedb/env.h"

namespace jadedb::bplustree {

StorageEngine::StorageEngine(const BPlusTreeOptions& options, std::string dir)
    : options_(options), dir_(std::move(dir)) {
  if (options_.env == nullptr) options_.env = Env::Default();
}

StorageEngine::~StorageEngine() { Close(); }

Status StorageEngine::Open(const BPlusTreeOptions& options, const std::string& dir,
                           std::unique_ptr<StorageEngine>* result) {
  std::unique_ptr<StorageEngine> engine(new StorageEngine(options, dir));
  Status s = engine->OpenImpl();
  if (!s.ok()) {
    engine->closed_ = true;  // nothing to flush
    return s;
  }
  *result = std::move(engine);
  return Status::OK();
}

Status StorageEngine::OpenImpl() {
  Env* env = options_.env;
  Status s = env->CreateDirIfMissing(dir_);
  if (s.ok()) s = env->LockFile(dir_ + "/LOCK", &lock_);
  if (!s.ok()) return s;

  MetaPage meta;
  s = PageFile::ReadMeta(env, dir_, &meta);
  if (s.IsNotFound()) {
    if (!IsValidPageSize(options_.page_size)) {
      return Status::InvalidArgument("page size must be a power of two in [4096, 65536], got " +
                                     std::to_string(options_.page_size));
    }
    if (options_.segment_file_bytes < 2ull * options_.page_size ||
        options_.segment_file_bytes % options_.page_size != 0) {
      return Status::InvalidArgument("segment_file_bytes must be a multiple of the page size");
    }
    meta = MetaPage();
    meta.page_size = options_.page_size;
    meta.segment_file_bytes = options_.segment_file_bytes;
    meta.redo_start = 1;
    page_file_ = std::make_unique<PageFile>(env, dir_, meta.page_size, meta.segment_file_bytes,
                                            options_.allow_mmap_reads);
    // Both copies, so either can be the one a later torn write leaves behind.
    for (uint64_t seq : {1, 2}) {
      meta.sequence = seq;
      s = page_file_->WriteMeta(meta);
      if (!s.ok()) return s;
    }
    s = env->SyncDir(dir_);
    if (!s.ok()) return s;
    recovery_stats_.created = true;
  } else if (!s.ok()) {
    return s;
  } else {
    page_file_ = std::make_unique<PageFile>(env, dir_, meta.page_size, meta.segment_file_bytes,
                                            options_.allow_mmap_reads);
  }
  page_size_ = meta.page_size;
  segment_file_bytes_ = meta.segment_file_bytes;
  meta_sequence_ = meta.sequence;

  // Recovery reads the double-write file even when double-write is now off.
  PageFile* const file = page_file_.get();
  DoubleWrite recovery_dw(env, dir_, page_size_, [file] { return file->Sync(); });
  RecoveryResult rr;
  s = RunRecovery(env, dir_, meta, page_file_.get(), &recovery_dw, &rr, &recovery_stats_);
  if (!s.ok()) return s;

  committed_.root = rr.root;
  committed_.free_head = rr.free_head;
  committed_.page_count = rr.page_count;
  committed_.free_count = rr.free_count;
  root_.store(rr.root);
  next_mtr_id_.store(std::max(meta.next_mtr_id, rr.max_txn_id));

  s = Wal::Open(env, dir_, options_.wal_segment_bytes, rr.last_segment + 1, rr.end_lsn + 1,
                rr.segments, &wal_);
  if (!s.ok()) return s;
  if (options_.double_write) {
    // The pool syncs the data files itself before the ring needs it (with its bookkeeping);
    // the callback is the ring's own guarantee.
    double_write_ =
        std::make_unique<DoubleWrite>(env, dir_, page_size_, [file] { return file->Sync(); });
  }
  pool_ = std::make_unique<BufferPool>(options_, page_size_, page_file_.get(), wal_.get(),
                                       double_write_.get());
  pool_->SetFlushErrorHandler([this](const Status& error) { RecordBackgroundError(error); });
  free_list_ = std::make_unique<FreeList>(this, rr.free_head, rr.page_count, rr.free_count);
  pool_->SetFreeList(free_list_.get());

  if (!rr.losers.empty()) {
    std::vector<WalRecord> aborts;
    for (uint64_t txn : rr.losers) {
      WalRecord r;
      r.type = WalRecordType::kAbort;
      r.txn_id = txn;
      aborts.push_back(r);
    }
    s = wal_->Append(&aborts);
    if (s.ok()) s = wal_->Sync();
    if (!s.ok()) return s;
  }
  // Pages allocated for an operation the crash cut short go back on the free list (logged like
  // any free, so a crash now is recovered the same way).
  if (!rr.unclaimed_pages.empty()) {
    s = free_list_->Free(rr.unclaimed_pages);
    if (!s.ok()) return s;
    recovery_stats_.pages_reclaimed = rr.unclaimed_pages.size();
  }
  checkpointer_ = std::make_unique<Checkpointer>(this, options_.checkpoint_interval_ms,
                                                 options_.checkpoint_wal_bytes);
  // Recovery's pages are on disk: a checkpoint now moves the redo start past the old log.
  s = checkpointer_->Run();
  if (!s.ok()) return s;
  pool_->StartBackground();
  checkpointer_->Start();
  return Status::OK();
}

Status StorageEngine::Close() {
  if (closed_) return Status::OK();
  closed_ = true;
  Status s;
  if (checkpointer_) checkpointer_->Stop();
  if (pool_) pool_->StopBackground();
  // In the error state nothing more is written: recovery on the next open starts from the
  // last good checkpoint and the WAL.
  Status error = background_error();
  if (!error.ok()) return error;
  if (checkpointer_ && pool_ && wal_) s = checkpointer_->Run();
  return s;
}

MiniTxn StorageEngine::Begin() { return MiniTxn(this); }

uint64_t StorageEngine::PageCount() const { return free_list_->page_count(); }
uint64_t StorageEngine::FreePageCount() const { return free_list_->free_count(); }

Status StorageEngine::Checkpoint() {
  Status s = background_error();
  if (!s.ok()) return s;
  return checkpointer_->Run();
}

Status StorageEngine::background_error() const {
  std::lock_guard<std::mutex> l(error_mu_);
  return background_error_;
}

void StorageEngine::RecordBackgroundError(const Status& s) {
  if (s.ok()) return;
  {
    std::lock_guard<std::mutex> l(error_mu_);
    if (!background_error_.ok()) return;
    background_error_ = s;
  }
  Log(options_.info_log, "background error, writes stopped: %s", s.ToString().c_str());
}

void StorageEngine::RecordWalSyncError(const Status& s) {
  if (s.ok()) return;
  RecordBackgroundError(s);
  // Set after the error is kept, so a reader that sees the fence finds an error to return.
  if (!reads_fenced_.exchange(true, std::memory_order_acq_rel)) {
    Log(options_.info_log, "WAL fsync failed: reads return the background error until reopen");
  }
}

void StorageEngine::LogWarning(const std::string& message) const {
  Log(options_.info_log, "%s", message.c_str());
}

Status StorageEngine::SyncWal() { return wal_->Sync(); }

MetaState StorageEngine::committed_meta() const {
  std::lock_guard<std::mutex> l(meta_mu_);
  return committed_;
}

void StorageEngine::ApplyCommittedMeta(bool root_changed, PageId root, bool alloc_changed,
                                       PageId free_head, uint64_t page_count, uint64_t free_count) {
  if (!root_changed && !alloc_changed) return;
  std::lock_guard<std::mutex> l(meta_mu_);
  if (root_changed) committed_.root = root;
  if (alloc_changed) {
    committed_.free_head = free_head;
    committed_.page_count = page_count;
    committed_.free_count = free_count;
  }
}

Status StorageEngine::WriteMetaPage(Lsn checkpoint_lsn, Lsn redo_start, const MetaState& state) {
  std::lock_guard<std::mutex> l(meta_write_mu_);
  MetaPage m;
  m.page_size = page_size_;
  m.segment_file_bytes = segment_file_bytes_;
  m.sequence = ++meta_sequence_;
  m.root = state.root;
  m.free_head = state.free_head;
  m.page_count = state.page_count;
  m.free_count = state.free_count;
  m.checkpoint_lsn = checkpoint_lsn;
  m.redo_start = redo_start;
  m.next_mtr_id = next_mtr_id_.load();
  Status s = page_file_->WriteMeta(m);
  RecordBackgroundError(s);
  return s;
}

bool StorageEngine::GetProperty(std::string_view name, std::string* value) const {
  const BufferPoolStats st = pool_->GetStats();
  const std::pair<const char*, uint64_t> props[] = {
      {"bplustree.buffer-pool.hits", st.hits},
      {"bplustree.buffer-pool.misses", st.misses},
      {"bplustree.buffer-pool.evictions", st.evictions},
      {"bplustree.buffer-pool.flushes", st.flushes},
      {"bplustree.buffer-pool.in-place-syncs", st.in_place_syncs},
      {"bplustree.buffer-pool.prefetches", st.prefetches},
      {"bplustree.buffer-pool.capacity-pages", st.capacity_pages},
      {"bplustree.buffer-pool.resident-pages", st.resident_pages},
      {"bplustree.buffer-pool.dirty-pages", st.dirty_pages},
      {"bplustree.buffer-pool.borrows", st.borrows},
      {"bplustree.buffer-pool.overflow-allocs", st.overflow_allocs},
      {"bplustree.buffer-pool.lent-pages", st.lent_pages},
      {"bplustree.buffer-pool.pinned-full", st.pinned_full},
      {"bplustree.page-size", page_size_},
      {"bplustree.pages", PageCount()},
      {"bplustree.free-pages", FreePageCount()},
      {"bplustree.wal.last-lsn", wal_->last_lsn()},
      {"bplustree.wal.durable-lsn", wal_->durable_lsn()},
      {"bplustree.wal.bytes", wal_->bytes_appended()},
      {"bplustree.wal.syncs", wal_->syncs()},
      {"bplustree.wal.segments", wal_->segment_count()},
      {"bplustree.checkpoints", checkpointer_->checkpoints()},
      // What recovery did on this open (torn pages put back from doublewrite.jdb, redo).
      {"bplustree.recovery.pages-repaired", recovery_stats_.pages_repaired},
      {"bplustree.recovery.pages-redone", recovery_stats_.pages_redone},
      {"bplustree.recovery.pages-reclaimed", recovery_stats_.pages_reclaimed},
  };
  if (name == "bplustree.stats") {
    value->clear();
    for (const auto& [n, v] : props) *value += std::string(n) + ": " + std::to_string(v) + "\n";
    return true;
  }
  for (const auto& [n, v] : props) {
    if (name == n) {
      *value = std::to_string(v);
      return true;
    }
  }
  return false;
}

}  // namespace jadedb::bplustree
