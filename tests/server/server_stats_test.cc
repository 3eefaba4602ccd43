#include "server/server_stats.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace jadedb::server {
namespace {

TEST(ServerStatsTest, CountsFromManyThreadsAreExact) {
  // More threads than exclusive shards: the first ones write their own shard without locked
  // instructions, the rest share one with atomic adds. No update may be lost either way.
  ServerStats stats(2);
  constexpr int kThreads = 12;
  constexpr int kPerThread = 1000000;
  std::atomic<bool> go{false};  // start together, so the shared shard is contended
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&stats, &go, t] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerThread; i++) {
        stats.RecordCommand(t % 2, /*us=*/i % 7, /*error=*/i % 5 == 0);
        if (i % 3 == 0) {
          stats.AddKeyspaceHit();
        } else {
          stats.AddKeyspaceMiss();
        }
      }
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  uint64_t calls = 0, errors = 0, usec = 0, bucketed = 0;
  for (size_t id = 0; id < 2; id++) {
    const CommandTotals c = stats.CommandTotal(id);
    calls += c.calls;
    errors += c.errors;
    usec += c.usec;
    for (uint64_t b : c.buckets) bucketed += b;
  }
  uint64_t want_usec = 0;
  for (int i = 0; i < kPerThread; i++) want_usec += i % 7;
  EXPECT_EQ(calls, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(bucketed, calls);
  EXPECT_EQ(errors, uint64_t{kThreads} * (kPerThread / 5));
  EXPECT_EQ(usec, uint64_t{kThreads} * want_usec);
  EXPECT_EQ(stats.total_commands(), calls);
  EXPECT_EQ(stats.keyspace_hits() + stats.keyspace_misses(), calls);
  EXPECT_EQ(stats.keyspace_hits(), uint64_t{kThreads} * ((kPerThread + 2) / 3));
}

}  // namespace
}  // namespace jadedb::server
