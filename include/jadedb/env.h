// Env: the file-system and clock interface every engine does its I/O through. The default
// (Env::Default()) is POSIX; tests substitute their own (fault injection, power-loss
// simulation) through Options::env.
//
// Every method returns a Status whose message names the path and the errno text on failure.
// Implementations must be safe for concurrent use by several threads; a single file object is
// used by one thread at a time unless stated otherwise.
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/status.h"

namespace jadedb {

// A file read from start to end (logs, manifests).
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into scratch and points *result at what was read (which may be fewer
  // bytes at end of file; empty means end of file).
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets (tables). Read may be called from several threads at once.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset. *result may point into scratch or elsewhere.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;
  // True when every successful Read points *result into memory that stays valid and unchanged
  // for as long as this object lives (a read-only memory map; scratch is not used and may be
  // null): a reader may then keep the views instead of copying them. Default false.
  virtual bool ViewsStable() const { return false; }
};

// A file written sequentially. Append buffers; Flush hands the buffer to the OS; Sync makes
// everything appended so far durable (fdatasync/fsync).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Flush() = 0;
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

// A file read and written at arbitrary offsets (the B+tree engine's page files). Writes go
// straight to the OS (no user-space buffer); Sync makes every write so far durable. Read and
// Write may be called from several threads at once on distinct byte ranges.
class RandomRWFile {
 public:
  virtual ~RandomRWFile() = default;
  // Reads up to n bytes at offset into scratch and points *result at what was read (fewer
  // bytes at end of file; empty past it).
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const = 0;
  // Writes data at offset, extending the file when it ends before offset + data.size().
  virtual Status Write(uint64_t offset, std::string_view data) = 0;
  // Makes every write so far durable (fdatasync).
  virtual Status Sync() = 0;
  // Releases the descriptor; later calls fail. The destructor closes too.
  virtual Status Close() = 0;
  // The file's current size in bytes.
  virtual Status GetSize(uint64_t* size) const = 0;
  // Base of a read-only shared memory map of the file's first MappedBytes() bytes, when the
  // file was opened with Env::NewRandomRWFileMaybeMapped and mapped; null otherwise. The map
  // shows every Write as soon as it returns (one page cache). Only bytes below the file's
  // current size may be touched: the rest of the map raises SIGBUS.
  virtual const char* ReadMapping() const { return nullptr; }
  virtual uint64_t MappedBytes() const { return 0; }
};

// Held while a DB directory is open; released when destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// Receives the informational log of an engine (the LOG file of a DB by default).
class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Logv(const char* format, va_list ap) = 0;
};

// printf-style logging to `logger`; does nothing when logger is null.
void Log(Logger* logger, const char* format, ...) __attribute__((format(printf, 2, 3)));

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide POSIX environment. Never deleted.
  static Env* Default();

  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* result) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* result) = 0;
  // Like NewRandomAccessFile, for a file that nobody writes, truncates or extends while it is
  // open (a table): the Env may memory-map it read-only, and then the file's ViewsStable() is
  // true. The POSIX Env maps up to a process-wide number of files (SetPosixMmapLimit) and
  // opens the rest for pread. The default calls NewRandomAccessFile, so an Env that wraps
  // files (fault injection, test gates) still sees every read; EnvWrapper does not forward
  // this call for the same reason (an EnvWrapper's files are never mapped).
  virtual Status NewRandomAccessFileMaybeMapped(const std::string& path,
                                                std::unique_ptr<RandomAccessFile>* result) {
    return NewRandomAccessFile(path, result);
  }
  // Creates (or truncates) path for writing.
  virtual Status NewWritableFile(const std::string& path,
                                 std::unique_ptr<WritableFile>* result) = 0;
  // Like NewWritableFile, for a log whose reader skips zero-filled space (the LSM's WAL): the
  // Env may reserve the file in chunks and write it through a shared memory map, so that an
  // append is a copy into the page cache instead of a system call. Either way an append
  // survives a process crash once Flush returns and a power loss once Sync returns; after a
  // crash a mapped log may end in zeros up to its reserved size, and Close trims it to what
  // was appended. The default calls NewWritableFile, and EnvWrapper does not forward this
  // call, so an Env that wraps files (fault injection) still sees every append.
  virtual Status NewLogFileMaybeMapped(const std::string& path,
                                       std::unique_ptr<WritableFile>* result) {
    return NewWritableFile(path, result);
  }
  // Opens path for appending, creating it when absent.
  virtual Status NewAppendableFile(const std::string& path,
                                   std::unique_ptr<WritableFile>* result) = 0;
  // Opens path for reading and writing at any offset, creating it (empty) when absent; an
  // existing file keeps its contents. A newly created file's name is durable only after
  // SyncDir of its directory.
  virtual Status NewRandomRWFile(const std::string& path,
                                 std::unique_ptr<RandomRWFile>* result) = 0;
  // Like NewRandomRWFile, and the Env may also map the file's first map_bytes bytes read-only
  // (RandomRWFile::ReadMapping), so a reader can look at a page without a system call or a
  // copy (the B+tree engine's leaf lookups). The POSIX Env maps while the process-wide cap of
  // SetPosixMmapLimit allows. The default calls NewRandomRWFile (no map), and EnvWrapper does
  // not forward this call, so an Env that wraps files (fault injection) still sees every read.
  virtual Status NewRandomRWFileMaybeMapped(const std::string& path, uint64_t map_bytes,
                                            std::unique_ptr<RandomRWFile>* result) {
    (void)map_bytes;
    return NewRandomRWFile(path, result);
  }

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries in dir, without "." and "..".
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDirIfMissing(const std::string& dir) = 0;
  virtual Status RemoveDir(const std::string& dir) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Makes the directory's entries (creations, renames, deletions) durable.
  virtual Status SyncDir(const std::string& dir) = 0;

  // Takes an exclusive advisory lock (flock) on path, creating the file when absent. Busy,
  // naming the lock file, if another process (or this one) holds it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;

  // Creates a logger that appends to path.
  virtual Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) = 0;

  virtual uint64_t NowMicros() = 0;
  virtual void SleepForMicroseconds(uint64_t micros) = 0;
};

// EnvWrapper: an Env that forwards every call to another Env (not owned). Derive from it to
// change a few calls (fault injection, test gates) without restating the rest.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override {
    return target_->NewSequentialFile(path, result);
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override {
    return target_->NewRandomAccessFile(path, result);
  }
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override {
    return target_->NewWritableFile(path, result);
  }
  Status NewAppendableFile(const std::string& path,
                           std::unique_ptr<WritableFile>* result) override {
    return target_->NewAppendableFile(path, result);
  }
  Status NewRandomRWFile(const std::string& path, std::unique_ptr<RandomRWFile>* result) override {
    return target_->NewRandomRWFile(path, result);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return target_->GetChildren(dir, names);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status CreateDirIfMissing(const std::string& dir) override {
    return target_->CreateDirIfMissing(dir);
  }
  Status RemoveDir(const std::string& dir) override { return target_->RemoveDir(dir); }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return target_->GetFileSize(path, size);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFile(path, lock);
  }
  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override {
    return target_->NewLogger(path, result);
  }
  uint64_t NowMicros() override { return target_->NowMicros(); }
  void SleepForMicroseconds(uint64_t micros) override { target_->SleepForMicroseconds(micros); }

 private:
  Env* const target_;
};

// Caps how many files Env::Default() keeps memory-mapped at once through
// NewRandomAccessFileMaybeMapped (default 1000 on 64-bit hosts, as LevelDB; 0 elsewhere, where
// address space is scarce); files opened past the cap are read with pread. 0 turns mapping
// off. Returns the previous cap. Files already mapped stay mapped.
int SetPosixMmapLimit(int limit);

// Helpers built on Env.
Status WriteStringToFile(Env* env, std::string_view data, const std::string& path, bool sync);
Status ReadFileToString(Env* env, const std::string& path, std::string* data);

}  // namespace jadedb
