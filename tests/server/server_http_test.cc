// GET /metrics (Prometheus text) and GET /health over the real binary.
#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

using Http = ServerFixture;

TEST_F(Http, MetricsAndHealth) {
  ASSERT_EQ(Q({"SET", "a", "1"}), "+OK");
  ASSERT_EQ(Q({"GET", "a"}), "$1");
  ASSERT_EQ(Q({"GET", "b"}), "(nil)");
  std::string body;
  ASSERT_EQ(HttpGet(server_.http_port(), "/health", &body), 200);
  EXPECT_EQ(body, "OK\n");
  ASSERT_EQ(HttpGet(server_.http_port(), "/metrics", &body), 200);
  for (const char* s :
       {"# TYPE jadedb_commands_total counter", "jadedb_commands_total{cmd=\"get\"} 2",
        "jadedb_commands_total{cmd=\"set\"} 1", "# TYPE jadedb_command_duration_seconds histogram",
        "jadedb_command_duration_seconds_bucket{cmd=\"get\",le=\"+Inf\"} 2",
        "jadedb_command_duration_seconds_count{cmd=\"get\"} 2", "jadedb_connected_clients 1",
        "jadedb_net_input_bytes_total ", "jadedb_net_output_bytes_total ",
        "jadedb_keyspace_hits_total 1", "jadedb_keyspace_misses_total 1", "jadedb_healthy 1",
        "jadedb_engine_wal_syncs ", "jadedb_engine_memtables_immutable ",
        "jadedb_engine_block_cache_hits ", "jadedb_engine_stall_seconds ",
        "jadedb_engine_flushes "}) {
    EXPECT_NE(body.find(s), std::string::npos) << s;
  }
  // Each metric has exactly one TYPE line.
  size_t types = 0;
  for (size_t p = body.find("# TYPE jadedb_engine_level_files"); p != std::string::npos;
       p = body.find("# TYPE jadedb_engine_level_files", p + 1)) {
    types++;
  }
  EXPECT_LE(types, 1u);
  EXPECT_EQ(HttpGet(server_.http_port(), "/nope", &body), 404);
}

}  // namespace
}  // namespace jadedb::server::test
