#include "engine/checked_db.h"

namespace jadedb {

Status CheckKeySize(std::string_view key) {
  if (key.size() > kMaxKeySize) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes exceeds the limit of " + std::to_string(kMaxKeySize));
  }
  return Status::OK();
}

Status CheckValueSize(std::string_view value) {
  if (value.size() > kMaxValueSize) {
    return Status::InvalidArgument("value of " + std::to_string(value.size()) +
                                   " bytes exceeds the limit of " +
                                   std::to_string(kMaxValueSize));
  }
  return Status::OK();
}

namespace {

// Checks every record of a batch against the limits; the first violation wins.
class LimitChecker final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override {
    if (!status.ok()) return;
    status = CheckKeySize(key);
    if (status.ok()) status = CheckValueSize(value);
  }
  void Delete(std::string_view key) override {
    if (status.ok()) status = CheckKeySize(key);
  }
  Status status;
};

}  // namespace

CheckedDB::CheckedDB(std::unique_ptr<DB> engine, std::unique_ptr<FileLock> lock)
    : lock_(std::move(lock)), engine_(std::move(engine)) {}

CheckedDB::~CheckedDB() {
  engine_.reset();  // close the engine while the directory is still locked
  lock_.reset();
}

Status CheckedDB::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  Status s = CheckKeySize(key);
  if (s.ok()) s = CheckValueSize(value);
  if (!s.ok()) return s;
  return engine_->Put(options, key, value);
}

Status CheckedDB::Delete(const WriteOptions& options, std::string_view key) {
  Status s = CheckKeySize(key);
  if (!s.ok()) return s;
  return engine_->Delete(options, key);
}

Status CheckedDB::Write(const WriteOptions& options, WriteBatch* updates) {
  if (updates == nullptr) return Status::InvalidArgument("Write: null batch");
  LimitChecker checker;
  Status s = updates->Iterate(&checker);
  if (!s.ok()) return s;
  if (!checker.status.ok()) return checker.status;
  return engine_->Write(options, updates);
}

Status CheckedDB::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  Status s = CheckKeySize(key);
  if (!s.ok()) return s;
  return engine_->Get(options, key, value);
}

std::unique_ptr<Iterator> CheckedDB::NewIterator(const ReadOptions& options) {
  return engine_->NewIterator(options);
}

Status CheckedDB::GetSnapshot(const Snapshot** snapshot) { return engine_->GetSnapshot(snapshot); }

void CheckedDB::ReleaseSnapshot(const Snapshot* snapshot) { engine_->ReleaseSnapshot(snapshot); }

bool CheckedDB::GetProperty(std::string_view name, std::string* value) {
  return engine_->GetProperty(name, value);
}

Status CheckedDB::Flush(const FlushOptions& options) { return engine_->Flush(options); }

Status CheckedDB::CompactRange(const std::string_view* begin, const std::string_view* end) {
  return engine_->CompactRange(begin, end);
}

Status CheckedDB::VerifyChecksums(std::string* report) {
  return engine_->VerifyChecksums(report);
}

}  // namespace jadedb
