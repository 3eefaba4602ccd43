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
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jadedb/db.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/cache/cache.h"
#include "lsm/memtable/memtable.h"
#include "lsm/snapshot_list.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"
#include "lsm/vlog/value_log.h"
#include "lsm/wal/log_writer.h"
#include "util/thread_pool.h"

namespace jadedb::lsm {

class Compaction;

// The table format's code for a public Compression choice.
CompressionType ToCompressionType(Compression c);

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
  Status DeleteRange(const WriteOptions& options, std::string_view begin,
                     std::string_view end) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::vector<Status> MultiGet(const ReadOptions& options,
                               const std::vector<std::string_view>& keys,
                               std::vector<std::string>* values) override;
  Status GetApproximateSizes(const std::vector<std::pair<std::string, std::string>>& ranges,
                             std::vector<uint64_t>* sizes) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  Status GetSnapshot(const Snapshot** snapshot) override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Flush(const FlushOptions& options) override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  Status VerifyChecksums(std::string* report) override;
  Status CompactValueLog() override;

  // Test hook: called with the name of each step of value-log GC ("gc:before_rewrite",
  // "gc:mid_rewrite", "gc:after_rewrite", "gc:before_delete", "gc:after_delete"), e.g. to kill
  // the process there, on the thread running GC (CompactValueLog's caller or the automatic GC
  // thread). Set before sharing the DB and before any automatic GC can start.
  void SetValueLogGcHookForTesting(std::function<void(std::string_view)> hook) {
    vlog_gc_hook_ = std::move(hook);
  }
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
  // Creates the WAL file numbered `number` (memory-mapped when LsmOptions::allow_mmap_writes).
  Status NewLogFile(uint64_t number, std::unique_ptr<WritableFile>* file);

  // --- read path (lsm_read.cc) ---
  // A SuperVersion is one consistent set of read sources: the memtable, the immutable
  // memtables and the current Version, each referenced by it. InstallSuperVersion builds a new
  // one (under mutex_) whenever mem_, imms_ or the current Version change. Readers take one
  // without mutex_: each thread borrows the one cached in its slot of sv_slots_ when still
  // current (two atomic exchanges and no shared counter), and otherwise takes a reference
  // under mutex_ once and caches it. A slot holding a SuperVersion owns one reference to it;
  // kSuperVersionInUse marks a slot whose SuperVersion a reader borrowed. Installing swaps
  // every slot to null and drops the references found; a reader whose slot was emptied while
  // it borrowed keeps (and later drops) that reference itself.
  struct SuperVersion {
    MemTable* mem = nullptr;
    std::vector<MemTable*> imms;  // newest first
    Version* current = nullptr;
    bool imms_have_range_tombstones = false;
    uint64_t number = 0;
    std::atomic<int64_t> refs{1};
    // The range tombstones of every table of current, loaded by the first unbounded iterator
    // (so later iterators skip a table-cache lookup per table). Written once under
    // table_tombstones_mu before table_tombstones_loaded is set; read-only after.
    std::mutex table_tombstones_mu;
    std::atomic<bool> table_tombstones_loaded{false};
    std::vector<RangeTombstone> table_tombstones;
  };
  static constexpr size_t kSuperVersionSlots = 32;
  struct alignas(64) SuperVersionSlot {
    std::atomic<SuperVersion*> sv{nullptr};
  };
  // Requires mutex_, with mem_ set: makes a SuperVersion of the current state current.
  void InstallSuperVersion();
  // A SuperVersion current at the call, usable until ReleaseSuperVersion(sv, *slot).
  SuperVersion* AcquireSuperVersion(size_t* slot);
  void ReleaseSuperVersion(SuperVersion* sv, size_t slot);
  // Drops one reference; without mutex_ (takes it when this was the last one).
  void UnrefSuperVersion(SuperVersion* sv);
  // Requires mutex_: drops one reference, deleting sv when it was the last.
  void UnrefSuperVersionLocked(SuperVersion* sv);
  // Requires mutex_: unrefs sv's sources and deletes it (its count reached zero).
  void DeleteSuperVersionLocked(SuperVersion* sv);
  // Requires mutex_: empties every slot (dropping the slots' references).
  void ScrapeSuperVersionSlots();

  // What a read holds while it runs without the mutex: a SuperVersion and the read's
  // sequence.
  struct ReadRefs {
    SequenceNumber sequence = 0;
    SuperVersion* sv = nullptr;
    size_t slot = 0;
  };
  void AcquireReadRefs(const ReadOptions& options, ReadRefs* refs);
  void ReleaseReadRefs(ReadRefs* refs);
  // The memtables' range tombstones visible at refs.sequence (usually none: then no work).
  RangeTombstoneFragments MemTableTombstones(const ReadRefs& refs) const;
  // Appends the range tombstones of sv's tables that may matter to an iterator with
  // options' bounds to *out.
  Status AddTableTombstones(const ReadOptions& options, const TableReadOptions& topt,
                            SuperVersion* sv, std::vector<RangeTombstone>* out);
  // Point lookup in refs. mem_tombstones: the memtables' range tombstones visible at the
  // read's sequence (built once per read, or per MultiGet).
  Status GetFromRefs(const ReadOptions& options, const ReadRefs& refs,
                     const RangeTombstoneFragments& mem_tombstones, std::string_view key,
                     std::string* value, bool* is_pointer = nullptr);
  // Also collects (into *tombstones, when non-null) the range tombstones of every source the
  // iterator covers.
  // *version (when non-null) is set to the Version the iterator reads (kept alive by it).
  std::unique_ptr<InternalIterator> NewInternalIterator(const ReadOptions& options,
                                                        SequenceNumber* latest_snapshot,
                                                        std::vector<RangeTombstone>* tombstones,
                                                        Status* tombstone_status,
                                                        Version** version = nullptr);
  // Read-triggered compaction (LsmOptions::read_triggered_compaction). Without mutex_, with
  // a reference on v: charges `reads` wasted reads to charge.file of v; when that exhausts
  // its budget, takes mutex_ to mark the file on v and on the current Version (when it still
  // holds the file) and schedules a compaction.
  void ChargeRead(Version* v, const ReadCharge& charge, int32_t reads);
  // An iterator's read sample (db_iter.h ReadSampler) over v.
  void RecordReadSample(Version* v, std::string_view user_key, uint32_t reads, bool from_seek);

  // --- value separation (lsm_vlog.cc, lsm_vlog_gc.cc) ---
  // Opens the value log over the directory listing; marks its file numbers used. Requires
  // mutex_ (held by Open).
  Status OpenValueLog(const std::vector<std::string>& names);
  // Write leader, without mutex_: when group holds values >= value_threshold, appends them to
  // the value log and points *logged at a copy of group (vlog_batch_) carrying pointers;
  // otherwise *logged = group.
  Status SeparateValues(WriteBatch* group, bool sync, WriteBatch** logged);
  // Values appended to the value log without an fsync since the last one (write leader only).
  bool vlog_has_unsynced_ = false;
  // Recovery: false when a pointer of batch reaches a torn or damaged value-log record (the
  // batch must then be dropped whole). Pointers into deleted segments are fine: GC deletes
  // a segment only after rewriting everything live in it durably.
  bool ReplayedBatchIntact(const WriteBatch& batch, std::string* why);
  // GetFromRefs, then reads a value-log pointer's value; retries once with fresh references
  // when GC deleted the segment after refs were taken.
  Status GetAndResolve(const ReadOptions& options, const ReadRefs& refs,
                       const RangeTombstoneFragments& mem_tombstones, std::string_view key,
                       std::string* value);
  // The newest entry of key at the latest sequence, unresolved: *kind 0 none/deleted,
  // 1 inline value, 2 pointer (in *raw).
  Status LookupRaw(std::string_view key, int* kind, std::string* raw);
  // Write as the leader, running prepare(batch) first with the writer queue held (no user
  // write can interleave between prepare and the write), alone in its group.
  Status WriteWithPrepare(const WriteOptions& options, WriteBatch* batch,
                          std::function<Status(WriteBatch*)> prepare);
  // Value-log lines of jadedb.stats.
  std::string ValueLogStatsString();
  // Deletes the segments GC finished with once no snapshot older than their rewrite exists.
  // Requires vlog_gc_mutex_.
  void DeleteDrainedSegments();
  // True in *live when key's newest entry points exactly at this value-log record.
  Status IsLiveRecord(std::string_view key, const vlog::ValuePointer& pointer, bool* live);
  // Rewrites the live records of sealed segment `victim` through the write path and marks it
  // drained. Requires vlog_gc_mutex_.
  Status RewriteSegment(uint64_t victim);
  // Automatic GC (options_.lsm.value_log_auto_gc). Requires mutex_: schedules one run on
  // vlog_gc_pool_ when a sealed segment's accounted garbage reaches the ratio.
  void MaybeScheduleValueLogGc();
  void BackgroundValueLogGc();
  // Close: stops automatic GC and waits for a running pass. Without mutex_.
  void StopValueLogGc();
  // Checks every value-log record's CRC for VerifyChecksums (lsm_verify.cc).
  Status VerifyValueLog(std::string* report, uint64_t* segments, uint64_t* bytes);

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
  // Bytes of all tables of v. Requires mutex_.
  int64_t TotalLiveTableBytes(Version* v) const;
  // Bytes of v's tables holding user keys in [begin, end). Requires a reference on v only.
  uint64_t ApproximateRangeSize(Version* v, std::string_view begin, std::string_view end);

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

  // The newest published sequence (LastSequence), readable without mutex_: stored (release)
  // after the entries up to it are in the memtable.
  std::atomic<SequenceNumber> visible_sequence_{0};
  // Per-thread caches of the current SuperVersion (see AcquireSuperVersion).
  std::unique_ptr<SuperVersionSlot[]> sv_slots_{new SuperVersionSlot[kSuperVersionSlots]};
  // Number of the current SuperVersion; a cached one with another number is stale.
  std::atomic<uint64_t> super_version_number_{0};

  // Guarded by mutex_.
  SuperVersion* super_version_ = nullptr;  // holds one reference
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
  uint64_t wal_records_ = 0;    // one per write group (group commit)
  uint64_t write_batches_ = 0;  // batches written (user Write calls)
  uint64_t user_bytes_written_ = 0;
  uint64_t flush_bytes_written_ = 0;

  // Value log (always present: reads need it even with value_threshold = 0).
  std::unique_ptr<vlog::ValueLog> vlog_;
  // Write leader only: the group with pointers.
  WriteBatch vlog_batch_;
  std::mutex vlog_gc_mutex_;  // one GC at a time; guards the members below
  // Segments whose live values were rewritten, with the last sequence of the rewrite: deleted
  // once no snapshot is older than it.
  std::vector<std::pair<uint64_t, SequenceNumber>> vlog_drained_;
  std::function<void(std::string_view)> vlog_gc_hook_;
  std::atomic<uint64_t> vlog_gc_runs_{0};
  std::atomic<uint64_t> vlog_gc_bytes_rewritten_{0};
  std::atomic<uint64_t> vlog_gc_segments_deleted_{0};
  std::atomic<double> vlog_last_garbage_ratio_{0.0};
  std::atomic<uint64_t> vlog_gc_auto_runs_{0};
  std::atomic<uint64_t> vlog_gc_bytes_reclaimed_{0};  // sizes of the deleted segments
  std::atomic<bool> vlog_gc_stop_{false};             // set by Close: GC finishes early
  bool vlog_gc_scheduled_ = false;                    // guarded by mutex_
  // Automatic GC's own thread (created on first use; guarded by mutex_): a GC rewrite goes
  // through the write path, which may wait for a flush, so it must never hold a thread of
  // pool_ that a flush needs.
  std::unique_ptr<ThreadPool> vlog_gc_pool_;

  // Last member: destroyed (joined) first, while everything above is still alive.
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace jadedb::lsm
