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
#include <utility>
#include <vector>

#include "jadedb/iterator.h"
#include "jadedb/options.h"
#include "jadedb/status.h"
#include "jadedb/write_batch.h"

namespace jadedb {

// Limits enforced for every engine; larger keys or values are InvalidArgument.
inline constexpr size_t kMaxKeySize = 64 << 10;   // 64 KiB
inline constexpr size_t kMaxValueSize = 1 << 30;  // 1 GiB

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

  virtual Status Put(const WriteOptions& options, std::string_view key, std::string_view value) = 0;
  // Removing an absent key is not an error.
  virtual Status Delete(const WriteOptions& options, std::string_view key) = 0;
  // Applies the batch atomically.
  virtual Status Write(const WriteOptions& options, WriteBatch* updates) = 0;

  // Deletes every key in [begin, end) (begin inclusive, end exclusive); nothing when
  // begin >= end. Atomic, durable per options like Write. The default returns NotSupported
  // (an engine without range deletions); the LSM engine implements it with range tombstones.
  virtual Status DeleteRange(const WriteOptions& options, std::string_view begin,
                             std::string_view end);

  // OK and *value set when found; NotFound when absent.
  virtual Status Get(const ReadOptions& options, std::string_view key, std::string* value) = 0;

  // Looks up every key at one consistent point (the snapshot's, or one moment when none is
  // given). Returns one Status per key (OK or NotFound, or an error) and resizes *values to
  // keys.size(); (*values)[i] holds the value when the i-th status is OK. The default loops
  // over Get (and so, without a snapshot, may see writes made between the lookups); engines
  // override it with a batched lookup.
  virtual std::vector<Status> MultiGet(const ReadOptions& options,
                                       const std::vector<std::string_view>& keys,
                                       std::vector<std::string>* values);

  // An iterator over the DB; initially not Valid (call a Seek method first).
  virtual std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) = 0;

  // A view that later writes do not change; NotSupported on an engine without snapshots.
  virtual Status GetSnapshot(const Snapshot** snapshot) = 0;
  virtual void ReleaseSnapshot(const Snapshot* snapshot) = 0;

  // Engine statistics by name, e.g. "jadedb.stats", "jadedb.num-files-at-level0". False when
  // the name is unknown.
  virtual bool GetProperty(std::string_view name, std::string* value) = 0;

  // For each user-key range [first, second) of `ranges`, the approximate bytes of storage its
  // data uses (in table files; recent writes still only in memory are not counted). This is
  // the API behind "approximate size": a property name could not carry two binary keys
  // cleanly. *sizes is resized to ranges.size(). The default returns NotSupported.
  virtual Status GetApproximateSizes(const std::vector<std::pair<std::string, std::string>>& ranges,
                                     std::vector<uint64_t>* sizes);

  // Writes the in-memory buffer to durable storage structures.
  virtual Status Flush(const FlushOptions& options) = 0;
  // Compacts the key range [begin, end] (null means unbounded) fully.
  virtual Status CompactRange(const std::string_view* begin, const std::string_view* end) = 0;
  // Runs one value-log garbage collection: rewrites the live values of the sealed segment
  // with the most garbage (if it reaches value_log_gc_garbage_ratio) and deletes segments no
  // reader can reach any more. NotSupported by engines without a value log.
  virtual Status CompactValueLog() { return Status::NotSupported("CompactValueLog"); }

  // Reads every file of the DB and verifies every checksum; the report lists what was
  // checked. Corruption (naming file and offset) on the first damage found.
  virtual Status VerifyChecksums(std::string* report) = 0;

  // The engine this DB runs on.
  virtual EngineType engine() const = 0;
};

// Defaults of the optional methods, inline so an engine deriving from DB needs no extra link
// dependency.
inline Status DB::DeleteRange(const WriteOptions& /*options*/, std::string_view /*begin*/,
                              std::string_view /*end*/) {
  return Status::NotSupported("DeleteRange", "this engine does not support range deletions");
}

inline std::vector<Status> DB::MultiGet(const ReadOptions& options,
                                        const std::vector<std::string_view>& keys,
                                        std::vector<std::string>* values) {
  std::vector<Status> statuses;
  statuses.reserve(keys.size());
  values->assign(keys.size(), std::string());
  for (size_t i = 0; i < keys.size(); i++) statuses.push_back(Get(options, keys[i], &(*values)[i]));
  return statuses;
}

inline Status DB::GetApproximateSizes(
    const std::vector<std::pair<std::string, std::string>>& /*ranges*/,
    std::vector<uint64_t>* /*sizes*/) {
  return Status::NotSupported("GetApproximateSizes", "not implemented by this engine");
}

// The engine the DB at path was created with (from its ENGINE marker), so a tool can open a
// DB without being told its engine. NotFound when path holds no DB; Corruption when the marker
// is damaged. env null means Env::Default().
Status ReadEngineType(const std::string& path, EngineType* engine, Env* env = nullptr);

// Removes a DB's files and its directory. The DB must not be open.
Status DestroyDB(const std::string& path, const Options& options);

}  // namespace jadedb
