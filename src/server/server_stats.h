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

struct ServerStats {
  explicit ServerStats(size_t num_commands) : commands(num_commands) {}

  std::vector<CommandStats> commands;  // indexed by CommandSpec::id
  std::atomic<int64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> total_commands{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> batches_committed{0};
  std::atomic<uint64_t> syncs{0};
  std::atomic<uint64_t> write_errors{0};
};

}  // namespace jadedb::server
