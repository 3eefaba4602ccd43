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
                                   " bytes exceeds the limit of " + std::to_string(kMaxValueSize));
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
  void DeleteRange(std::string_view begin, std::string_view end) override {
    has_delete_range = true;
    if (status.ok()) status = CheckKeySize(begin);
    if (status.ok()) status = CheckKeySize(end);
  }
  Status status;
  bool has_delete_range = false;
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
  if (checker.has_delete_range && engine_->engine() != EngineType::kLsm) {
    // Refused before the engine logs anything: an engine that cannot apply a range deletion
    // must not find one in its WAL. Drop this check when the B+tree engine implements it.
    return Status::NotSupported("DeleteRange", std::string("not supported by the ") +
                                                   EngineTypeName(engine_->engine()) + " engine");
  }
  return engine_->Write(options, updates);
}

Status CheckedDB::DeleteRange(const WriteOptions& options, std::string_view begin,
                              std::string_view end) {
  Status s = CheckKeySize(begin);
  if (s.ok()) s = CheckKeySize(end);
  if (!s.ok()) return s;
  return engine_->DeleteRange(options, begin, end);
}

std::vector<Status> CheckedDB::MultiGet(const ReadOptions& options,
                                        const std::vector<std::string_view>& keys,
                                        std::vector<std::string>* values) {
  for (std::string_view key : keys) {
    Status s = CheckKeySize(key);
    if (!s.ok()) {
      // One oversized key fails the whole call: no lookup is half done.
      values->assign(keys.size(), std::string());
      return std::vector<Status>(keys.size(), s);
    }
  }
  return engine_->MultiGet(options, keys, values);
}

Status CheckedDB::GetApproximateSizes(
    const std::vector<std::pair<std::string, std::string>>& ranges, std::vector<uint64_t>* sizes) {
  return engine_->GetApproximateSizes(ranges, sizes);
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

Status CheckedDB::CompactValueLog() { return engine_->CompactValueLog(); }

Status CheckedDB::VerifyChecksums(std::string* report) { return engine_->VerifyChecksums(report); }

}  // namespace jadedb
