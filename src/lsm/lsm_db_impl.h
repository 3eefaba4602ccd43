// LsmDB: the LSM-tree engine behind jadedb::DB.
//
// Structure (LevelDB's, with an immutable-memtable queue):
// - write path (lsm_write.cc): writers queue up; the leader merges their batches, appends one
//   WAL record (fsync when any asked), applies it to the memtable, publishes the sequence;
// - read path (lsm_read.cc): memtable, immutable memtables newest first, then the current
//   Version's tables; iterators merge all of them at a sequence number;
// - background work (lsm_flush.cc, lsm_compaction.cc): flushes of immutable memtables to
//   level-0 tables and leveled compactions on a thread pool; readers never wait for it;
// - recovery (lsm_recovery.cc): manifest replay, then WAL replay.
//
// Thread safety: all public methods may be called concurrently. mutex_ guards the state
// marked below; it is never held during file I/O on the write or read path. Lock order:
// mutex_ only (the Version set, memtables and caches have their own internal locks or none).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "jadedb/db.h"
#include "lsm/base/dbformat.h"
#include "lsm/cache/cache.h"
#include "lsm/memtable/memtable.h"
#include "lsm/snapshot_list.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"
#include "lsm/wal/log_writer.h"
#include "util/thread_pool.h"

namespace jadedb::lsm {

class Compaction;

// Per-level compaction statistics, for jadedb.stats.
struct CompactionStats {
  uint64_t micros = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t count = 0;
  void Add(const CompactionStats& c) {
    micros += c.micros;
    bytes_read += c.bytes_read;
    bytes_written += c.bytes_written;
    count += c.count;
  }
};

class LsmDB final : public DB {
 public:
  LsmDB(const Options& options, std::string dbname);
  ~LsmDB() override;

  // Creates or recovers the DB's files. Called once, before the DB is shared.
  Status Open();

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  Status GetSnapshot(const Snapshot** snapshot) override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Flush(const FlushOptions& options) override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  Status VerifyChecksums(std::string* report) override;
  EngineType engine() const override { return EngineType::kLsm; }

 private:
  struct Writer;
  // An immutable memtable waiting for its flush, with the WAL that holds its contents.
  struct ImmutableMemTable {
    MemTable* mem;
    uint64_t log_number;
  };

  // --- recovery (lsm_recovery.cc) ---
  // Require mutex_ (held by Open).
  Status Recover(std::unique_lock<std::mutex>& lock, VersionEdit* edit, bool* save_manifest);
  Status RecoverLogFile(std::unique_lock<std::mutex>& lock, uint64_t log_number,
                        bool* save_manifest, VersionEdit* edit, SequenceNumber* max_sequence);

  // --- write path (lsm_write.cc) ---
  // Requires mutex_ held by the write leader. Switches memtables or waits as needed.
  Status MakeRoomForWrite(std::unique_lock<std::mutex>& lock, bool force);
  // Requires mutex_: merges the batches of the writers behind the leader into one.
  WriteBatch* BuildBatchGroup(Writer** last_writer);
  // Requires mutex_: starts a new WAL and memtable, queueing the old memtable for flush.
  Status SwitchMemTable(std::unique_lock<std::mutex>& lock);

  // --- read path (lsm_read.cc) ---
  std::unique_ptr<InternalIterator> NewInternalIterator(const ReadOptions& options,
                                                        SequenceNumber* latest_snapshot);

  // --- flush (lsm_flush.cc) ---
  // Writes mem to a new table (level chosen by the version), filling edit. Requires mutex_;
  // releases it during the I/O.
  Status WriteLevel0Table(std::unique_lock<std::mutex>& lock, MemTable* mem, VersionEdit* edit,
                          Version* base);
  void MaybeScheduleFlush();
  void BackgroundFlush();
  // Requires mutex_: flushes the oldest immutable memtable.
  Status FlushOldestImmutable(std::unique_lock<std::mutex>& lock);
  // Requires mutex_: waits until every immutable memtable is flushed.
  Status WaitForFlushes(std::unique_lock<std::mutex>& lock);

  // --- compaction (lsm_compaction.cc) ---
  void MaybeScheduleCompaction();
  void BackgroundCompaction();
  // Requires mutex_; releases it while merging.
  Status RunCompaction(std::unique_lock<std::mutex>& lock, Compaction* c);

  // --- shared helpers (lsm_db.cc) ---
  // Requires mutex_: applies edit to the version set; serializes manifest writes.
  Status ApplyEdit(std::unique_lock<std::mutex>& lock, VersionEdit* edit);
  // Requires mutex_: deletes files no live version, memtable or running job needs.
  void RemoveObsoleteFiles(std::unique_lock<std::mutex>& lock);
  // Requires mutex_: records a background error that stops further writes.
  void RecordBackgroundError(const Status& s);
  SequenceNumber SmallestLiveSnapshot() const;
  std::string StatsString();

  // Constant after construction.
  const std::string dbname_;
  Options options_;
  Env* const env_;
  std::shared_ptr<Logger> info_log_;
  const InternalKeyComparator internal_comparator_;
  std::unique_ptr<FilterPolicy> bloom_policy_;
  std::unique_ptr<InternalFilterPolicy> internal_filter_policy_;
  std::unique_ptr<Cache> block_cache_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;

  std::mutex mutex_;
  std::condition_variable background_cv_;  // signalled when background work finishes
  std::condition_variable manifest_cv_;    // signalled when a manifest write finishes
  std::atomic<bool> shutting_down_{false};

  // Guarded by mutex_.
  MemTable* mem_ = nullptr;
  std::deque<ImmutableMemTable> imms_;  // oldest first
  std::atomic<bool> has_imm_{false};
  std::unique_ptr<WritableFile> logfile_;
  uint64_t logfile_number_ = 0;
  std::unique_ptr<log::Writer> log_;
  bool logfile_needs_sync_ = false;  // unsynced records in logfile_
  std::deque<Writer*> writers_;
  WriteBatch tmp_batch_;
  SnapshotList snapshots_;
  std::set<uint64_t> pending_outputs_;  // table numbers being written
  bool flush_scheduled_ = false;
  bool compaction_scheduled_ = false;
  bool compaction_running_ = false;  // background or manual
  bool manifest_writing_ = false;
  Status bg_error_;
  std::unique_ptr<VersionSet> versions_;
  CompactionStats stats_[kNumLevels];
  uint64_t flush_count_ = 0;
  uint64_t stall_micros_ = 0;
  uint64_t slowdown_count_ = 0;
  uint64_t stop_count_ = 0;
  uint64_t wal_syncs_ = 0;
  uint64_t wal_bytes_ = 0;
  uint64_t user_bytes_written_ = 0;
  uint64_t flush_bytes_written_ = 0;

  // Last member: destroyed (joined) first, while everything above is still alive.
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace jadedb::lsm
