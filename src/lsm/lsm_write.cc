// The write path: group commit through a queue of writers, memtable switching and write
// back-pressure (LevelDB's design, with a queue of immutable memtables).
#include "lsm/base/filename.h"
#include "lsm/lsm_db_impl.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {

// A caller of Write waiting in writers_. The front writer is the leader.
struct LsmDB::Writer {
  explicit Writer(WriteBatch* b, bool s) : batch(b), sync(s) {}
  WriteBatch* batch;  // null: force a memtable switch (Flush)
  bool sync;
  // Value-log GC's conditional rewrite: run by this writer as leader, before its batch is
  // written, while no other write can interleave. Such a writer goes alone.
  std::function<Status(WriteBatch*)> prepare;
  bool done = false;
  Status status;
  std::condition_variable cv;
};

Status LsmDB::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status LsmDB::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status LsmDB::Write(const WriteOptions& options, WriteBatch* updates) {
  return WriteWithPrepare(options, updates, nullptr);
}

Status LsmDB::WriteWithPrepare(const WriteOptions& options, WriteBatch* updates,
                               std::function<Status(WriteBatch*)> prepare) {
  Writer w(updates, options.sync);
  w.prepare = std::move(prepare);
  std::unique_lock<std::mutex> lock(mutex_);
  writers_.push_back(&w);
  w.cv.wait(lock, [&] { return w.done || &w == writers_.front(); });
  if (w.done) return w.status;  // a leader wrote our batch

  Status status = MakeRoomForWrite(lock, /*force=*/updates == nullptr);
  if (status.ok() && w.prepare) {
    lock.unlock();
    status = w.prepare(updates);
    lock.lock();
  }
  SequenceNumber last_sequence = versions_->LastSequence();
  Writer* last_writer = &w;
  if (status.ok() && updates != nullptr && !(w.prepare && updates->Count() == 0)) {
    WriteBatch* group = BuildBatchGroup(&last_writer);
    const SequenceNumber first = last_sequence + 1;
    WriteBatchInternal::SetSequence(group, first);
    last_sequence += group->Count();
    std::string_view record = WriteBatchInternal::Contents(group);
    wal_bytes_ += record.size();
    wal_records_++;
    if (w.sync) wal_syncs_++;

    // Only the leader touches log_, logfile_ and the memtable's writer side, so the I/O and
    // the memtable insert run without the mutex; followers wait, readers go on.
    lock.unlock();
    // Large values go to the value log first; the WAL and the memtable get pointers.
    WriteBatch* logged = group;
    status = SeparateValues(group, w.sync, &logged);
    const bool vlog_ok = status.ok();
    if (status.ok()) status = log_->AddRecord(WriteBatchInternal::Contents(logged));
    // Flush hands the record to the OS, so a process crash cannot lose it.
    if (status.ok()) status = logfile_->Flush();
    if (status.ok() && w.sync) status = logfile_->Sync();
    bool wal_ok = status.ok();
    if (status.ok()) status = InsertBatchIntoMemTable(logged, first, mem_);
    lock.lock();
    if (logged != group) wal_bytes_ -= record.size() - WriteBatchInternal::ByteSize(logged);
    if (vlog_ok && !wal_ok) {
      // The log may now end in a partial record; accept no more writes on it.
      RecordBackgroundError(status);
    }
    if (group == &tmp_batch_) tmp_batch_.Clear();
    if (status.ok()) {
      versions_->SetLastSequence(last_sequence);
      // Publishes the group to lock-free readers (after its memtable inserts).
      visible_sequence_.store(last_sequence, std::memory_order_release);
    }
  }

  while (true) {
    Writer* ready = writers_.front();
    writers_.pop_front();
    if (ready->batch != nullptr) write_batches_++;
    if (ready != &w) {
      ready->status = status;
      ready->done = true;
      ready->cv.notify_one();
    }
    if (ready == last_writer) break;
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return status;
}

WriteBatch* LsmDB::BuildBatchGroup(Writer** last_writer) {
  Writer* first = writers_.front();
  WriteBatch* result = first->batch;
  size_t size = WriteBatchInternal::ByteSize(first->batch);
  // Grow the group up to 1 MiB, but keep small writes from waiting behind a big group.
  size_t max_size = 1 << 20;
  if (size <= (128 << 10)) max_size = size + (128 << 10);

  *last_writer = first;
  for (auto it = writers_.begin() + 1; it != writers_.end(); ++it) {
    Writer* w = *it;
    if (w->sync && !first->sync) break;  // a sync write must not ride a non-sync leader
    if (w->batch == nullptr) break;      // a forced switch goes alone
    if (w->prepare != nullptr || first->prepare != nullptr) break;  // so does a GC rewrite
    size += WriteBatchInternal::ByteSize(w->batch);
    if (size > max_size) break;
    if (result == first->batch) {
      result = &tmp_batch_;
      tmp_batch_.Clear();
      tmp_batch_.Append(*first->batch);
    }
    tmp_batch_.Append(*w->batch);
    *last_writer = w;
  }
  return result;
}

Status LsmDB::MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force) {
  bool allow_delay = !force;
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    const int l0_files = versions_->NumLevelFiles(0);
    if (allow_delay && l0_files >= options_.lsm.level0_slowdown_writes_trigger) {
      // Near the stop trigger: give compaction some CPU by delaying each write batch by 1 ms
      // rather than stopping writes for seconds later.
      uint64_t start = env_->NowMicros();
      lock.unlock();
      env_->SleepForMicroseconds(1000);
      lock.lock();
      allow_delay = false;
      slowdown_count_++;
      stall_micros_ += env_->NowMicros() - start;
    } else if (!force && (mem_->ApproximateMemoryUsage() <= options_.lsm.write_buffer_size ||
                          mem_->NumEntries() == 0)) {
      // An empty memtable always takes the write: with a tiny write_buffer_size its fixed
      // overhead alone could exceed the limit and switch memtables forever.
      return Status::OK();
    } else if (force && mem_->NumEntries() == 0) {
      return Status::OK();  // nothing to flush
    } else if (imms_.size() >= static_cast<size_t>(options_.lsm.max_immutable_memtables)) {
      uint64_t start = env_->NowMicros();
      Log(info_log_.get(), "all memtables full; waiting for a flush");
      MaybeScheduleFlush();
      background_cv_.wait(lock);
      stop_count_++;
      stall_micros_ += env_->NowMicros() - start;
    } else if (l0_files >= options_.lsm.level0_stop_writes_trigger) {
      uint64_t start = env_->NowMicros();
      Log(info_log_.get(), "too many level-0 files (%d); waiting for compaction", l0_files);
      MaybeScheduleCompaction();
      background_cv_.wait(lock);
      stop_count_++;
      stall_micros_ += env_->NowMicros() - start;
    } else {
      Status s = SwitchMemTable(lock);
      if (!s.ok()) return s;
      force = false;
    }
  }
}

Status LsmDB::NewLogFile(uint64_t number, std::unique_ptr<WritableFile>* file) {
  const std::string path = LogFileName(dbname_, number);
  return options_.lsm.allow_mmap_writes ? env_->NewLogFileMaybeMapped(path, file)
                                        : env_->NewWritableFile(path, file);
}

Status LsmDB::SwitchMemTable(std::unique_lock<std::mutex>& lock) {
  // Sync the old log first: nothing written later (in the new log) may survive a power loss
  // that the old log's records do not.
  lock.unlock();
  // The value-log records the old log points at must be as durable as the log.
  Status s = vlog_->Sync();
  if (s.ok()) vlog_has_unsynced_ = false;
  if (s.ok()) s = logfile_->Sync();
  lock.lock();
  if (!s.ok()) {
    RecordBackgroundError(s);
    return s;
  }

  const uint64_t new_number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<log::Writer> new_log;
  s = NewLogFile(new_number, &file);
  if (s.ok()) {
    lock.unlock();
    // The header and the directory entry are made durable now, so a power loss can never
    // leave this log unidentifiable.
    new_log = std::make_unique<log::Writer>(file.get(), log::LogKind::kWal);
    s = new_log->WriteHeader();
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = env_->SyncDir(dbname_);
    lock.lock();
  }
  if (!s.ok()) {
    versions_->ReuseFileNumber(new_number);
    return s;
  }
  log_.reset();
  logfile_->Close();
  imms_.push_back(ImmutableMemTable{mem_, logfile_number_});
  has_imm_.store(true, std::memory_order_release);
  logfile_ = std::move(file);
  logfile_number_ = new_number;
  log_ = std::move(new_log);
  mem_ = new MemTable(internal_comparator_);
  mem_->Ref();
  InstallSuperVersion();
  MaybeScheduleFlush();
  return Status::OK();
}

}  // namespace jadedb::lsm
