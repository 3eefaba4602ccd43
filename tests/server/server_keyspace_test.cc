// FLUSHDB (one range deletion on the LSM engine, point deletions on the B+tree), DBSIZE and the
// INFO keyspace estimate, on both engines.
#include <chrono>
#include <thread>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

class Keyspace : public ServerFixture, public ::testing::WithParamInterface<const char*> {
 protected:
  std::vector<std::string> Flags() override { return {"--engine", GetParam(), "--sync", "always"}; }

  void SetMany(int n, const std::string& prefix) {
    std::string batch;
    for (int i = 0; i < n; i++)
      batch += RespClient::Encode({"SET", prefix + std::to_string(i), "v"});
    ASSERT_TRUE(client_.SendRaw(batch));
    for (int i = 0; i < n; i++) ASSERT_EQ(client_.Read().ToString(), "+OK") << i;
  }

  // INFO keyspace is refreshed by the expiry sweeper's passes (10 a second by default).
  std::string WaitForKeyspaceLine(const std::string& want) {
    std::string info;
    for (int i = 0; i < 100; i++) {
      info = client_.Cmd({"INFO", "keyspace"}).str;
      if (info.find(want) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return info;
  }
};

TEST_P(Keyspace, FlushDbRemovesTenThousandKeysAndStaysEmptyAfterRestart) {
  SetMany(10000, "key:");
  ASSERT_EQ(Q({"SET", "ttl", "v", "EX", "1000"}), "+OK");
  ASSERT_EQ(Q({"SET", "gone", "v", "PX", "1"}), "+OK");
  // The largest key the engines accept, all 0xff bytes: it sorts after every other key, so it
  // is the end of the range FLUSHDB deletes.
  const std::string largest(64 << 10, '\xff');
  ASSERT_EQ(Q({"SET", largest, "v"}), "+OK");
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // "gone" has expired
  EXPECT_EQ(Q({"DBSIZE"}), ":10002");

  EXPECT_EQ(Q({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Q({"DBSIZE"}), ":0");
  EXPECT_EQ(Q({"KEYS", "*"}), "[]");
  EXPECT_EQ(Q({"GET", "key:1"}), "(nil)");
  EXPECT_EQ(Q({"EXISTS", largest}), ":0");

  // Writes after the flush are kept, across a restart and across a crash.
  ASSERT_EQ(Q({"SET", "after", "1"}), "+OK");
  Restart(Flags());
  EXPECT_EQ(Q({"DBSIZE"}), ":1");
  EXPECT_EQ(Q({"GET", "key:9999"}), "(nil)");
  server_.Kill();
  client_.Close();
  ASSERT_TRUE(server_.Start(dir_.Join("db"), Flags())) << server_.error();
  ASSERT_TRUE(client_.Connect(server_.port()));
  EXPECT_EQ(Q({"DBSIZE"}), ":1");
  EXPECT_EQ(Q({"GET", "after"}), "$1");
}

TEST_P(Keyspace, FlushDbInsideMultiIsAtomicWithTheTransaction) {
  SetMany(100, "old:");
  ASSERT_EQ(Q({"MULTI"}), "+OK");
  ASSERT_EQ(Q({"SET", "zzz-before", "1"}), "+QUEUED");  // pending, sorts after every stored key
  ASSERT_EQ(Q({"FLUSHDB"}), "+QUEUED");
  ASSERT_EQ(Q({"SET", "new", "2"}), "+QUEUED");
  ASSERT_EQ(Q({"GET", "zzz-before"}), "+QUEUED");
  ASSERT_EQ(Q({"GET", "old:1"}), "+QUEUED");
  ASSERT_EQ(Q({"GET", "new"}), "+QUEUED");
  EXPECT_EQ(Q({"EXEC"}), "[+OK,+OK,+OK,(nil),(nil),$2]");
  EXPECT_EQ(Q({"DBSIZE"}), ":1");
  Restart(Flags());
  EXPECT_EQ(Q({"KEYS", "*"}), "[$new]");
}

TEST_P(Keyspace, InfoKeyspaceIsAnEstimateFromTheSweeper) {
  SetMany(30, "k");
  ASSERT_EQ(Q({"SET", "ttl", "v", "EX", "1000"}), "+OK");
  std::string info = WaitForKeyspaceLine("db0:keys=31,expires=1");
  EXPECT_NE(info.find("db0:keys=31,expires=1"), std::string::npos) << info;
  // FLUSHDB resets the estimate at once (Redis omits an empty db).
  ASSERT_EQ(Q({"FLUSHDB"}), "+OK");
  info = client_.Cmd({"INFO", "keyspace"}).str;
  EXPECT_EQ(info.find("db0:"), std::string::npos) << info;
  ASSERT_EQ(Q({"SET", "one", "v"}), "+OK");
  info = WaitForKeyspaceLine("db0:keys=1,expires=0");
  EXPECT_NE(info.find("db0:keys=1,expires=0"), std::string::npos) << info;
}

INSTANTIATE_TEST_SUITE_P(Engines, Keyspace, ::testing::Values("lsm", "bplustree"));

// Several I/O threads (one io_context each): writes stay atomic across threads, FLUSHDB takes
// every stripe while other threads write, and the thread-sharded statistics add up.
class MultiThreaded : public ServerFixture {
 protected:
  std::vector<std::string> Flags() override { return {"--sync", "never", "--threads", "3"}; }
};

TEST_F(MultiThreaded, ClientsOnDifferentThreadsStayConsistent) {
  constexpr int kClients = 6, kRounds = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; t++) {
    threads.emplace_back([this, t] {
      RespClient c;
      ASSERT_TRUE(c.Connect(server_.port()));
      for (int i = 0; i < kRounds; i++) {
        // One write, so the server reads the three in one go and the GET sees the SET: sent
        // separately, another client's FLUSHDB may legitimately run between them.
        ASSERT_TRUE(
            c.SendRaw(RespClient::Encode({"INCR", "counter"}) +
                      RespClient::Encode({"SET", "own:" + std::to_string(t), std::to_string(i)}) +
                      RespClient::Encode({"GET", "own:" + std::to_string(t)})));
        ASSERT_EQ(c.Read().type, Reply::Type::kInteger);
        ASSERT_EQ(c.Read().ToString(), "+OK");
        ASSERT_EQ(c.Read().ToString(), "$" + std::to_string(i));
        if (t == 0 && i % 25 == 0) {
          ASSERT_EQ(c.Cmd({"FLUSHDB"}).ToString(), "+OK");
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(Q({"SET", "after", "1"}), "+OK");
  EXPECT_EQ(Q({"EXISTS", "after"}), ":1");
  // Every call was counted once, whichever thread's shard recorded it (the INFO below is not
  // counted yet when its reply is built).
  const std::string info = client_.Cmd({"INFO", "stats"}).str;
  const size_t p = info.find("total_commands_processed:");
  ASSERT_NE(p, std::string::npos) << info;
  EXPECT_EQ(std::stoll(info.substr(p + 25)), kClients * kRounds * 3 + 4 + 2);
}

// I/O threads that sleep as soon as they run out of events (--busy-poll-us 0; every other
// test runs the default, which polls a while first): pipelined requests from several clients
// are all answered, in order.
class NoBusyPolling : public ServerFixture {
 protected:
  std::vector<std::string> Flags() override {
    return {"--sync", "never", "--threads", "2", "--busy-poll-us", "0"};
  }
};

TEST_F(NoBusyPolling, PipelinedClientsAreAnsweredInOrder) {
  EXPECT_EQ(Q({"CONFIG", "GET", "busy-poll-us"}), "[$busy-poll-us,$0]");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([this, t] {
      RespClient c;
      ASSERT_TRUE(c.Connect(server_.port()));
      for (int round = 0; round < 50; round++) {
        std::string batch;
        for (int i = 0; i < 16; i++) {
          batch += RespClient::Encode({"SET", "k" + std::to_string(t), std::to_string(i)});
          batch += RespClient::Encode({"GET", "k" + std::to_string(t)});
        }
        ASSERT_TRUE(c.SendRaw(batch));
        for (int i = 0; i < 16; i++) {
          ASSERT_EQ(c.Read().ToString(), "+OK");
          ASSERT_EQ(c.Read().ToString(), "$" + std::to_string(i));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace jadedb::server::test
