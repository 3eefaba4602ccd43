#include "fuzz_env.h"

#include <algorithm>
#include <cstring>

namespace jadedb::fuzz {
namespace {

class StringSequentialFile final : public SequentialFile {
 public:
  StringSequentialFile(std::string_view data, size_t max_chunk)
      : data_(data), max_chunk_(max_chunk) {}
  Status Read(size_t n, std::string_view* result, char* scratch) override {
    n = std::min(n, data_.size() - pos_);
    if (max_chunk_ != 0) n = std::min(n, max_chunk_);
    if (n > 0) std::memcpy(scratch, data_.data() + pos_, n);
    *result = std::string_view(scratch, n);
    pos_ += n;
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ += static_cast<size_t>(std::min<uint64_t>(n, data_.size() - pos_));
    return Status::OK();
  }

 private:
  const std::string_view data_;
  const size_t max_chunk_;
  size_t pos_ = 0;
};

class StringRandomAccessFile final : public RandomAccessFile {
 public:
  explicit StringRandomAccessFile(std::string_view data) : data_(data) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* /*scratch*/) const override {
    if (offset > data_.size()) {
      *result = {};
      return Status::OK();
    }
    *result = data_.substr(static_cast<size_t>(offset), n);
    return Status::OK();
  }

 private:
  const std::string_view data_;
};

class MemWritableFile final : public WritableFile {
 public:
  explicit MemWritableFile(std::string* contents) : contents_(contents) {}
  Status Append(std::string_view data) override {
    contents_->append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  // A node of MemEnv::files_: stable while it exists, so a file must not be renamed or removed
  // while open for writing (the engines never do that).
  std::string* const contents_;
};

class MemFileLock final : public FileLock {};

class NullLogger final : public Logger {
 public:
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

Status NotFound(const std::string& path) { return Status::NotFound(path, "no such file"); }

}  // namespace

std::unique_ptr<SequentialFile> NewStringSequentialFile(std::string_view data, size_t max_chunk) {
  return std::make_unique<StringSequentialFile>(data, max_chunk);
}

std::unique_ptr<RandomAccessFile> NewStringRandomAccessFile(std::string_view data) {
  return std::make_unique<StringRandomAccessFile>(data);
}

Status MemEnv::NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* result) {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound(path);
  *result = NewStringSequentialFile(it->second);
  return Status::OK();
}

Status MemEnv::NewRandomAccessFile(const std::string& path,
                                   std::unique_ptr<RandomAccessFile>* result) {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound(path);
  *result = NewStringRandomAccessFile(it->second);
  return Status::OK();
}

Status MemEnv::NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
  std::string& contents = files_[path];
  contents.clear();
  *result = std::make_unique<MemWritableFile>(&contents);
  return Status::OK();
}

Status MemEnv::NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) {
  *result = std::make_unique<MemWritableFile>(&files_[path]);
  return Status::OK();
}

Status MemEnv::GetChildren(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  const std::string prefix = dir + "/";
  for (const auto& [path, contents] : files_) {
    if (path.compare(0, prefix.size(), prefix) == 0 &&
        path.find('/', prefix.size()) == std::string::npos) {
      names->push_back(path.substr(prefix.size()));
    }
  }
  return Status::OK();
}

Status MemEnv::RemoveFile(const std::string& path) {
  return files_.erase(path) == 1 ? Status::OK() : NotFound(path);
}

Status MemEnv::GetFileSize(const std::string& path, uint64_t* size) {
  auto it = files_.find(path);
  if (it == files_.end()) return NotFound(path);
  *size = it->second.size();
  return Status::OK();
}

Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  auto it = files_.find(from);
  if (it == files_.end()) return NotFound(from);
  std::string contents = std::move(it->second);
  files_.erase(it);
  files_[to] = std::move(contents);
  return Status::OK();
}

Status MemEnv::LockFile(const std::string& /*path*/, std::unique_ptr<FileLock>* lock) {
  *lock = std::make_unique<MemFileLock>();
  return Status::OK();
}

Status MemEnv::NewLogger(const std::string& /*path*/, std::shared_ptr<Logger>* result) {
  *result = std::make_shared<NullLogger>();
  return Status::OK();
}

}  // namespace jadedb::fuzz
