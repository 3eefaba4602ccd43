// Malformed requests, limits, authentication and slow clients: errors where the protocol
// allows, the connection closed when framing is lost, everyone else unaffected.
#include <thread>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

class BadInput : public ServerFixture {
 protected:
  std::vector<std::string> Flags() override {
    return {"--sync", "never", "--proto-max-bulk-len", "1000", "--max-args", "16"};
  }

  // Sends raw bytes on a fresh connection and returns the first reply; expects a close after.
  std::string SendGarbage(const std::string& bytes) {
    RespClient c;
    EXPECT_TRUE(c.Connect(server_.port()));
    c.SendRaw(bytes);
    std::string r = c.Read().ToString();
    EXPECT_TRUE(c.WaitClosed()) << "connection should close after: " << r;
    return r;
  }
};

TEST_F(BadInput, ProtocolErrorsCloseTheConnection) {
  EXPECT_EQ(SendGarbage("*1\r\n$2000\r\n"), "-ERR Protocol error: invalid bulk length");
  EXPECT_EQ(SendGarbage("*17\r\n"), "-ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(SendGarbage("*x\r\n"), "-ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(SendGarbage("*1\r\n+foo\r\n"), "-ERR Protocol error: expected '$', got '+'");
  EXPECT_EQ(SendGarbage("set \"a\r\n"), "-ERR Protocol error: unbalanced quotes in request");
  EXPECT_EQ(SendGarbage(std::string(70000, 'x')), "-ERR Protocol error: too big inline request");
  // Requests before the garbage are answered first.
  RespClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  c.SendRaw(RespClient::Encode({"SET", "a", "1"}) + "*1\r\n$x\r\n");
  EXPECT_EQ(c.Read().ToString(), "+OK");
  EXPECT_EQ(c.Read().ToString(), "-ERR Protocol error: invalid bulk length");
  EXPECT_TRUE(c.WaitClosed());
  // The server carries on.
  EXPECT_EQ(Q({"GET", "a"}), "$1");
}

TEST_F(BadInput, RandomGarbageNeverHurtsTheServer) {
  Random rnd(42);
  for (int i = 0; i < 30; i++) {
    RespClient c;
    ASSERT_TRUE(c.Connect(server_.port()));
    std::string junk;
    const size_t len = 1 + rnd.Uniform(3000);
    for (size_t j = 0; j < len; j++) junk.push_back(static_cast<char>(rnd.Uniform(256)));
    c.SendRaw(junk);
    c.Close();
  }
  EXPECT_EQ(Q({"PING"}), "+PONG");
  EXPECT_EQ(Q({"SET", "x", "y"}), "+OK");
}

TEST_F(BadInput, InlineCommandsWork) {
  RespClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  c.SendRaw("SET inl \"hello world\"\r\nGET inl\r\n");
  EXPECT_EQ(c.Read().ToString(), "+OK");
  EXPECT_EQ(c.Read().ToString(), "$hello world");
}

TEST_F(BadInput, IdleAndSlowClientsDoNotStallOthers) {
  RespClient partial;
  ASSERT_TRUE(partial.Connect(server_.port()));
  partial.SendRaw("*2\r\n$3\r\nGET\r\n$10\r\nabc");  // never finished
  RespClient nonreader;
  ASSERT_TRUE(nonreader.Connect(server_.port()));
  std::string flood;
  for (int i = 0; i < 3000; i++) flood += RespClient::Encode({"SET", "f", std::string(900, 'x')});
  for (int i = 0; i < 3000; i++) flood += RespClient::Encode({"GET", "f"});
  nonreader.SendRaw(flood);  // ~3 MB of replies it never reads
  for (int i = 0; i < 100; i++) ASSERT_EQ(Q({"INCR", "n"}), ":" + std::to_string(i + 1));
}

class Auth : public ServerFixture {
 protected:
  std::vector<std::string> Flags() override { return {"--requirepass", "s3cret"}; }
};

TEST_F(Auth, NothingIsServedBeforeAuth) {
  EXPECT_EQ(Q({"GET", "a"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(Q({"SET", "a", "1"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(Q({"NOSUCH"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(Q({"AUTH", "wrong"}), "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Q({"AUTH", "other", "s3cret"}),
            "-WRONGPASS invalid username-password pair or user is disabled.");
  EXPECT_EQ(Q({"HELLO", "3"}).substr(0, 7), "-NOAUTH");
  EXPECT_EQ(Q({"AUTH", "s3cret"}), "+OK");
  EXPECT_EQ(Q({"SET", "a", "1"}), "+OK");
  RespClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  EXPECT_EQ(c.Cmd({"HELLO", "3", "AUTH", "default", "s3cret"}).type, Reply::Type::kMap);
  EXPECT_EQ(c.Cmd({"GET", "a"}).ToString(), "$1");
}

TEST(MaxClients, ExtraClientsAreRefused) {
  jadedb::test::TempDir dir;
  ServerProcess server;
  ASSERT_TRUE(server.Start(dir.Join("db"), {"--maxclients", "2"}));
  RespClient a, b, c;
  ASSERT_TRUE(a.Connect(server.port()));
  ASSERT_EQ(a.Cmd({"PING"}).ToString(), "+PONG");
  // Start()'s readiness probe may still be counted for a moment.
  for (int i = 0; i < 100; i++) {
    if (a.Cmd({"INFO", "clients"}).str.find("connected_clients:1\r\n") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(b.Connect(server.port()));
  ASSERT_EQ(b.Cmd({"PING"}).ToString(), "+PONG");
  ASSERT_TRUE(c.Connect(server.port()));
  EXPECT_EQ(c.Read().ToString(), "-ERR max number of clients reached");
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace jadedb::server::test
