// ServerStats: counters the server exports through INFO and GET /metrics: calls and latency
// histograms per command, clients, bytes in and out, keyspace hits/misses, expirations.
//
// Thread-safe: every field is a relaxed atomic (the figures are statistics, not
// synchronization); readers may see a slightly inconsistent mix of counters.
#pragma once

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

  void Record(uint64_t us, bool error) {
    calls.fetch_add(1, std::memory_order_relaxed);
    usec.fetch_add(us, std::memory_order_relaxed);
    if (error) errors.fetch_add(1, std::memory_order_relaxed);
    size_t b = 0;
    while (b < kLatencyBucketsUs.size() && us > kLatencyBucketsUs[b]) b++;
    buckets[b].fetch_add(1, std::memory_order_relaxed);
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
  // are sharded by thread (each thread takes a shard round-robin when it first records), so
  // two I/O threads do not bounce one cache line between cores on every command; readers sum
  // the shards.
  void RecordCommand(size_t id, uint64_t us, bool error) {
    MyShard().commands[id].Record(us, error);
  }
  void AddKeyspaceHit() { MyShard().keyspace_hits.fetch_add(1, std::memory_order_relaxed); }
  void AddKeyspaceMiss() { MyShard().keyspace_misses.fetch_add(1, std::memory_order_relaxed); }

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
  static constexpr size_t kShards = 8;

  struct alignas(64) Shard {
    std::vector<CommandStats> commands;  // indexed by CommandSpec::id
    std::atomic<uint64_t> keyspace_hits{0};
    std::atomic<uint64_t> keyspace_misses{0};
  };

  static size_t ThreadShard() {
    static std::atomic<size_t> next{0};
    thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shard;
  }
  Shard& MyShard() { return shards_[ThreadShard()]; }

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
