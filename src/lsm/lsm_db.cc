// LsmDB construction, open, close, and the helpers shared by the write path, flushes and
// compactions (manifest serialization, obsolete-file removal, snapshots).
#include "lsm/lsm_db.h"

#include <algorithm>
#include <vector>

#include "lsm/base/filename.h"
#include "lsm/lsm_db_impl.h"
#include "lsm/sstable/bloom.h"

namespace jadedb::lsm {

CompressionType ToCompressionType(Compression c) {
  switch (c) {
    case Compression::kNone:
      return CompressionType::kNone;
    case Compression::kSnappy:
      return CompressionType::kSnappy;
    case Compression::kLz4:
      return CompressionType::kLz4;
    case Compression::kZstd:
      return CompressionType::kZstd;
  }
  return CompressionType::kNone;
}

Status ValidateLsmOptions(const Options& options) {
  const LsmOptions& o = options.lsm;
  auto bad = [](const char* field, const std::string& why) {
    return Status::InvalidArgument(std::string("LsmOptions::") + field, why);
  };
  if (o.write_buffer_size < 4096) return bad("write_buffer_size", "must be at least 4096 bytes");
  if (o.max_immutable_memtables < 1) return bad("max_immutable_memtables", "must be at least 1");
  if (o.block_size < 256 || o.block_size > (64u << 20)) {
    return bad("block_size", "must be between 256 bytes and 64 MiB");
  }
  if (o.block_restart_interval < 1) return bad("block_restart_interval", "must be at least 1");
  if (o.bloom_bits_per_key < 0 || o.bloom_bits_per_key > 64) {
    return bad("bloom_bits_per_key", "must be between 0 and 64");
  }
  if (o.max_open_files < 16) return bad("max_open_files", "must be at least 16");
  if (static_cast<int>(o.compression) < static_cast<int>(Compression::kNone) ||
      static_cast<int>(o.compression) > static_cast<int>(Compression::kZstd)) {
    return bad("compression", "unknown codec");
  }
  if (o.compression_level < -100 || o.compression_level > 22) {
    return bad("compression_level", "must be between -100 and 22");
  }
  if (o.level0_file_num_compaction_trigger < 1) {
    return bad("level0_file_num_compaction_trigger", "must be at least 1");
  }
  if (o.level0_slowdown_writes_trigger < o.level0_file_num_compaction_trigger) {
    return bad("level0_slowdown_writes_trigger",
               "must not be below level0_file_num_compaction_trigger");
  }
  if (o.level0_stop_writes_trigger < o.level0_slowdown_writes_trigger) {
    return bad("level0_stop_writes_trigger", "must not be below level0_slowdown_writes_trigger");
  }
  if (o.max_bytes_for_level_base < 4096) {
    return bad("max_bytes_for_level_base", "must be at least 4096 bytes");
  }
  if (!(o.max_bytes_for_level_multiplier > 1.0)) {
    return bad("max_bytes_for_level_multiplier", "must be greater than 1");
  }
  if (o.target_file_size < 4096) return bad("target_file_size", "must be at least 4096 bytes");
  if (o.max_background_jobs < 1 || o.max_background_jobs > 64) {
    return bad("max_background_jobs", "must be between 1 and 64");
  }
  if (o.value_log_segment_size < (64 << 10)) {
    return bad("value_log_segment_size", "must be at least 65536 bytes");
  }
  if (!(o.value_log_gc_garbage_ratio > 0.0 && o.value_log_gc_garbage_ratio <= 1.0)) {
    return bad("value_log_gc_garbage_ratio", "must be in (0, 1]");
  }
  return Status::OK();
}

bool IsLsmFileName(std::string_view name) {
  uint64_t number;
  FileType type;
  return ParseFileName(name, &number, &type);
}

Status OpenLsmDB(const Options& options, const std::string& dbname, std::unique_ptr<DB>* db) {
  auto impl = std::make_unique<LsmDB>(options, dbname);
  Status s = impl->Open();
  if (s.ok()) *db = std::move(impl);
  return s;
}

LsmDB::LsmDB(const Options& options, std::string dbname)
    : dbname_(std::move(dbname)),
      options_(options),
      env_(options.env != nullptr ? options.env : Env::Default()),
      info_log_(options.info_log),
      internal_comparator_(BytewiseComparator()) {
  options_.env = env_;
  if (options_.lsm.bloom_bits_per_key > 0) {
    bloom_policy_ = NewBloomFilterPolicy(options_.lsm.bloom_bits_per_key);
    internal_filter_policy_ = std::make_unique<InternalFilterPolicy>(bloom_policy_.get());
  }
  if (options_.lsm.block_cache_size > 0) block_cache_ = NewLRUCache(options_.lsm.block_cache_size);
  table_options_.comparator = &internal_comparator_;
  table_options_.filter_policy = internal_filter_policy_.get();
  table_options_.block_cache = block_cache_.get();
  table_options_.block_size = options_.lsm.block_size;
  table_options_.block_restart_interval = options_.lsm.block_restart_interval;
  table_options_.paranoid_checks = options_.paranoid_checks;
  table_options_.compression = ToCompressionType(options_.lsm.compression);
  table_options_.compression_level = options_.lsm.compression_level;
  table_options_.pin_index_and_filter = options_.lsm.pin_index_and_filter_blocks;
  // A few descriptors stay for logs, the manifest and the info log.
  table_cache_ = std::make_unique<TableCache>(dbname_, table_options_, env_,
                                              std::max(options_.lsm.max_open_files - 10, 6),
                                              options_.lsm.allow_mmap_reads);
  versions_ =
      std::make_unique<VersionSet>(dbname_, &options_, table_cache_.get(), &internal_comparator_);
  vlog_ =
      std::make_unique<vlog::ValueLog>(env_, dbname_, options_.lsm.value_log_segment_size, [this] {
        std::lock_guard<std::mutex> l(mutex_);
        return versions_->NewFileNumber();
      });
  pool_ = std::make_unique<ThreadPool>(options_.lsm.max_background_jobs);
}

LsmDB::~LsmDB() {
  // Value-log GC first: its rewrites go through the write path, which may need flushes.
  StopValueLogGc();
  {
    std::unique_lock<std::mutex> lock(mutex_);
    shutting_down_.store(true, std::memory_order_release);
    // Background jobs check shutting_down_ between steps and finish early.
    background_cv_.wait(lock, [this] {
      return !flush_scheduled_ && !compaction_scheduled_ && !compaction_running_;
    });
  }
  pool_.reset();
  // Compactions have stopped: keep what they counted for the next open's automatic GC.
  Status counts = vlog_->SaveGarbageCounts();
  if (!counts.ok()) {
    Log(info_log_.get(), "saving value-log garbage counts: %s", counts.ToString().c_str());
  }
  if (log_ != nullptr) {
    log_.reset();
    logfile_->Close();  // hands buffered records to the OS; durability is per WriteOptions
  }
  std::lock_guard<std::mutex> lock(mutex_);  // Version/MemTable refcounts need the mutex
  // No reader is left: drop the cached SuperVersions and the current one.
  ScrapeSuperVersionSlots();
  if (super_version_ != nullptr) UnrefSuperVersionLocked(super_version_);
  super_version_ = nullptr;
  for (ImmutableMemTable& imm : imms_) imm.mem->Unref();
  imms_.clear();
  if (mem_ != nullptr) mem_->Unref();
  mem_ = nullptr;
  versions_.reset();
}

Status LsmDB::Open() {
  if (info_log_ == nullptr) {
    std::string log_path = InfoLogFileName(dbname_);
    if (env_->FileExists(log_path)) env_->RenameFile(log_path, OldInfoLogFileName(dbname_));
    Status s = env_->NewLogger(log_path, &info_log_);
    if (!s.ok()) return s;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  VersionEdit edit;
  bool save_manifest = false;
  Status s = Recover(lock, &edit, &save_manifest);
  if (!s.ok()) return s;
  visible_sequence_.store(versions_->LastSequence(), std::memory_order_release);

  // Every open starts a fresh WAL: appending after a torn tail would bury new records
  // behind garbage.
  uint64_t new_log_number = versions_->NewFileNumber();
  std::unique_ptr<WritableFile> file;
  s = NewLogFile(new_log_number, &file);
  if (!s.ok()) return s;
  logfile_ = std::move(file);
  logfile_number_ = new_log_number;
  log_ = std::make_unique<log::Writer>(logfile_.get(), log::LogKind::kWal);
  s = log_->WriteHeader();  // durable with the directory sync below (see SwitchMemTable)
  if (s.ok()) s = logfile_->Sync();
  if (!s.ok()) return s;
  mem_ = new MemTable(internal_comparator_);
  mem_->Ref();

  edit.SetPrevLogNumber(0);
  edit.SetLogNumber(logfile_number_);
  s = ApplyEdit(lock, &edit);
  pending_outputs_.clear();  // tables written by recovery are live (or orphaned) now
  if (!s.ok()) return s;
  s = env_->SyncDir(dbname_);  // the new log's directory entry
  if (!s.ok()) return s;
  RemoveObsoleteFiles(lock);
  Log(info_log_.get(), "opened %s: %s, last sequence %llu", dbname_.c_str(),
      versions_->LevelSummary().c_str(),
      static_cast<unsigned long long>(versions_->LastSequence()));
  MaybeScheduleCompaction();
  MaybeScheduleValueLogGc();  // counts loaded from VLOGGARBAGE may already name a victim
  return Status::OK();
}

Status LsmDB::ApplyEdit(std::unique_lock<std::mutex>& lock, VersionEdit* edit) {
  // VersionSet::LogAndApply drops the mutex while it writes the manifest; only one may run.
  manifest_cv_.wait(lock, [this] { return !manifest_writing_; });
  manifest_writing_ = true;
  Status s = versions_->LogAndApply(edit, lock.mutex());
  // Readers see the new Version (and the tables it no longer needs become deletable once
  // the old SuperVersion goes). Recovery applies edits before the memtable exists.
  if (mem_ != nullptr) InstallSuperVersion();
  manifest_writing_ = false;
  manifest_cv_.notify_all();
  return s;
}

void LsmDB::RecordBackgroundError(const Status& s) {
  if (bg_error_.ok() && !s.ok()) {
    bg_error_ = s;
    Log(info_log_.get(), "background error, writes stopped: %s", s.ToString().c_str());
    background_cv_.notify_all();
  }
}

void LsmDB::RemoveObsoleteFiles(std::unique_lock<std::mutex>& lock) {
  if (!bg_error_.ok()) {
    // After a failed manifest write it is unknown whether new files were recorded.
    return;
  }
  std::set<uint64_t> live = pending_outputs_;
  versions_->AddLiveFiles(&live);
  const uint64_t log_number = versions_->LogNumber();
  const uint64_t prev_log_number = versions_->PrevLogNumber();
  const uint64_t manifest_number = versions_->ManifestFileNumber();

  std::vector<std::string> names;
  env_->GetChildren(dbname_, &names);  // errors ignored: deletion is retried next time
  std::vector<std::pair<std::string, FileType>> doomed;
  std::vector<uint64_t> evict;
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    bool keep = true;
    switch (type) {
      case FileType::kLogFile:
        keep = number >= log_number || number == prev_log_number;
        break;
      case FileType::kManifestFile:
        keep = number >= manifest_number;
        break;
      case FileType::kTableFile:
        keep = live.count(number) > 0;
        if (!keep) evict.push_back(number);
        break;
      case FileType::kTempFile:
        // A CURRENT being replaced while a manifest write runs unlocked must survive.
        keep = live.count(number) > 0 || manifest_writing_;
        break;
      case FileType::kCurrentFile:
      case FileType::kInfoLogFile:
      case FileType::kValueLogFile:  // deleted by value-log GC only
      case FileType::kValueLogGarbageFile:
        keep = true;
        break;
    }
    if (!keep) doomed.emplace_back(name, type);
  }
  if (doomed.empty()) return;
  // The doomed files are unreachable from any state, so deleting them needs no lock.
  lock.unlock();
  for (uint64_t number : evict) table_cache_->Evict(number);
  for (const auto& [name, type] : doomed) {
    Status s = env_->RemoveFile(dbname_ + "/" + name);
    Log(info_log_.get(), "delete %s: %s", name.c_str(), s.ToString().c_str());
  }
  lock.lock();
}

SequenceNumber LsmDB::SmallestLiveSnapshot() const {
  return snapshots_.empty() ? versions_->LastSequence() : snapshots_.oldest();
}

Status LsmDB::GetSnapshot(const Snapshot** snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  *snapshot = snapshots_.New(versions_->LastSequence());
  return Status::OK();
}

void LsmDB::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  snapshots_.Delete(static_cast<const SnapshotImpl*>(snapshot));
}

}  // namespace jadedb::lsm
