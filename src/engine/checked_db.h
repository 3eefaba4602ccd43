// CheckedDB: the facade users hold. It enforces the limits every engine shares (key and value
// sizes), owns the directory lock, and forwards everything else to the engine. Thread-safe as
// the engine is.
#pragma once

#include <memory>

#include "jadedb/db.h"
#include "jadedb/env.h"

namespace jadedb {

class CheckedDB final : public DB {
 public:
  CheckedDB(std::unique_ptr<DB> engine, std::unique_ptr<FileLock> lock);
  ~CheckedDB() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status DeleteRange(const WriteOptions& options, std::string_view begin,
                     std::string_view end) override;
  std::vector<Status> MultiGet(const ReadOptions& options,
                               const std::vector<std::string_view>& keys,
                               std::vector<std::string>* values) override;
  Status GetApproximateSizes(const std::vector<std::pair<std::string, std::string>>& ranges,
                             std::vector<uint64_t>* sizes) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  Status GetSnapshot(const Snapshot** snapshot) override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  bool GetProperty(std::string_view name, std::string* value) override;
  Status Flush(const FlushOptions& options) override;
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  Status CompactValueLog() override;
  Status VerifyChecksums(std::string* report) override;
  EngineType engine() const override { return engine_->engine(); }

 private:
  // Member order matters: the engine closes before the lock is released.
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<DB> engine_;
};

// InvalidArgument when key or value exceeds kMaxKeySize / kMaxValueSize.
Status CheckKeySize(std::string_view key);
Status CheckValueSize(std::string_view value);

}  // namespace jadedb
