// Restart durability under each sync policy, graceful shutdown, and the on-disk value format
// (expiry survives a restart).
#include <thread>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

class Durability : public ServerFixture, public ::testing::WithParamInterface<const char*> {
 protected:
  std::vector<std::string> Flags() override { return {"--sync", GetParam()}; }

  void WriteKeys(int n) {
    std::string batch;
    for (int i = 0; i < n; i++)
      batch += RespClient::Encode({"SET", "k" + std::to_string(i), "v" + std::to_string(i)});
    ASSERT_TRUE(client_.SendRaw(batch));
    for (int i = 0; i < n; i++) ASSERT_EQ(client_.Read().ToString(), "+OK");
  }
  void CheckKeys(int n) {
    for (int i = 0; i < n; i++) {
      ASSERT_EQ(Q({"GET", "k" + std::to_string(i)}), "$v" + std::to_string(i)) << i;
    }
  }
};

TEST_P(Durability, GracefulRestartKeepsEverything) {
  WriteKeys(500);
  ASSERT_EQ(Q({"SET", "ttl", "v", "EX", "1000"}), "+OK");
  Restart(Flags());
  CheckKeys(500);
  Reply ttl = client_.Cmd({"TTL", "ttl"});
  EXPECT_GT(ttl.integer, 990);
  EXPECT_EQ(Q({"DBSIZE"}), ":501");
}

TEST_P(Durability, KillAfterAcknowledgeKeepsWhatThePolicyPromises) {
  WriteKeys(300);
  // always: durable on acknowledgement. everysec: within a second. never: the WAL is handed
  // to the OS on every write, so a process crash (not a power loss) loses nothing either.
  if (std::string(GetParam()) == "everysec") {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  }
  server_.Kill();
  client_.Close();
  ASSERT_TRUE(server_.Start(dir_.Join("db"), Flags())) << server_.error();
  ASSERT_TRUE(client_.Connect(server_.port()));
  CheckKeys(300);
}

INSTANTIATE_TEST_SUITE_P(SyncPolicies, Durability,
                         ::testing::Values("always", "everysec", "never"));

TEST(DurabilityStandalone, ShutdownFinishesInFlightRequests) {
  jadedb::test::TempDir dir;
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.Join("db"), {"--sync", "always"}));
  RespClient c;
  ASSERT_TRUE(c.Connect(server.port()));
  RespClient idle;
  ASSERT_TRUE(idle.Connect(server.port()));
  std::string batch;
  for (int i = 0; i < 5000; i++) batch += RespClient::Encode({"SET", "k" + std::to_string(i), "v"});
  ASSERT_TRUE(c.SendRaw(batch));
  ASSERT_EQ(c.Read().ToString(), "+OK");  // the server is working on the batch
  ::kill(server.pid(), SIGTERM);
  int acked = 1;
  while (c.Read().ToString() == "+OK") acked++;
  EXPECT_TRUE(idle.WaitClosed(5000));
  EXPECT_EQ(server.Wait(), 0);
  ASSERT_TRUE(server.Start(dir.Join("db"), {"--sync", "always"}));
  ASSERT_TRUE(c.Connect(server.port()));
  for (int i = 0; i < acked; i++)
    ASSERT_EQ(c.Cmd({"GET", "k" + std::to_string(i)}).ToString(), "$v") << i;
}

}  // namespace
}  // namespace jadedb::server::test
