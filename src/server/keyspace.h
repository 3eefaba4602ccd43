// Keyspace: the server's view of the database: string keys whose values carry the header of
// value_codec.h, expiry applied on every read, per-key write locks, and the sync policy.
//
// WriteContext: the writes of one I/O thread's connections between two commits (CommitGroup).
// Commands read through it (seeing the thread's uncommitted writes) and write into one WriteBatch;
// Commit applies the batch atomically (synced under --sync always), so a pipelined burst of writes
// costs one engine write and, at most, one fsync. Locks on the written keys' stripes are held until
// Commit, so read-modify-write commands (INCR, APPEND, SETNX, ...) are atomic against other
// clients. Deadlock freedom: a context only blocks on a stripe when it holds none (otherwise it
// commits first, or try-locks).
//
// Keyspace is thread-safe. A WriteContext belongs to one I/O thread (not thread-safe).
#pragma once

#include <atomic>
#include <bitset>
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
#include "server/stripe_lock.h"
#include "server/value_codec.h"

namespace jadedb::server {

class Keyspace {
 public:
  static constexpr size_t kStripes = 1024;

  Keyspace(DB* db, SyncPolicy sync, ServerStats* stats);

  DB* db() const { return db_; }
  SyncPolicy sync_policy() const { return sync_; }
  ServerStats* stats() const { return stats_; }

  // Records a WriteContext collects before it commits on its own (the group commit's size).
  // Larger batches amortize the LSM's per-commit cost (WAL write, memtable insertion setup);
  // the B+tree applies a batch as one mini-transaction whose per-record cost grows with the
  // pages it has touched (MiniTxn copies and searches its page list per record), so its
  // batches stay small (measured with redis-benchmark -P 16 -c 50, server CPU per request:
  // B+tree SET 1.5x with 1024-record batches, 1.05x with 32; MSET 0.8x with 32 than with the
  // 160-record batches of one connection's read).
  size_t max_batch_records() const { return max_batch_records_; }

  static size_t StripeOf(std::string_view key);
  StripeLock& stripe(size_t i) { return stripes_[i]; }

  // Makes every write acknowledged so far durable (an empty synced batch: the engine's WAL
  // sync covers all earlier records).
  Status SyncWal();

  // Whether the engine applies range deletions. Probed once, by deleting an empty range (a
  // no-op where supported; NotSupported from engines without them, e.g. the B+tree today).
  bool range_deletes();

  // Removes up to `limit` expired keys found by scanning from the sweep cursor onward (the
  // active-expiry sampler); returns how many keys were examined. Each full pass over the
  // keyspace also counts the live keys and those with a TTL, for KeyEstimate.
  size_t SweepExpired(size_t limit);

  // INFO keyspace's figures without a scan: the counts of the last complete sweep pass (so as
  // old as one pass: keys / (2000 * hz) seconds). False before the first pass completes.
  bool KeyEstimate(int64_t* keys, int64_t* expires) const;
  // A FLUSHDB committed: the estimate is 0 and the next pass starts from the first key. Takes
  // no lock (it runs with every stripe held).
  void OnFlushed();

  // DBSIZE: the exact number of live keys, by one pass over the keys that reads only each
  // value's header (expired keys not yet swept are skipped). O(keys).
  Status CountLiveKeys(int64_t* keys);

 private:
  DB* db_;
  SyncPolicy sync_;
  ServerStats* stats_;
  size_t max_batch_records_;
  StripeLock stripes_[kStripes];
  std::once_flag range_probe_;
  bool range_deletes_ = false;
  std::mutex sweep_mu_;
  std::string sweep_cursor_;           // guarded by sweep_mu_
  int64_t pass_keys_ = 0;              // guarded by sweep_mu_: counts of the pass in progress
  int64_t pass_expires_ = 0;           // guarded by sweep_mu_
  std::atomic<int64_t> est_keys_{-1};  // -1: no pass completed yet
  std::atomic<int64_t> est_expires_{0};
  std::atomic<bool> restart_pass_{false};  // set by OnFlushed
};

// A stored value: its header fields and its payload.
struct StoredValue {
  bool found = false;
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;
  std::string payload;
};

// Told of every WriteContext::Commit (CommitGroup resolves the replies the commit covers).
class CommitListener {
 public:
  virtual void OnCommit(const Status& s) = 0;

 protected:
  ~CommitListener() = default;
};

class WriteContext {
 public:
  explicit WriteContext(Keyspace* ks) : ks_(ks) {}
  ~WriteContext();
  WriteContext(const WriteContext&) = delete;
  WriteContext& operator=(const WriteContext&) = delete;

  Keyspace* keyspace() const { return ks_; }
  // Called after every Commit, including the ones LockKeys and LockAll make.
  void set_listener(CommitListener* l) { listener_ = l; }

  // Locks the stripes of `keys` for writing until Commit. May commit pending writes first
  // (when a stripe is busy), so the caller's earlier replies must already be final; returns
  // that commit's status.
  Status LockKeys(const std::vector<std::string_view>& keys);
  // LockKeys for one key.
  Status LockKey(std::string_view key);
  // Commits pending writes, then locks every stripe (FLUSHDB).
  Status LockAll();

  // Reads a key through the pending writes. Expired values read as absent; a value that is not
  // in the server's format is Corruption.
  // `read` may name a snapshot, so that several reads (MGET) see one state of the DB.
  Status Get(std::string_view key, StoredValue* out, const ReadOptions& read = ReadOptions());
  // Get without copying the payload: on OK, *found says whether the key is live, and then
  // *value views into *raw.
  Status Lookup(std::string_view key, std::string* raw, ValueView* value, bool* found,
                const ReadOptions& read = ReadOptions());
  // Raw encoded read through the pending writes (NotFound when absent).
  Status GetRaw(std::string_view key, std::string* encoded,
                const ReadOptions& read = ReadOptions());

  void Put(std::string_view key, std::string_view payload, int64_t expire_at_ms);
  void Delete(std::string_view key);
  // Deletes every key, stored or pending, in one range deletion (FLUSHDB; every stripe must be
  // locked). NotSupported when the engine has no range deletions: the caller then deletes key
  // by key.
  Status DeleteAll();

  // The pending writes delete every key (FLUSHDB): Commit tells the keyspace when they land.
  void NoteFlushAll() { flushed_all_ = true; }

  bool pending() const { return batch_.Count() > 0; }
  // Keys written (or deleted) but not yet committed.
  std::vector<std::string> PendingKeys();
  size_t pending_bytes() const { return batch_.ApproximateSize(); }
  // Records (puts and deletions) pending.
  size_t pending_count() const { return batch_.Count(); }
  // Counts the reads answered from the pending writes (a value or a deletion not committed
  // yet): a reply built from one must wait for the commit.
  uint64_t overlay_reads() const { return overlay_reads_; }
  // Applies the pending writes as one atomic WriteBatch and releases the locks.
  Status Commit();
  // Counts the stripe acquisitions and commits so far: unchanged across a LockKeys call that
  // found its stripes already held (the dispatcher's latency clock uses it).
  uint64_t lock_events() const { return lock_events_; }

 private:
  void ReleaseLocks();
  // Builds the overlay from the batch on the first read that needs it: a burst of plain SETs
  // never reads, so it pays for no map.
  void EnsureOverlay();

  Keyspace* ks_;
  WriteBatch batch_;
  // Latest pending value per key (nullopt = deleted), for read-your-writes. Mirrors batch_ only
  // while overlay_built_.
  std::unordered_map<std::string, std::optional<std::string>> overlay_;
  bool overlay_built_ = false;
  // The batch deletes every key (DeleteAll): a key not in the overlay reads as absent.
  bool all_deleted_ = false;
  uint64_t lock_events_ = 0;
  uint64_t overlay_reads_ = 0;
  bool flushed_all_ = false;
  std::vector<uint16_t> held_;                 // stripes held, in acquisition order
  std::bitset<Keyspace::kStripes> held_bits_;  // the same set, for O(1) lookups
  CommitListener* listener_ = nullptr;
  bool all_locked_ = false;
};

}  // namespace jadedb::server
