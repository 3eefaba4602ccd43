// Adapter: the small interface jadedb-bench drives every engine through (JadeDB's engines and
// the peers RocksDB, LevelDB, LMDB, WiredTiger, SQLite), so each workload is written once.
//
// Thread safety: after Open, Put/Get/Delete/WriteBatch/NewCursor may be called from several
// threads at once (readwhilewriting does); a Cursor is used by the thread that made it. Open,
// Close and Settings are called from one thread with no other call in flight.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "jadedb/status.h"

namespace jadedb::bench {

// What every adapter is configured with, so all engines get the same budget.
struct BenchSettings {
  // Bytes of cache for data (block cache, WiredTiger cache, SQLite page cache).
  size_t cache_bytes = 64 << 20;
  // "none", "snappy", "lz4" or "zstd"; an engine without that codec reports NotSupported.
  std::string compression = "none";
  // JadeDB lsm only: LsmOptions::value_threshold (values of at least this many bytes go to
  // the value log; 0 keeps every value in the tree). Unset: the engine's default (4096).
  std::optional<size_t> value_threshold;
};

// An ordered cursor; Seek positions at the first key >= target ("" means the first key).
class Cursor {
 public:
  virtual ~Cursor() = default;
  virtual void Seek(std::string_view target) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
};

using KeyValue = std::pair<std::string, std::string>;

class Adapter {
 public:
  virtual ~Adapter() = default;

  // Opens (creating when missing) the DB in directory `dir`. NotSupported when the engine
  // cannot run here (e.g. an engine or codec not built yet): the bench skips it.
  virtual Status Open(const std::string& dir, const BenchSettings& settings) = 0;
  // sync=true: the write is on stable storage when the call returns (survives power loss);
  // sync=false: it survives a crash of the process (see Settings() for each engine's detail).
  virtual Status Put(std::string_view key, std::string_view value, bool sync) = 0;
  // OK and *value set when found; NotFound when absent.
  virtual Status Get(std::string_view key, std::string* value) = 0;
  virtual Status Delete(std::string_view key, bool sync) = 0;
  // Applies all puts atomically.
  virtual Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) = 0;
  virtual std::unique_ptr<Cursor> NewCursor() = 0;
  // Closes the DB cleanly (flushing what the engine flushes on close).
  virtual Status Close() = 0;
  // One line describing how the engine is configured (cache, compression, durability).
  virtual std::string Settings() const = 0;
  // The engine's current shape where it reports one (JadeDB's LSM: files per level), noted
  // at the start of each workload: read speed after writes depends on compaction debt.
  virtual std::string Shape() { return ""; }
};

// Bytes allocated on disk to all regular files under `dir`, recursively (st_blocks * 512, as
// du reports): sparse or merely truncated-to-size files count only what they use.
uint64_t DbBytes(const std::string& dir);

// Engines the bench knows, in the order they run.
std::vector<std::string> AllEngineNames();
// A fresh adapter for `name`; null when the engine is unknown or was not built (the reason,
// e.g. "library not found at build time", goes to *why).
std::unique_ptr<Adapter> NewAdapter(const std::string& name, std::string* why);

// One T per calling thread, for engines whose handles must not be shared between threads
// (WiredTiger sessions, SQLite connections). Lookup takes a mutex: uncontended, tens of ns.
template <typename T>
class PerThread {
 public:
  template <typename MakeFn>
  T* Get(MakeFn make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = map_[std::this_thread::get_id()];
    if (!slot) slot = make();
    return slot.get();
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::thread::id, std::unique_ptr<T>> map_;
};

}  // namespace jadedb::bench
