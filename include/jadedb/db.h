// DB: an embedded, persistent, ordered key-value store. Open one with DB::Open; destroy it
// (unique_ptr reset) to close it cleanly.
//
// Keys and values are arbitrary bytes, ordered bytewise. Thread safety: a DB may be used by
// many threads at once without external locking. Writes are atomic per call (a WriteBatch is
// all-or-nothing), and durable per WriteOptions::sync.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "jadedb/iterator.h"
#include "jadedb/options.h"
#include "jadedb/status.h"
#include "jadedb/write_batch.h"

namespace jadedb {

// Limits enforced for every engine; larger keys or values are InvalidArgument.
inline constexpr size_t kMaxKeySize = 64 << 10;    // 64 KiB
inline constexpr size_t kMaxValueSize = 1 << 30;   // 1 GiB

// A consistent, read-only view of the DB at one moment. Obtain with GetSnapshot, release with
// ReleaseSnapshot.
class Snapshot {
 protected:
  virtual ~Snapshot() = default;
};

class DB {
 public:
  // Opens the DB in directory `path` (creating it per options). On success *db holds it. The
  // directory is locked for the life of the DB: a second open, from this process or another,
  // fails with Busy naming the lock file.
  static Status Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  virtual ~DB() = default;

  virtual Status Put(const WriteOptions& options, std::string_view key,
                     std::string_view value) = 0;
  // Removing an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically.
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;

  // OK and *value set when found; NotFound when absent.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;

  // An iterator over the DB; initially not Valid (call a Seek method first).
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A view that later writes do not change; NotSupported on an engine without snapshots.
  virtual Status GetSnapshot(const Snapshot** snapshot) = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Engine statistics by name, e.g. "jadedb.stats", "jadedb.num-files-at-level0". False when
  // the name is unknown.
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // Writes the in-memory buffer to durable storage structures.
  virtual Status Flush(const FlushOptions& options) = 0;
  // Compacts the key range [begin, end] (null means unbounded) fully.
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;

  // Reads every file of the DB and verifies every checksum; the report lists what was
  // checked. Corruption (naming file and offset) on the first damage found.
  virtual Status VerifyChecksums(std::string* report) = 0;

  // The engine this DB runs on.
  virtual EngineType engine() const = 0;
};

// Removes a DB's files and its directory. The DB must not be open.
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace jadedb
