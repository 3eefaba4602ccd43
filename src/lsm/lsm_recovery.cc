// Recovery: manifest replay (VersionSet::Recover), then WAL replay of every log the manifest
// does not cover, flushing what the logs held into level-0 tables.
#include <algorithm>
#include <vector>

#include "lsm/base/filename.h"
#include "lsm/lsm_db_impl.h"
#include "lsm/wal/log_reader.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {
namespace {

// Collects what the log reader drops: a torn tail is expected after a crash and only logged;
// damage in the middle fails recovery unless the user chose to skip it.
class LogReporter final : public log::Reader::Reporter {
 public:
  LogReporter(Logger* info_log, std::string file, bool skip_corruption)
      : info_log_(info_log), file_(std::move(file)), skip_corruption_(skip_corruption) {}

  void Corruption(size_t bytes, const Status& s) override {
    Log(info_log_, "%s: %s %zu bytes: %s", file_.c_str(),
        skip_corruption_ ? "skipping" : "corruption in", bytes, s.ToString().c_str());
    if (!skip_corruption_ && status.ok()) status = s;
  }
  void TornTail(size_t bytes) override {
    Log(info_log_, "%s: dropped a torn tail of %zu bytes (a write interrupted by a crash)",
        file_.c_str(), bytes);
    torn_tail_bytes += bytes;
  }

  Status status;
  size_t torn_tail_bytes = 0;

 private:
  Logger* info_log_;
  std::string file_;
  bool skip_corruption_;
};

}  // namespace

Status LsmDB::Recover(std::unique_lock<std::mutex>& lock, VersionEdit* edit, bool* save_manifest) {
  std::vector<std::string> names;
  Status s = env_->GetChildren(dbname_, &names);
  if (!s.ok()) return s;

  if (!env_->FileExists(CurrentFileName(dbname_))) {
    // A new DB, unless files of an old one are lying around without their CURRENT.
    for (const std::string& name : names) {
      uint64_t number;
      FileType type;
      if (ParseFileName(name, &number, &type) &&
          (type == FileType::kTableFile || type == FileType::kManifestFile)) {
        return Status::Corruption(CurrentFileName(dbname_),
                                  "missing, but the directory holds DB files such as " + name);
      }
    }
    Log(info_log_.get(), "creating a new DB in %s", dbname_.c_str());
    *save_manifest = true;
    return OpenValueLog(names);
  }

  s = versions_->Recover(save_manifest);
  if (!s.ok()) return s;
  // Before the WAL replay, which checks the value-log records its batches point at.
  s = OpenValueLog(names);
  if (!s.ok()) return s;

  // Every table the manifest names must exist; logs newer than the manifest's log number hold
  // writes not yet in any table.
  std::set<uint64_t> expected;
  versions_->AddLiveFiles(&expected);
  const uint64_t min_log = versions_->LogNumber();
  const uint64_t prev_log = versions_->PrevLogNumber();
  std::vector<uint64_t> logs;
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type)) continue;
    expected.erase(number);
    if (type == FileType::kLogFile && (number >= min_log || number == prev_log)) {
      logs.push_back(number);
    }
  }
  if (!expected.empty()) {
    return Status::Corruption(
        TableFileName(dbname_, *expected.begin()),
        std::to_string(expected.size()) + " table file(s) named by the manifest are missing");
  }

  std::sort(logs.begin(), logs.end());
  SequenceNumber max_sequence = versions_->LastSequence();
  for (size_t i = 0; i < logs.size(); i++) {
    versions_->MarkFileNumberUsed(logs[i]);
    s = RecoverLogFile(lock, logs[i], save_manifest, edit, &max_sequence);
    if (!s.ok()) return s;
  }
  if (versions_->LastSequence() < max_sequence) versions_->SetLastSequence(max_sequence);
  return Status::OK();
}

Status LsmDB::RecoverLogFile(std::unique_lock<std::mutex>& lock, uint64_t log_number,
                             bool* save_manifest, VersionEdit* edit, SequenceNumber* max_sequence) {
  const std::string fname = LogFileName(dbname_, log_number);
  std::unique_ptr<SequentialFile> file;
  Status s = env_->NewSequentialFile(fname, &file);
  if (!s.ok()) return s;

  LogReporter reporter(info_log_.get(), fname, options_.lsm.skip_corrupted_wal_records);
  log::Reader reader(file.get(), fname, log::LogKind::kWal, &reporter,
                     /*verify_checksums=*/true);
  Log(info_log_.get(), "recovering log %s", fname.c_str());

  std::string scratch;
  std::string_view record;
  WriteBatch batch;
  MemTable* mem = nullptr;
  uint64_t records = 0;
  while (reporter.status.ok() && reader.ReadRecord(&record, &scratch)) {
    if (record.size() < WriteBatchInternal::kHeaderSize) {
      reporter.Corruption(
          record.size(),
          Status::Corruption(fname, "offset " + std::to_string(reader.LastRecordOffset()) +
                                        ": record shorter than a batch header"));
      continue;
    }
    Status vs = WriteBatchInternal::Validate(record);
    if (!vs.ok()) {
      reporter.Corruption(
          record.size(),
          Status::Corruption(fname, "offset " + std::to_string(reader.LastRecordOffset()) + ": " +
                                        std::string(vs.message())));
      continue;
    }
    batch.SetData(record);
    std::string why;
    if (!ReplayedBatchIntact(batch, &why)) {
      // The value log lost the tail this batch points at (a power loss before it reached the
      // disk). Treat it and everything after it as a torn tail: replaying later batches
      // would leave a gap in the history (a later write visible, an earlier one lost).
      // Nothing after it was acknowledged as synced: a sync write syncs the value log first.
      Log(info_log_.get(),
          "%s: offset %llu: batch with torn value-log data (%s): dropping the rest of the log",
          fname.c_str(), static_cast<unsigned long long>(reader.LastRecordOffset()), why.c_str());
      break;
    }
    if (mem == nullptr) {
      mem = new MemTable(internal_comparator_);
      mem->Ref();
    }
    const SequenceNumber first = WriteBatchInternal::Sequence(&batch);
    s = InsertBatchIntoMemTable(&batch, first, mem);
    if (!s.ok()) break;
    records++;
    const uint32_t count = batch.Count();
    if (count > 0 && first + count - 1 > *max_sequence) *max_sequence = first + count - 1;

    if (mem->ApproximateMemoryUsage() > options_.lsm.write_buffer_size) {
      *save_manifest = true;
      s = WriteLevel0Table(lock, mem, edit, nullptr);
      mem->Unref();
      mem = nullptr;
      if (!s.ok()) break;
    }
  }
  if (s.ok()) s = reporter.status;
  if (s.ok()) s = reader.status();
  if (s.ok() && mem != nullptr) {
    *save_manifest = true;
    s = WriteLevel0Table(lock, mem, edit, nullptr);
  }
  if (mem != nullptr) mem->Unref();
  Log(info_log_.get(), "recovered %llu batches from %s: %s",
      static_cast<unsigned long long>(records), fname.c_str(), s.ToString().c_str());
  return s;
}

}  // namespace jadedb::lsm
