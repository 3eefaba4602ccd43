// Every command over the network, checked against Redis's replies and error texts.
#include <chrono>
#include <set>
#include <thread>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

using Commands = ServerFixture;

TEST_F(Commands, ConnectionCommands) {
  EXPECT_EQ(Q({"PING"}), "+PONG");
  EXPECT_EQ(Q({"ping", "hi"}), "$hi");
  EXPECT_EQ(Q({"ECHO", "x y"}), "$x y");
  EXPECT_EQ(Q({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Q({"SELECT", "1"}), "-ERR DB index is out of range");
  EXPECT_EQ(Q({"CLIENT", "SETNAME", "me"}), "+OK");
  EXPECT_EQ(Q({"CLIENT", "GETNAME"}), "$me");
  EXPECT_EQ(Q({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(client_.Cmd({"CLIENT", "ID"}).type, Reply::Type::kInteger);
  EXPECT_EQ(Q({"NOSUCH", "a", "b"}),
            "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(Q({"GET"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Q({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
  Reply count = client_.Cmd({"COMMAND", "COUNT"});
  EXPECT_GT(count.integer, 40);
  Reply all = client_.Cmd({"COMMAND"});
  EXPECT_EQ(static_cast<int64_t>(all.elements.size()), count.integer);
  EXPECT_EQ(client_.Cmd({"COMMAND", "DOCS"}).type, Reply::Type::kArray);
  EXPECT_EQ(Q({"QUIT"}), "+OK");
  EXPECT_TRUE(client_.WaitClosed());
}

TEST_F(Commands, HelloSwitchesToResp3) {
  Reply r = client_.Cmd({"HELLO", "3"});
  ASSERT_EQ(r.type, Reply::Type::kMap) << r.ToString();
  EXPECT_EQ(r.elements[4].str, "proto");
  EXPECT_EQ(r.elements[5].integer, 3);
  EXPECT_EQ(client_.Cmd({"GET", "missing"}).type, Reply::Type::kNull);
  EXPECT_EQ(Q({"HELLO", "4"}), "-NOPROTO unsupported protocol version");
  r = client_.Cmd({"HELLO", "2"});
  EXPECT_EQ(r.type, Reply::Type::kArray);
}

TEST_F(Commands, SetOptions) {
  EXPECT_EQ(Q({"SET", "k", "v1"}), "+OK");
  EXPECT_EQ(Q({"SET", "k", "v2", "NX"}), "(nil)");
  EXPECT_EQ(Q({"SET", "k", "v2", "XX", "GET"}), "$v1");
  EXPECT_EQ(Q({"SET", "nokey", "v", "XX"}), "(nil)");
  EXPECT_EQ(Q({"GET", "nokey"}), "(nil)");
  EXPECT_EQ(Q({"SET", "k", "v3", "EX", "100"}), "+OK");
  EXPECT_EQ(Q({"TTL", "k"}), ":100");
  EXPECT_EQ(Q({"SET", "k", "v4", "KEEPTTL"}), "+OK");
  EXPECT_EQ(Q({"TTL", "k"}), ":100");
  EXPECT_EQ(Q({"SET", "k", "v5"}), "+OK");
  EXPECT_EQ(Q({"TTL", "k"}), ":-1");
  EXPECT_EQ(Q({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command");
  EXPECT_EQ(Q({"SET", "k", "v", "EX", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Q({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error");
  EXPECT_EQ(Q({"SET", "k", "v", "EX", "10", "PX", "10"}), "-ERR syntax error");
  EXPECT_EQ(Q({"SET", "p", "v", "PX", "100000"}), "+OK");
  Reply pttl = client_.Cmd({"PTTL", "p"});
  EXPECT_GT(pttl.integer, 99000);
  EXPECT_LE(pttl.integer, 100000);
  EXPECT_EQ(Q({"SET", "past", "v", "PXAT", "1000"}), "+OK");
  EXPECT_EQ(Q({"GET", "past"}), "(nil)");
}

TEST_F(Commands, StringCommands) {
  EXPECT_EQ(Q({"SETNX", "a", "1"}), ":1");
  EXPECT_EQ(Q({"SETNX", "a", "2"}), ":0");
  EXPECT_EQ(Q({"GETSET", "a", "3"}), "$1");
  EXPECT_EQ(Q({"GETDEL", "a"}), "$3");
  EXPECT_EQ(Q({"GETDEL", "a"}), "(nil)");
  EXPECT_EQ(Q({"MSET", "x", "1", "y", "2"}), "+OK");
  EXPECT_EQ(Q({"MSET", "x", "1", "y"}), "-ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Q({"MGET", "x", "nope", "y"}), "[$1,(nil),$2]");
  EXPECT_EQ(Q({"MSETNX", "y", "9", "z", "9"}), ":0");
  EXPECT_EQ(Q({"GET", "z"}), "(nil)");
  EXPECT_EQ(Q({"MSETNX", "z", "9", "w", "9"}), ":1");
  EXPECT_EQ(Q({"INCR", "n"}), ":1");
  EXPECT_EQ(Q({"INCRBY", "n", "10"}), ":11");
  EXPECT_EQ(Q({"DECR", "n"}), ":10");
  EXPECT_EQ(Q({"DECRBY", "n", "20"}), ":-10");
  EXPECT_EQ(Q({"INCRBY", "n", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Q({"SET", "s", "abc"}), "+OK");
  EXPECT_EQ(Q({"INCR", "s"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Q({"SET", "big", "9223372036854775807"}), "+OK");
  EXPECT_EQ(Q({"INCR", "big"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Q({"APPEND", "s", "def"}), ":6");
  EXPECT_EQ(Q({"APPEND", "new", "xy"}), ":2");
  EXPECT_EQ(Q({"STRLEN", "s"}), ":6");
  EXPECT_EQ(Q({"STRLEN", "none"}), ":0");
  EXPECT_EQ(Q({"GETRANGE", "s", "0", "2"}), "$abc");
  EXPECT_EQ(Q({"GETRANGE", "s", "-3", "-1"}), "$def");
  EXPECT_EQ(Q({"GETRANGE", "s", "4", "100"}), "$ef");
  EXPECT_EQ(Q({"GETRANGE", "s", "5", "2"}), "$");
  EXPECT_EQ(Q({"SETRANGE", "s", "1", "XY"}), ":6");
  EXPECT_EQ(Q({"GET", "s"}), "$aXYdef");
  EXPECT_EQ(Q({"SETRANGE", "pad", "3", "z"}), ":4");
  EXPECT_EQ(Q({"GET", "pad"}), std::string("$\0\0\0z", 5));
  EXPECT_EQ(Q({"SETRANGE", "s", "-1", "z"}), "-ERR offset is out of range");
  std::string binary("\0\r\n\xff", 4);
  EXPECT_EQ(Q({"SET", binary, binary}), "+OK");
  EXPECT_EQ(Q({"GET", binary}), "$" + binary);
}

TEST_F(Commands, KeyCommands) {
  EXPECT_EQ(Q({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK");
  EXPECT_EQ(Q({"EXISTS", "a", "b", "a", "zz"}), ":3");
  EXPECT_EQ(Q({"DEL", "a", "zz"}), ":1");
  EXPECT_EQ(Q({"UNLINK", "b"}), ":1");
  EXPECT_EQ(Q({"TYPE", "c"}), "+string");
  EXPECT_EQ(Q({"TYPE", "a"}), "+none");
  EXPECT_EQ(Q({"RENAME", "a", "q"}), "-ERR no such key");
  EXPECT_EQ(Q({"EXPIRE", "c", "100"}), ":1");
  EXPECT_EQ(Q({"RENAME", "c", "d"}), "+OK");
  EXPECT_EQ(Q({"GET", "c"}), "(nil)");
  EXPECT_EQ(Q({"GET", "d"}), "$3");
  EXPECT_EQ(Q({"TTL", "d"}), ":100");  // RENAME keeps the expiry
  EXPECT_EQ(Q({"PERSIST", "d"}), ":1");
  EXPECT_EQ(Q({"PERSIST", "d"}), ":0");
  EXPECT_EQ(Q({"TTL", "d"}), ":-1");
  EXPECT_EQ(Q({"TTL", "none"}), ":-2");
  EXPECT_EQ(Q({"PTTL", "none"}), ":-2");
  EXPECT_EQ(Q({"EXPIRE", "none", "10"}), ":0");
  EXPECT_EQ(Q({"EXPIRE", "d", "10", "NX"}), ":1");
  EXPECT_EQ(Q({"EXPIRE", "d", "20", "NX"}), ":0");
  EXPECT_EQ(Q({"EXPIRE", "d", "5", "GT"}), ":0");
  EXPECT_EQ(Q({"EXPIRE", "d", "50", "GT"}), ":1");
  EXPECT_EQ(Q({"PEXPIRE", "d", "100000"}), ":1");
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  EXPECT_EQ(Q({"EXPIREAT", "d", std::to_string(now_s + 1000)}), ":1");
  Reply ttl = client_.Cmd({"TTL", "d"});
  EXPECT_GE(ttl.integer, 998);
  EXPECT_LE(ttl.integer, 1001);
  EXPECT_EQ(Q({"EXPIRE", "d", "-1"}), ":1");  // a past time deletes
  EXPECT_EQ(Q({"EXISTS", "d"}), ":0");
  EXPECT_EQ(Q({"EXPIRE", "x", "abc"}), "-ERR value is not an integer or out of range");
}

TEST_F(Commands, KeysScanDbsizeFlush) {
  std::set<std::string> expect;
  for (int i = 0; i < 120; i++) {
    const std::string k = (i % 2 ? "user:" : "item:") + std::to_string(i);
    ASSERT_EQ(Q({"SET", k, "v"}), "+OK");
    if (i % 2) expect.insert(k);
  }
  ASSERT_EQ(Q({"SET", "gone", "v", "PX", "1"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Q({"DBSIZE"}), ":120");
  Reply keys = client_.Cmd({"KEYS", "user:*"});
  EXPECT_EQ(keys.elements.size(), 60u);
  EXPECT_EQ(client_.Cmd({"KEYS", "user:1?"}).elements.size(), 5u);  // 11 13 15 17 19
  EXPECT_EQ(client_.Cmd({"KEYS", "gone"}).elements.size(), 0u);

  std::set<std::string> seen;
  std::string cursor = "0";
  int rounds = 0;
  do {
    Reply r = client_.Cmd({"SCAN", cursor, "MATCH", "user:*", "COUNT", "7"});
    ASSERT_EQ(r.elements.size(), 2u) << r.ToString();
    cursor = r.elements[0].str;
    for (const Reply& k : r.elements[1].elements) seen.insert(k.str);
    ASSERT_LT(++rounds, 100);
  } while (cursor != "0");
  EXPECT_EQ(seen, expect);
  EXPECT_GE(rounds, 60 / 7);  // COUNT bounds the work per call
  EXPECT_EQ(Q({"SCAN", "999999"}), "-ERR invalid cursor");
  EXPECT_EQ(Q({"SCAN", "abc"}), "-ERR invalid cursor");

  EXPECT_EQ(Q({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Q({"DBSIZE"}), ":0");
  EXPECT_EQ(Q({"KEYS", "*"}), "[]");
}

TEST_F(Commands, InfoAndConfig) {
  ASSERT_EQ(Q({"SET", "a", "1"}), "+OK");
  ASSERT_EQ(Q({"GET", "a"}), "$1");
  Reply info = client_.Cmd({"INFO"});
  ASSERT_EQ(info.type, Reply::Type::kBulk);
  for (const char* field :
       {"# Server", "redis_version:", "# Clients", "connected_clients:1", "# Stats",
        "keyspace_hits:1", "# Persistence", "# Engine", "wal_syncs:", "# Keyspace"}) {
    EXPECT_NE(info.str.find(field), std::string::npos) << field;
  }
  // The keyspace line is the expiry sweeper's estimate: it appears after its next pass.
  for (int i = 0; i < 100 && info.str.find("db0:keys=1,expires=0") == std::string::npos; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    info = client_.Cmd({"INFO"});
  }
  EXPECT_NE(info.str.find("db0:keys=1,expires=0"), std::string::npos) << info.str;
  Reply only = client_.Cmd({"INFO", "clients"});
  EXPECT_EQ(only.str.find("# Server"), std::string::npos);
  EXPECT_EQ(Q({"CONFIG", "GET", "appendfsync"}), "[$appendfsync,$never]");
  EXPECT_EQ(Q({"CONFIG", "GET", "save"}), "[$save,$]");
  Reply many = client_.Cmd({"CONFIG", "GET", "*"});
  EXPECT_GT(many.elements.size(), 20u);
  EXPECT_EQ(Q({"CONFIG", "SET", "maxclients", "77"}), "+OK");
  EXPECT_EQ(Q({"CONFIG", "GET", "maxclients"}), "[$maxclients,$77]");
  EXPECT_EQ(Q({"CONFIG", "SET", "port", "1"}).substr(0, 22), "-ERR CONFIG SET failed");
}

TEST_F(Commands, PipelinedRepliesComeInOrder) {
  std::string batch;
  for (int i = 0; i < 2000; i++) {
    batch += RespClient::Encode({"SET", "k" + std::to_string(i), std::to_string(i)});
    batch += RespClient::Encode({"GET", "k" + std::to_string(i)});
    batch += RespClient::Encode({"INCR", "counter"});
  }
  ASSERT_TRUE(client_.SendRaw(batch));
  for (int i = 0; i < 2000; i++) {
    ASSERT_EQ(client_.Read().ToString(), "+OK");
    ASSERT_EQ(client_.Read().ToString(), "$" + std::to_string(i));
    ASSERT_EQ(client_.Read().ToString(), ":" + std::to_string(i + 1));
  }
}

TEST_F(Commands, ExpiredKeysVanishAndAreRemovedInTheBackground) {
  for (int i = 0; i < 50; i++) {
    ASSERT_EQ(Q({"SET", "e" + std::to_string(i), "v", "PX", "50"}), "+OK");
  }
  ASSERT_EQ(Q({"SET", "keep", "v"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(Q({"GET", "e0"}), "(nil)");
  EXPECT_EQ(Q({"EXISTS", "e1"}), ":0");
  // The sweeper deletes them without any client touching them.
  int64_t expired = 0;
  for (int i = 0; i < 50 && expired < 50; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Reply info = client_.Cmd({"INFO", "stats"});
    size_t p = info.str.find("expired_keys:");
    ASSERT_NE(p, std::string::npos);
    expired = std::stoll(info.str.substr(p + 13));
  }
  EXPECT_EQ(expired, 50);
  EXPECT_EQ(Q({"GET", "keep"}), "$v");
}

TEST_F(Commands, ConcurrentIncrementsAreAtomic) {
  constexpr int kThreads = 4, kPer = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([this] {
      RespClient c;
      ASSERT_TRUE(c.Connect(server_.port()));
      for (int i = 0; i < kPer; i++) {
        // Pipelines of INCR and APPEND interleave across clients.
        c.Send({"INCR", "n"});
        c.Send({"APPEND", "s", "x"});
        ASSERT_EQ(c.Read().type, Reply::Type::kInteger);
        ASSERT_EQ(c.Read().type, Reply::Type::kInteger);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Q({"GET", "n"}), "$" + std::to_string(kThreads * kPer));
  EXPECT_EQ(Q({"STRLEN", "s"}), ":" + std::to_string(kThreads * kPer));
}

}  // namespace
}  // namespace jadedb::server::test
