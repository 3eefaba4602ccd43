// /health in the engine's read-only error state: an in-process server on a DB whose WAL
// fsyncs fail (FaultInjectionEnv). The first synced write fails, the engine refuses writes
// from then on, and /health answers 503 with the cause while reads are still served.
#include <gtest/gtest.h>

#include <thread>

#include "server/resp_client.h"
#include "server/server.h"
#include "server/server_process.h"
#include "testutil/test_util.h"
#include "util/fault_injection_env.h"

namespace jadedb::server::test {
namespace {

TEST(Health, ReadOnlyErrorStateAnswers503AndReadsGoOn) {
  jadedb::test::TempDir dir;
  FaultInjectionEnv fenv(Env::Default());
  ServerOptions options;
  options.dir = dir.Join("db");
  options.port = FreePort();
  options.http_port = FreePort();
  options.sync = SyncPolicy::kAlways;
  options.threads = 1;
  options.env = &fenv;
  Server server(options);
  ASSERT_TRUE(server.Open().ok());
  std::thread runner([&] { server.Run(/*handle_signals=*/false); });

  RespClient client;
  ASSERT_TRUE(client.Connect(server.port()));
  EXPECT_EQ(client.Cmd({"SET", "a", "1"}).ToString(), "+OK");
  std::string body;
  EXPECT_EQ(HttpGet(server.http_port(), "/health", &body), 200);

  fenv.FailAlways(FaultOp::kSync, ".log");
  const std::string failed = client.Cmd({"SET", "b", "2"}).ToString();
  EXPECT_EQ(failed.rfind("-", 0), 0u) << failed;  // an error reply, not +OK
  EXPECT_EQ(HttpGet(server.http_port(), "/health", &body), 503);
  EXPECT_NE(body.find("read-only"), std::string::npos) << body;
  // Reads are still served in the error state.
  EXPECT_EQ(client.Cmd({"GET", "a"}).ToString(), "$1");

  client.Close();
  server.RequestShutdown();
  runner.join();
}

}  // namespace
}  // namespace jadedb::server::test
