#include "server/http/engine_stats.h"

#include <gtest/gtest.h>

#include <map>

namespace jadedb::server {
namespace {

TEST(EngineStatsTest, ParsesTheLsmReport) {
  const char* report =
      "Level  Files   Size(MiB)  Score  Time(s)  Read(MiB)  Write(MiB)  Jobs\n"
      "-----  -----  ----------  -----  -------  ---------  ----------  ----\n"
      "    0      3        1.50   0.75     0.10       0.00        1.50     2\n"
      "    1      2        4.00   0.02     0.20       5.00        4.00     1\n"
      "user bytes written (WAL): 10.00 MiB; flushed: 2.00 MiB in 5 flushes; compaction read "
      "5.00 MiB, written 4.00 MiB\n"
      "write amplification: 1.60\n"
      "WAL synced writes: 17\n"
      "stalls: 0.250 s (3 slowdowns, 1 stops)\n"
      "memtables: active 1.00 MiB, 2 immutable\n"
      "block cache: 0.50 / 32.00 MiB, 90 hits, 10 misses, hit rate 90.0%\n"
      "snapshots: 0; last sequence: 1234\n";
  std::map<std::string, double> m;
  for (const EngineMetric& e : ParseEngineStats(report)) m[e.name + e.label] = e.value;
  EXPECT_EQ(m["level_files"
              "level=\"0\""],
            3);
  EXPECT_EQ(m["level_files"
              "level=\"1\""],
            2);
  EXPECT_EQ(m["level_bytes"
              "level=\"1\""],
            4.0 * 1048576);
  EXPECT_EQ(m["flushes"], 5);
  EXPECT_EQ(m["wal_syncs"], 17);
  EXPECT_EQ(m["stall_seconds"], 0.25);
  EXPECT_EQ(m["stall_slowdowns"], 3);
  EXPECT_EQ(m["stall_stops"], 1);
  EXPECT_EQ(m["memtables_immutable"], 2);
  EXPECT_EQ(m["block_cache_hits"], 90);
  EXPECT_EQ(m["block_cache_misses"], 10);
  EXPECT_EQ(m["last_sequence"], 1234);
}

TEST(EngineStatsTest, ParsesNameValueLines) {
  std::map<std::string, double> m;
  for (const EngineMetric& e :
       ParseEngineStats("bplustree.pages: 12\nahi.hit-rate: 0.5000\nengine: bplustree\n")) {
    m[e.name] = e.value;
  }
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m["bplustree_pages"], 12);
  EXPECT_EQ(m["ahi_hit_rate"], 0.5);
}

TEST(EngineStatsTest, UnknownTextYieldsNothing) {
  EXPECT_TRUE(ParseEngineStats("something else\n\n").empty());
  EXPECT_TRUE(ParseEngineStats("").empty());
}

}  // namespace
}  // namespace jadedb::server
