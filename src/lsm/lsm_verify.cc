// VerifyChecksums: reads every table, WAL, value-log segment and the manifest of the DB and
// checks every checksum, for `jadedb check`.
#include <vector>

#include "lsm/base/filename.h"
#include "lsm/lsm_db_impl.h"
#include "lsm/wal/log_reader.h"

namespace jadedb::lsm {
namespace {

// Turns mid-file damage into the verification's result; a torn tail is only noted.
class VerifyReporter final : public log::Reader::Reporter {
 public:
  void Corruption(size_t /*bytes*/, const Status& s) override {
    if (status.ok()) status = s;
  }
  void TornTail(size_t bytes) override { torn_tail_bytes += bytes; }
  Status status;
  size_t torn_tail_bytes = 0;
};

// Reads every record of a log-format file; fills *records and *torn_tail_bytes.
Status VerifyLogFile(Env* env, const std::string& path, log::LogKind kind, uint64_t* records,
                     size_t* torn_tail_bytes) {
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  VerifyReporter reporter;
  log::Reader reader(file.get(), path, kind, &reporter, /*verify_checksums=*/true);
  std::string scratch;
  std::string_view record;
  *records = 0;
  while (reader.ReadRecord(&record, &scratch)) (*records)++;
  *torn_tail_bytes = reporter.torn_tail_bytes;
  if (!reporter.status.ok()) return reporter.status;
  return reader.status();
}

}  // namespace

Status LsmDB::VerifyValueLog(std::string* report, uint64_t* segments, uint64_t* bytes) {
  *segments = 0;
  *bytes = 0;
  // The pinned readers stay readable even if GC deletes a segment meanwhile.
  std::shared_ptr<const vlog::SegmentMap> pinned = vlog_->Pin();
  for (const auto& [number, segment] : *pinned) {
    uint64_t size = 0;
    Status s = segment->FileSize(env_, &size);
    if (s.IsNotFound()) {
      *report += segment->fname() + ": deleted by value-log GC meanwhile\n";
      continue;
    }
    uint64_t records = 0, torn = 0;
    if (s.ok()) s = segment->Verify(size, &records, &torn);
    *report += segment->fname() + ": " + std::to_string(records) + " records";
    if (torn > 0) {
      *report += " (" + std::to_string(torn) + " bytes of an unfinished append at the end)";
    }
    *report += std::string(": ") + (s.ok() ? "OK" : s.ToString()) + "\n";
    if (!s.ok()) return s;
    (*segments)++;
    *bytes += size;
  }
  return Status::OK();
}

Status LsmDB::VerifyChecksums(std::string* report) {
  std::string local;
  if (report == nullptr) report = &local;
  std::unique_lock<std::mutex> lock(mutex_);
  Version* current = versions_->current();
  current->Ref();
  std::vector<std::pair<int, FileMetaData>> tables;
  for (int level = 0; level < kNumLevels; level++) {
    for (const FileMetaData* f : current->files(level)) tables.emplace_back(level, *f);
  }
  const uint64_t manifest_number = versions_->ManifestFileNumber();
  std::vector<uint64_t> logs;
  for (const ImmutableMemTable& imm : imms_) logs.push_back(imm.log_number);
  logs.push_back(logfile_number_);
  lock.unlock();

  Status s;
  uint64_t table_bytes = 0;
  for (const auto& [level, f] : tables) {
    std::string table_report;
    s = table_cache_->VerifyTable(f.number, f.file_size, &table_report);
    std::string name = TableFileName(dbname_, f.number);
    *report += name + " (level " + std::to_string(level) + ", " + std::to_string(f.file_size) +
               " bytes): " + (s.ok() ? "OK" : s.ToString()) + "\n";
    if (!s.ok()) break;
    table_bytes += f.file_size;
  }
  if (s.ok()) {
    const std::string manifest = ManifestFileName(dbname_, manifest_number);
    uint64_t records = 0;
    size_t torn = 0;
    s = VerifyLogFile(env_, manifest, log::LogKind::kManifest, &records, &torn);
    *report += manifest + ": " + std::to_string(records) +
               " records: " + (s.ok() ? "OK" : s.ToString()) + "\n";
  }
  for (size_t i = 0; s.ok() && i < logs.size(); i++) {
    const std::string path = LogFileName(dbname_, logs[i]);
    uint64_t records = 0;
    size_t torn = 0;
    s = VerifyLogFile(env_, path, log::LogKind::kWal, &records, &torn);
    if (s.IsNotFound()) {
      // Its memtable was flushed (and the log deleted) while we were checking.
      *report += path + ": flushed meanwhile\n";
      s = Status::OK();
      continue;
    }
    *report += path + ": " + std::to_string(records) + " records";
    if (torn > 0) *report += " (" + std::to_string(torn) + " bytes still being written)";
    *report += std::string(": ") + (s.ok() ? "OK" : s.ToString()) + "\n";
  }
  uint64_t segments = 0, segment_bytes = 0;
  if (s.ok()) s = VerifyValueLog(report, &segments, &segment_bytes);
  if (s.ok()) {
    *report += "checked " + std::to_string(tables.size()) + " tables (" +
               std::to_string(table_bytes) + " bytes), 1 manifest, " + std::to_string(logs.size()) +
               " logs, " + std::to_string(segments) + " value-log segments (" +
               std::to_string(segment_bytes) + " bytes): no corruption\n";
  }

  lock.lock();
  current->Unref();
  return s;
}

}  // namespace jadedb::lsm
