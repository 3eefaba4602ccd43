// The POSIX implementation of Env: buffered writes (or a shared memory map of reserved
// space for logs, NewLogFileMaybeMapped), pread for random access (or a read-only memory map
// for immutable files, NewRandomAccessFileMaybeMapped), pread/pwrite for random read-write
// files, flock for the directory lock, fdatasync/fsync for durability.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include "jadedb/env.h"

namespace jadedb {
namespace {

Status PosixError(const std::string& context, int err) {
  std::string msg = context + ": " + std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IOError(msg);
}

// Reads up to n bytes at offset into scratch with pread, retrying after EINTR and short reads
// until n bytes or end of file; *done is how many were read.
Status PreadFully(int fd, const std::string& path, uint64_t offset, size_t n, char* scratch,
                  size_t* done) {
  *done = 0;
  while (*done < n) {
    ssize_t r = ::pread(fd, scratch + *done, n - *done, static_cast<off_t>(offset + *done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError(path, errno);
    }
    if (r == 0) break;
    *done += static_cast<size_t>(r);
  }
  return Status::OK();
}

// Makes everything written to fd durable (fdatasync); fd < 0 means the file was closed.
Status SyncFd(int fd, const std::string& path) {
  if (fd < 0) return Status::IOError(path, "sync after Close");
  if (::fdatasync(fd) != 0) return PosixError(path, errno);
  return Status::OK();
}

// For WriteFully: write at the file position (write(2)) rather than at an offset (pwrite(2)).
constexpr uint64_t kAtFilePosition = UINT64_MAX;

// Writes all n bytes, retrying after EINTR and short writes (the kernel may accept less than
// asked, e.g. on a signal or near a quota); the errno of the failing call names the cause.
Status WriteFully(int fd, const std::string& path, const char* data, size_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t r = offset == kAtFilePosition ? ::write(fd, data, n)
                                          : ::pwrite(fd, data, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return PosixError(path, errno);
    }
    if (r == 0) return Status::IOError(path, "write made no progress");
    data += r;
    n -= static_cast<size_t>(r);
    if (offset != kAtFilePosition) offset += static_cast<uint64_t>(r);
  }
  return Status::OK();
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::read(fd_, scratch + done, n - done);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError(path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, done);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) == static_cast<off_t>(-1)) {
      return PosixError(path_, errno);
    }
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    size_t done = 0;
    Status s = PreadFully(fd_, path_, offset, n, scratch, &done);
    *result = s.ok() ? std::string_view(scratch, done) : std::string_view();
    return s;
  }

 private:
  std::string path_;
  int fd_;
};

// Files mapped now and the cap (SetPosixMmapLimit). A mapping costs address space and a
// kernel VMA, not memory: the pages are the page cache's, as with pread.
std::atomic<int> g_mmap_limit{sizeof(void*) >= 8 ? 1000 : 0};
std::atomic<int> g_mmap_count{0};

// Takes one of the g_mmap_limit slots; false when all are taken.
bool AcquireMmapSlot() {
  int n = g_mmap_count.load(std::memory_order_relaxed);
  do {
    if (n >= g_mmap_limit.load(std::memory_order_relaxed)) return false;
  } while (!g_mmap_count.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void ReleaseMmapSlot() { g_mmap_count.fetch_sub(1, std::memory_order_relaxed); }

// A read-only, shared mapping of a whole file. Read hands out views into the mapping (no copy,
// no system call), valid until the object is destroyed. The file must not be truncated while
// mapped (touching a page past the new end raises SIGBUS): only immutable files are mapped.
class PosixMmapReadableFile final : public RandomAccessFile {
 public:
  PosixMmapReadableFile(const char* base, size_t length) : base_(base), length_(length) {}
  ~PosixMmapReadableFile() override {
    ::munmap(const_cast<char*>(base_), length_);
    ReleaseMmapSlot();
  }

  Status Read(uint64_t offset, size_t n, std::string_view* result,
              char* /*scratch*/) const override {
    // Like pread: fewer bytes at the end of the file, none past it.
    if (offset >= length_) {
      *result = std::string_view();
    } else {
      *result = std::string_view(base_ + offset, std::min<uint64_t>(n, length_ - offset));
    }
    return Status::OK();
  }
  bool ViewsStable() const override { return true; }

 private:
  const char* const base_;
  const size_t length_;
};

class PosixRandomRWFile final : public RandomRWFile {
 public:
  PosixRandomRWFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomRWFile() override {
    Close();
    if (map_base_ != nullptr) {
      ::munmap(const_cast<char*>(map_base_), map_bytes_);
      ReleaseMmapSlot();
    }
  }

  // Maps the first map_bytes bytes read-only and shared, when a map slot is free; the file
  // stays usable either way. The map outlives Close (it is released by the destructor).
  void TryMapForReading(uint64_t map_bytes) {
    if (map_bytes == 0 || !AcquireMmapSlot()) return;
    // Mapping past the end of the file is allowed; touching beyond it is the caller's error.
    void* base = ::mmap(nullptr, map_bytes, PROT_READ, MAP_SHARED, fd_, 0);
    if (base == MAP_FAILED) {
      ReleaseMmapSlot();  // out of address space or VMAs: pread still works
      return;
    }
    map_base_ = static_cast<const char*>(base);
    map_bytes_ = map_bytes;
  }
  const char* ReadMapping() const override { return map_base_; }
  uint64_t MappedBytes() const override { return map_bytes_; }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    *result = std::string_view();
    if (fd_ < 0) return Status::IOError(path_, "read after Close");
    size_t done = 0;
    Status s = PreadFully(fd_, path_, offset, n, scratch, &done);
    if (s.ok()) *result = std::string_view(scratch, done);
    return s;
  }

  Status Write(uint64_t offset, std::string_view data) override {
    if (fd_ < 0) return Status::IOError(path_, "write after Close");
    return WriteFully(fd_, path_, data.data(), data.size(), offset);
  }

  Status Sync() override { return SyncFd(fd_, path_); }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s;
    if (::close(fd_) != 0) s = PosixError(path_, errno);
    fd_ = -1;
    return s;
  }

  Status GetSize(uint64_t* size) const override {
    *size = 0;
    if (fd_ < 0) return Status::IOError(path_, "stat after Close");
    struct stat st;
    if (::fstat(fd_, &st) != 0) return PosixError(path_, errno);
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
  const char* map_base_ = nullptr;
  uint64_t map_bytes_ = 0;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) Close();
  }

  Status Append(std::string_view data) override {
    if (buffer_.size() + data.size() <= kBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    Status s = FlushBuffer();
    if (!s.ok()) return s;
    if (data.size() <= kBufferSize) {
      buffer_.append(data);
      return Status::OK();
    }
    return WriteUnbuffered(data.data(), data.size());
  }

  Status Flush() override { return FlushBuffer(); }

  Status Sync() override {
    Status s = FlushBuffer();
    if (!s.ok()) return s;
    return SyncFd(fd_, path_);
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = FlushBuffer();
    if (::close(fd_) != 0 && s.ok()) s = PosixError(path_, errno);
    fd_ = -1;
    return s;
  }

 private:
  static constexpr size_t kBufferSize = 64 << 10;

  Status FlushBuffer() {
    Status s = WriteUnbuffered(buffer_.data(), buffer_.size());
    buffer_.clear();
    return s;
  }

  Status WriteUnbuffered(const char* data, size_t n) {
    return WriteFully(fd_, path_, data, n, kAtFilePosition);
  }

  std::string path_;
  int fd_;
  std::string buffer_;
};

// An append-only log written through a shared memory map, one reserved window at a time
// (LevelDB's former PosixMmapFile, RocksDB's allow_mmap_writes). A store into a MAP_SHARED
// mapping lands in the page cache at once, so an append survives a process crash without a
// write(2) per record, whose ext4 path (journal handle, i_size and mtime updates) costs more
// than the record's copy; fdatasync writes pages dirtied through the map back like written
// ones. Each window is reserved with fallocate before it is mapped, so a full disk is an
// error from fallocate, never a SIGBUS on a store.
class PosixMmapLogFile final : public WritableFile {
 public:
  static constexpr size_t kWindowBytes = 1 << 20;

  PosixMmapLogFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixMmapLogFile() override {
    if (fd_ >= 0) Close();
  }

  // Reserves [offset, offset + kWindowBytes) on disk. EOPNOTSUPP from a file system without
  // fallocate: the caller falls back to write(2).
  static int Reserve(int fd, uint64_t offset) {
    while (true) {
      if (::fallocate(fd, 0, static_cast<off_t>(offset), kWindowBytes) == 0) return 0;
      if (errno != EINTR) return errno;
    }
  }

  // Maps the first window, which the factory has reserved.
  Status MapFirstWindow() { return MapWindowAt(0); }

  Status Append(std::string_view data) override {
    const char* src = data.data();
    size_t n = data.size();
    while (n > 0) {
      if (cursor_ == window_end_) {
        const uint64_t next = window_offset_ + kWindowBytes;
        const int err = Reserve(fd_, next);
        if (err != 0) return PosixError(path_, err);
        Status s = MapWindowAt(next);
        if (!s.ok()) return s;
      }
      const size_t chunk = std::min(n, static_cast<size_t>(window_end_ - cursor_));
      std::memcpy(cursor_, src, chunk);
      cursor_ += chunk;
      src += chunk;
      n -= chunk;
    }
    return Status::OK();
  }

  // Nothing is held in the process: every append is already in the page cache.
  Status Flush() override { return Status::OK(); }

  Status Sync() override { return SyncFd(fd_, path_); }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    const uint64_t length = Length();
    Status s = Unmap();
    // A cleanly closed log ends at its last record, not in reserved zeros.
    if (::ftruncate(fd_, static_cast<off_t>(length)) != 0 && s.ok()) s = PosixError(path_, errno);
    if (::close(fd_) != 0 && s.ok()) s = PosixError(path_, errno);
    fd_ = -1;
    return s;
  }

 private:
  uint64_t Length() const {
    return window_start_ == nullptr ? 0 : window_offset_ + (cursor_ - window_start_);
  }

  Status MapWindowAt(uint64_t offset) {
    Status s = Unmap();
    if (!s.ok()) return s;
    void* base = ::mmap(nullptr, kWindowBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                        static_cast<off_t>(offset));
    if (base == MAP_FAILED) return PosixError(path_, errno);
    window_start_ = static_cast<char*>(base);
    window_end_ = window_start_ + kWindowBytes;
    cursor_ = window_start_;
    window_offset_ = offset;
    return Status::OK();
  }

  // Keeps window_offset_ and the cursor's offset in it, so Length() stays right.
  Status Unmap() {
    if (window_start_ == nullptr) return Status::OK();
    const size_t used = static_cast<size_t>(cursor_ - window_start_);
    const int r = ::munmap(window_start_, kWindowBytes);
    window_offset_ += used;
    window_start_ = window_end_ = cursor_ = nullptr;
    if (r != 0) return PosixError(path_, errno);
    return Status::OK();
  }

  std::string path_;
  int fd_;
  uint64_t window_offset_ = 0;  // file offset of window_start_
  char* window_start_ = nullptr;
  char* window_end_ = nullptr;
  char* cursor_ = nullptr;  // next byte to append
};

// flock() locks belong to the open file description, so a second open in the same process
// would succeed; the set of locked paths catches that case.
std::mutex g_locked_paths_mu;
std::set<std::string> g_locked_paths;

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
    std::lock_guard<std::mutex> l(g_locked_paths_mu);
    g_locked_paths.erase(path_);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixLogger final : public Logger {
 public:
  explicit PosixLogger(std::FILE* f) : file_(f) {}
  ~PosixLogger() override { std::fclose(file_); }

  void Logv(const char* format, va_list ap) override {
    struct timeval now;
    ::gettimeofday(&now, nullptr);
    struct tm t;
    ::localtime_r(&now.tv_sec, &t);
    char line[1024];
    int prefix = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                               t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min,
                               t.tm_sec, static_cast<long>(now.tv_usec));
    va_list copy;
    va_copy(copy, ap);
    int body = std::vsnprintf(line + prefix, sizeof(line) - prefix - 1, format, copy);
    va_end(copy);
    std::string text(line, prefix);
    if (body >= 0 && static_cast<size_t>(body) < sizeof(line) - prefix - 1) {
      text.append(line + prefix, body);
    } else if (body >= 0) {
      std::string big(body + 1, '\0');
      va_copy(copy, ap);
      std::vsnprintf(big.data(), big.size(), format, copy);
      va_end(copy);
      big.resize(body);
      text += big;
    }
    if (text.empty() || text.back() != '\n') text.push_back('\n');
    std::lock_guard<std::mutex> l(mu_);
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_;
};

class PosixEnv final : public Env {
 public:
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    *result = std::make_unique<PosixSequentialFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    *result = std::make_unique<PosixRandomAccessFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomAccessFileMaybeMapped(const std::string& path,
                                        std::unique_ptr<RandomAccessFile>* result) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError(path, errno);
    if (AcquireMmapSlot()) {
      struct stat st;
      void* base = MAP_FAILED;
      // An empty file cannot be mapped (and has nothing to read); it takes the pread path.
      if (::fstat(fd, &st) == 0 && st.st_size > 0) {
        base = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
      }
      if (base != MAP_FAILED) {
        ::close(fd);  // the mapping keeps the file's pages reachable
        *result = std::make_unique<PosixMmapReadableFile>(static_cast<const char*>(base),
                                                          static_cast<size_t>(st.st_size));
        return Status::OK();
      }
      ReleaseMmapSlot();  // out of address space or VMAs: pread still works
    }
    *result = std::make_unique<PosixRandomAccessFile>(path, fd);
    return Status::OK();
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  Status NewLogFileMaybeMapped(const std::string& path,
                               std::unique_ptr<WritableFile>* result) override {
    // O_RDWR: a shared writable mapping needs a descriptor open for reading too.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    const int err = PosixMmapLogFile::Reserve(fd, 0);
    if (err == EOPNOTSUPP) {  // no fallocate here: plain writes
      *result = std::make_unique<PosixWritableFile>(path, fd);
      return Status::OK();
    }
    if (err != 0) {
      ::close(fd);
      return PosixError(path, err);
    }
    auto file = std::make_unique<PosixMmapLogFile>(path, fd);
    Status s = file->MapFirstWindow();
    if (!s.ok()) return s;  // the destructor closes fd
    *result = std::move(file);
    return Status::OK();
  }

  Status NewAppendableFile(const std::string& path,
                           std::unique_ptr<WritableFile>* result) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    *result = std::make_unique<PosixWritableFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomRWFile(const std::string& path, std::unique_ptr<RandomRWFile>* result) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    *result = std::make_unique<PosixRandomRWFile>(path, fd);
    return Status::OK();
  }

  Status NewRandomRWFileMaybeMapped(const std::string& path, uint64_t map_bytes,
                                    std::unique_ptr<RandomRWFile>* result) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    auto file = std::make_unique<PosixRandomRWFile>(path, fd);
    file->TryMapForReading(map_bytes);
    *result = std::move(file);
    return Status::OK();
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    names->clear();
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError(dir, errno);
    while (struct dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      names->emplace_back(e->d_name);
    }
    ::closedir(d);
    return Status::OK();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError(path, errno);
    return Status::OK();
  }

  Status CreateDirIfMissing(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return PosixError(dir, errno);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return PosixError(dir, errno);
    if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(dir, "exists and is not a directory");
    return Status::OK();
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError(dir, errno);
    return Status::OK();
  }

  Status GetFileSize(const std::string& path, uint64_t* size) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      *size = 0;
      return PosixError(path, errno);
    }
    *size = static_cast<uint64_t>(st.st_size);
    return Status::OK();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError(from + " -> " + to, errno);
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return PosixError(dir, errno);
    Status s;
    if (::fsync(fd) != 0) s = PosixError(dir, errno);
    ::close(fd);
    return s;
  }

  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    {
      std::lock_guard<std::mutex> l(g_locked_paths_mu);
      if (!g_locked_paths.insert(path).second) {
        return Status::Busy("lock " + path, "already held by this process");
      }
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      int err = errno;
      std::lock_guard<std::mutex> l(g_locked_paths_mu);
      g_locked_paths.erase(path);
      return PosixError("lock " + path, err);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      ::close(fd);
      std::lock_guard<std::mutex> l(g_locked_paths_mu);
      g_locked_paths.erase(path);
      if (err == EWOULDBLOCK) {
        return Status::Busy("lock " + path, "held by another process (is the DB open elsewhere?)");
      }
      return PosixError("lock " + path, err);
    }
    *lock = std::make_unique<PosixFileLock>(path, fd);
    return Status::OK();
  }

  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override {
    int fd = ::open(path.c_str(), O_APPEND | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError(path, errno);
    std::FILE* f = ::fdopen(fd, "a");
    if (f == nullptr) {
      int err = errno;
      ::close(fd);
      return PosixError(path, err);
    }
    *result = std::make_shared<PosixLogger>(f);
    return Status::OK();
  }

  uint64_t NowMicros() override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }

  void SleepForMicroseconds(uint64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used by background threads at exit
  return env;
}

void Log(Logger* logger, const char* format, ...) {
  if (logger == nullptr) return;
  va_list ap;
  va_start(ap, format);
  logger->Logv(format, ap);
  va_end(ap);
}

int SetPosixMmapLimit(int limit) {
  return g_mmap_limit.exchange(limit < 0 ? 0 : limit, std::memory_order_relaxed);
}

Status WriteStringToFile(Env* env, std::string_view data, const std::string& path, bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (!s.ok()) env->RemoveFile(path);
  return s;
}

Status ReadFileToString(Env* env, const std::string& path, std::string* data) {
  data->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  constexpr size_t kChunk = 8192;
  std::string scratch(kChunk, '\0');
  while (true) {
    std::string_view fragment;
    s = file->Read(kChunk, &fragment, scratch.data());
    if (!s.ok() || fragment.empty()) break;
    data->append(fragment);
  }
  return s;
}

}  // namespace jadedb
