// MemEnv: a small in-memory Env for the fuzz targets. Files are strings in a map, so a target
// can hand fuzzed bytes to the real readers (log::Reader, Table, VersionSet::Recover,
// vlog::SegmentReader) without touching the disk: one execution costs microseconds and leaves
// nothing behind. Writes, renames and removals work too (VersionSet writes a new manifest),
// syncs are no-ops. Anything else (clock, and Env methods added later) goes to Env::Default(),
// which the readers under test never reach. Single-threaded use only, which is all a fuzz
// target needs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"

namespace jadedb::fuzz {

class MemEnv final : public EnvWrapper {
 public:
  MemEnv() : EnvWrapper(Env::Default()) {}

  // The whole file system: path -> contents.
  std::map<std::string, std::string>& files() { return files_; }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  bool FileExists(const std::string& path) override { return files_.count(path) != 0; }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirIfMissing(const std::string& /*dir*/) override { return Status::OK(); }
  Status RemoveDir(const std::string& /*dir*/) override { return Status::OK(); }
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& /*dir*/) override { return Status::OK(); }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override;

 private:
  std::map<std::string, std::string> files_;
};

// A SequentialFile over `data` (not copied: it must outlive the file). Each Read returns at
// most max_chunk bytes (0 = no limit), so readers' handling of short reads is exercised too.
std::unique_ptr<SequentialFile> NewStringSequentialFile(std::string_view data,
                                                        size_t max_chunk = 0);
// A RandomAccessFile over `data` (not copied).
std::unique_ptr<RandomAccessFile> NewStringRandomAccessFile(std::string_view data);

}  // namespace jadedb::fuzz
