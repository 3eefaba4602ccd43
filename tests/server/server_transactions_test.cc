// MULTI/EXEC/DISCARD: queueing, EXECABORT, and atomicity as seen by a concurrent reader.
#include <atomic>
#include <thread>

#include "server/server_fixture.h"

namespace jadedb::server::test {
namespace {

using Transactions = ServerFixture;

TEST_F(Transactions, QueueAndExec) {
  EXPECT_EQ(Q({"MULTI"}), "+OK");
  EXPECT_EQ(Q({"MULTI"}), "-ERR MULTI calls can not be nested");
  EXPECT_EQ(Q({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Q({"INCR", "a"}), "+QUEUED");
  EXPECT_EQ(Q({"GET", "a"}), "+QUEUED");
  EXPECT_EQ(Q({"SET", "s", "x"}), "+QUEUED");
  EXPECT_EQ(Q({"INCR", "s"}), "+QUEUED");  // fails at EXEC time only
  EXPECT_EQ(Q({"EXEC"}), "[+OK,:2,$2,+OK,-ERR value is not an integer or out of range]");
  EXPECT_EQ(Q({"GET", "a"}), "$2");
  EXPECT_EQ(Q({"EXEC"}), "-ERR EXEC without MULTI");
  EXPECT_EQ(Q({"DISCARD"}), "-ERR DISCARD without MULTI");
}

TEST_F(Transactions, DiscardAndAbort) {
  EXPECT_EQ(Q({"MULTI"}), "+OK");
  EXPECT_EQ(Q({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Q({"DISCARD"}), "+OK");
  EXPECT_EQ(Q({"GET", "a"}), "(nil)");

  EXPECT_EQ(Q({"MULTI"}), "+OK");
  EXPECT_EQ(Q({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Q({"GET"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Q({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(Q({"GET", "a"}), "(nil)");

  EXPECT_EQ(Q({"WATCH", "a"}).substr(0, 32), "-ERR WATCH is not supported by j");
  EXPECT_EQ(Q({"MULTI"}), "+OK");
  EXPECT_EQ(Q({"FLUSHDB"}), "+QUEUED");
  EXPECT_EQ(Q({"SET", "z", "1"}), "+QUEUED");
  EXPECT_EQ(Q({"EXEC"}), "[+OK,+OK]");
  EXPECT_EQ(Q({"DBSIZE"}), ":1");
}

TEST_F(Transactions, ExecIsAtomicForOtherClients) {
  ASSERT_EQ(Q({"MSET", "x", "0", "y", "0"}), "+OK");
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    RespClient c;
    ASSERT_TRUE(c.Connect(server_.port()));
    while (!stop) {
      Reply r = c.Cmd({"MGET", "x", "y"});
      if (r.elements.size() != 2 || r.elements[0].str != r.elements[1].str) torn++;
      reads++;
    }
  });
  for (int i = 1; i <= 300; i++) {
    const std::string v = std::to_string(i);
    client_.Send({"MULTI"});
    client_.Send({"SET", "x", v});
    client_.Send({"SET", "y", v});
    client_.Send({"EXEC"});
    ASSERT_EQ(client_.Read().ToString(), "+OK");
    ASSERT_EQ(client_.Read().ToString(), "+QUEUED");
    ASSERT_EQ(client_.Read().ToString(), "+QUEUED");
    ASSERT_EQ(client_.Read().ToString(), "[+OK,+OK]");
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace jadedb::server::test
