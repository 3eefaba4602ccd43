// Flushes: immutable memtables become level-0 tables in a background job, oldest first, and
// the WAL that held each one is deleted once its table is in the manifest.
#include "lsm/lsm_db_impl.h"
#include "lsm/table_build.h"

namespace jadedb::lsm {

Status LsmDB::WriteLevel0Table(std::unique_lock<std::mutex>& lock, MemTable* mem, VersionEdit* edit,
                               Version* /*base*/) {
  const uint64_t start = env_->NowMicros();
  FileMetaData meta;
  meta.number = versions_->NewFileNumber();
  pending_outputs_.insert(meta.number);  // erased by the caller once the edit is applied
  std::unique_ptr<InternalIterator> iter = mem->NewIterator();
  Log(info_log_.get(), "flush: writing table %llu from a memtable of %llu entries",
      static_cast<unsigned long long>(meta.number),
      static_cast<unsigned long long>(mem->NumEntries()));

  std::vector<RangeTombstone> tombstones;
  mem->GetRangeTombstones(&tombstones);

  lock.unlock();
  Status s =
      BuildTable(dbname_, env_, table_options_, table_cache_.get(), iter.get(), tombstones, &meta);
  iter.reset();
  lock.lock();

  Log(info_log_.get(), "flush: table %llu: %llu bytes: %s",
      static_cast<unsigned long long>(meta.number), static_cast<unsigned long long>(meta.file_size),
      s.ToString().c_str());
  // Flushed tables always go to level 0. Pushing them deeper (LevelDB's optimization) could
  // overlap the output of a compaction running concurrently in another thread; sequential
  // loads still skip work through trivial moves out of level 0.
  if (s.ok() && meta.file_size > 0) {
    edit->AddFile(0, meta.number, meta.file_size, meta.smallest, meta.largest);
  }
  CompactionStats stats;
  stats.micros = env_->NowMicros() - start;
  stats.bytes_written = meta.file_size;
  stats.count = 1;
  stats_[0].Add(stats);
  flush_bytes_written_ += meta.file_size;
  return s;
}

void LsmDB::MaybeScheduleFlush() {
  if (flush_scheduled_ || imms_.empty() || shutting_down_.load(std::memory_order_acquire) ||
      !bg_error_.ok()) {
    return;
  }
  flush_scheduled_ = true;
  pool_->Schedule([this] { BackgroundFlush(); });
}

void LsmDB::BackgroundFlush() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!imms_.empty() && !shutting_down_.load(std::memory_order_acquire) && bg_error_.ok()) {
    Status s = FlushOldestImmutable(lock);
    if (!s.ok()) {
      RecordBackgroundError(s);
      break;
    }
  }
  flush_scheduled_ = false;
  MaybeScheduleCompaction();
  background_cv_.notify_all();
}

Status LsmDB::FlushOldestImmutable(std::unique_lock<std::mutex>& lock) {
  ImmutableMemTable imm = imms_.front();
  VersionEdit edit;
  Status s = WriteLevel0Table(lock, imm.mem, &edit, nullptr);
  if (!s.ok()) return s;
  // Logs before the next memtable's are no longer needed once this edit is durable.
  const uint64_t next_log = imms_.size() > 1 ? imms_[1].log_number : logfile_number_;
  edit.SetPrevLogNumber(0);
  edit.SetLogNumber(next_log);
  s = ApplyEdit(lock, &edit);
  for (const auto& [level, file] : edit.new_files()) pending_outputs_.erase(file.number);
  if (!s.ok()) return s;
  imms_.pop_front();
  has_imm_.store(!imms_.empty(), std::memory_order_release);
  InstallSuperVersion();  // readers stop looking at the flushed memtable
  imm.mem->Unref();
  flush_count_++;
  background_cv_.notify_all();  // writers may be waiting for a free memtable slot
  RemoveObsoleteFiles(lock);
  return Status::OK();
}

Status LsmDB::WaitForFlushes(std::unique_lock<std::mutex>& lock) {
  MaybeScheduleFlush();
  background_cv_.wait(lock, [this] { return imms_.empty() || !bg_error_.ok(); });
  return bg_error_;
}

Status LsmDB::Flush(const FlushOptions& options) {
  Status s = Write(WriteOptions(), nullptr);  // switches the memtable through the writer queue
  if (!s.ok() || !options.wait) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  return WaitForFlushes(lock);
}

}  // namespace jadedb::lsm
