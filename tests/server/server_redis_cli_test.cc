// The stock redis-cli against jadedb-server: the "redis-cli -p 6380 set a 1 / get a".
#include <unistd.h>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

class RedisCli : public ServerFixture {
 protected:
  void SetUp() override {
    if (::access("/usr/bin/redis-cli", X_OK) != 0) GTEST_SKIP() << "redis-cli not installed";
    ServerFixture::SetUp();
  }
  std::string Cli(const std::string& args) {
    return RunCommand("/usr/bin/redis-cli -p " + std::to_string(server_.port()) + " " + args +
                      " 2>&1");
  }
};

TEST_F(RedisCli, SetGetAndFriends) {
  EXPECT_EQ(Cli("set a 1"), "OK");
  EXPECT_EQ(Cli("get a"), "1");
  EXPECT_EQ(Cli("incr a"), "2");
  EXPECT_EQ(Cli("get nope"), "");
  EXPECT_EQ(Cli("mset x 1 y 2"), "OK");
  EXPECT_EQ(Cli("mget x y"), "1\n2");
  EXPECT_EQ(Cli("--scan --pattern 'x*'"), "x");
  EXPECT_EQ(Cli("dbsize"), "3");
  EXPECT_EQ(Cli("-3 get nope"), "");
  EXPECT_NE(Cli("info server").find("redis_version:"), std::string::npos);
  EXPECT_EQ(Cli("nosuchcommand"),
            "ERR unknown command 'nosuchcommand', with args beginning with: ");
  EXPECT_EQ(Cli("ping"), "PONG");
}

TEST_F(RedisCli, PipeMode) {
  std::string cmds;
  for (int i = 0; i < 100; i++)
    cmds += "SET p" + std::to_string(i) + " " + std::to_string(i) + "\n";
  const std::string out = RunCommand("printf '" + cmds + "' | /usr/bin/redis-cli -p " +
                                     std::to_string(server_.port()) + " --pipe 2>&1");
  EXPECT_NE(out.find("errors: 0, replies: 100"), std::string::npos) << out;
  EXPECT_EQ(Cli("get p99"), "99");
}

}  // namespace
}  // namespace jadedb::server::test
