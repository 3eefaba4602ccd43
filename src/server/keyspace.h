// Keyspace: the server's view of the database: string keys whose values carry the header of
// value_codec.h, expiry applied on every read, per-key write locks, and the sync policy.
//
// WriteContext: the writes of one connection between two commits. Commands read through it
// (seeing their own uncommitted writes) and write into one WriteBatch; Commit applies the batch
// atomically (synced under --sync always), so a pipelined burst of writes costs one engine
// write and, at most, one fsync. Locks on the written keys' stripes are held until Commit, so
// read-modify-write commands (INCR, APPEND, SETNX, ...) are atomic against other clients.
// Deadlock freedom: a context only blocks on a stripe when it holds none (otherwise it commits
// first, or try-locks).
//
// Keyspace is thread-safe. A WriteContext belongs to one connection (not thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "jadedb/db.h"
#include "server/server_options.h"
#include "server/server_stats.h"
#include "server/value_codec.h"

namespace jadedb::server {

class Keyspace {
 public:
  static constexpr size_t kStripes = 1024;

  Keyspace(DB* db, SyncPolicy sync, ServerStats* stats) : db_(db), sync_(sync), stats_(stats) {}

  DB* db() const { return db_; }
  SyncPolicy sync_policy() const { return sync_; }
  ServerStats* stats() const { return stats_; }

  static size_t StripeOf(std::string_view key);
  std::mutex& stripe(size_t i) { return stripes_[i]; }

  // Makes every write acknowledged so far durable (an empty synced batch: the engine's WAL
  // sync covers all earlier records).
  Status SyncWal();

  // Removes up to `limit` expired keys found by scanning from the sweep cursor onward (the
  // active-expiry sampler); returns how many keys were examined.
  size_t SweepExpired(size_t limit);

 private:
  DB* db_;
  SyncPolicy sync_;
  ServerStats* stats_;
  std::mutex stripes_[kStripes];
  std::mutex sweep_mu_;
  std::string sweep_cursor_;
};

// A stored value: its header fields and its payload.
struct StoredValue {
  bool found = false;
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;
  std::string payload;
};

class WriteContext {
 public:
  explicit WriteContext(Keyspace* ks) : ks_(ks) {}
  ~WriteContext();
  WriteContext(const WriteContext&) = delete;
  WriteContext& operator=(const WriteContext&) = delete;

  Keyspace* keyspace() const { return ks_; }

  // Locks the stripes of `keys` for writing until Commit. May commit pending writes first
  // (when a stripe is busy), so the caller's earlier replies must already be final; returns
  // that commit's status.
  Status LockKeys(const std::vector<std::string_view>& keys);
  // Commits pending writes, then locks every stripe (FLUSHDB).
  Status LockAll();

  // Reads a key through the pending writes. Expired values read as absent; a value that is not
  // in the server's format is Corruption.
  // `read` may name a snapshot, so that several reads (MGET) see one state of the DB.
  Status Get(std::string_view key, StoredValue* out, const ReadOptions& read = ReadOptions());
  // Raw encoded read through the pending writes (NotFound when absent).
  Status GetRaw(std::string_view key, std::string* encoded,
                const ReadOptions& read = ReadOptions());

  void Put(std::string_view key, std::string_view payload, int64_t expire_at_ms);
  void Delete(std::string_view key);

  bool pending() const { return batch_.Count() > 0; }
  // Keys written (or deleted) but not yet committed.
  std::vector<std::string> PendingKeys() const;
  size_t pending_bytes() const { return batch_.ApproximateSize(); }
  // Applies the pending writes as one atomic WriteBatch and releases the locks.
  Status Commit();

 private:
  void ReleaseLocks();

  Keyspace* ks_;
  WriteBatch batch_;
  // Latest pending value per key (nullopt = deleted), for read-your-writes.
  std::unordered_map<std::string, std::optional<std::string>> overlay_;
  std::vector<uint16_t> held_;  // stripes held, sorted
  bool all_locked_ = false;
};

}  // namespace jadedb::server
