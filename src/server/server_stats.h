// ServerStats: counters the server exports through INFO and GET /metrics: calls and latency
// histograms per command, clients, bytes in and out, keyspace hits/misses, expirations.
//
// Thread-safe: every field is a relaxed atomic (the figures are statistics, not
// synchronization); readers may see a slightly inconsistent mix of counters.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace jadedb::server {

// Upper bounds (microseconds) of the latency histogram buckets; a final +Inf bucket follows.
inline constexpr std::array<uint64_t, 16> kLatencyBucketsUs = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000, 1000000};

// One command's counters in one shard.
struct CommandStats {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> usec{0};
  std::array<std::atomic<uint64_t>, kLatencyBucketsUs.size() + 1> buckets{};

  // `exclusive`: the calling thread is the only one that ever writes these counters.
  void Record(uint64_t us, bool error, bool exclusive) {
    Bump(calls, 1, exclusive);
    Bump(usec, us, exclusive);
    if (error) Bump(errors, 1, exclusive);
    size_t b = 0;
    while (b < kLatencyBucketsUs.size() && us > kLatencyBucketsUs[b]) b++;
    Bump(buckets[b], 1, exclusive);
  }

  // Adds n. A counter with a single writer needs no locked read-modify-write (a plain load and
  // store cannot lose an update when no one else stores; readers still load atomically);
  // that saves a locked instruction per counter on every request.
  static void Bump(std::atomic<uint64_t>& c, uint64_t n, bool exclusive) {
    if (exclusive) {
      c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    } else {
      c.fetch_add(n, std::memory_order_relaxed);
    }
  }
};

// A command's counters summed over the shards.
struct CommandTotals {
  uint64_t calls = 0;
  uint64_t errors = 0;
  uint64_t usec = 0;
  std::array<uint64_t, kLatencyBucketsUs.size() + 1> buckets{};
};

class ServerStats {
 public:
  explicit ServerStats(size_t num_commands) {
    for (Shard& shard : shards_) shard.commands = std::vector<CommandStats>(num_commands);
  }

  // Per-command and per-GET counters are bumped by every request, from every I/O thread. They
  // are sharded by thread (a thread takes a shard when it first records), so two I/O threads
  // do not bounce one cache line between cores on every command, and a thread that has its
  // shard to itself updates it without locked instructions; readers sum the shards.
  void RecordCommand(size_t id, uint64_t us, bool error) {
    const size_t shard = ThreadShard();
    shards_[shard].commands[id].Record(us, error, shard != kSharedShard);
  }
  void AddKeyspaceHit() {
    const size_t shard = ThreadShard();
    CommandStats::Bump(shards_[shard].keyspace_hits, 1, shard != kSharedShard);
  }
  void AddKeyspaceMiss() {
    const size_t shard = ThreadShard();
    CommandStats::Bump(shards_[shard].keyspace_misses, 1, shard != kSharedShard);
  }

  CommandTotals CommandTotal(size_t id) const {
    CommandTotals t;
    for (const Shard& shard : shards_) {
      const CommandStats& cs = shard.commands[id];
      t.calls += cs.calls.load(std::memory_order_relaxed);
      t.errors += cs.errors.load(std::memory_order_relaxed);
      t.usec += cs.usec.load(std::memory_order_relaxed);
      for (size_t b = 0; b < t.buckets.size(); b++) {
        t.buckets[b] += cs.buckets[b].load(std::memory_order_relaxed);
      }
    }
    return t;
  }
  uint64_t total_commands() const {
    return SumCommands([](const CommandStats& cs) { return cs.calls.load(); });
  }
  uint64_t total_errors() const {
    return SumCommands([](const CommandStats& cs) { return cs.errors.load(); });
  }
  uint64_t keyspace_hits() const {
    uint64_t n = 0;
    for (const Shard& shard : shards_) n += shard.keyspace_hits.load(std::memory_order_relaxed);
    return n;
  }
  uint64_t keyspace_misses() const {
    uint64_t n = 0;
    for (const Shard& shard : shards_) n += shard.keyspace_misses.load(std::memory_order_relaxed);
    return n;
  }

  // Bumped once per connection, read or write (not per command): plain shared counters.
  std::atomic<int64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> write_errors{0};

 private:
  // The first kSharedShard threads that record (in the process) get a shard each, which only
  // they write; later threads (tests start many servers) share the last one.
  static constexpr size_t kSharedShard = 8;
  static constexpr size_t kShards = kSharedShard + 1;

  struct alignas(64) Shard {
    std::vector<CommandStats> commands;  // indexed by CommandSpec::id
    std::atomic<uint64_t> keyspace_hits{0};
    std::atomic<uint64_t> keyspace_misses{0};
  };

  static size_t ThreadShard() {
    static std::atomic<size_t> next{0};
    thread_local const size_t shard =
        std::min(next.fetch_add(1, std::memory_order_relaxed), kSharedShard);
    return shard;
  }

  template <typename F>
  uint64_t SumCommands(F f) const {
    uint64_t n = 0;
    for (const Shard& shard : shards_) {
      for (const CommandStats& cs : shard.commands) n += f(cs);
    }
    return n;
  }

  std::array<Shard, kShards> shards_;
};

}  // namespace jadedb::server
