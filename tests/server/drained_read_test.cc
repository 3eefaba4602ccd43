#include "server/drained_read.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace jadedb::server {
namespace {

using asio::ip::tcp;

// A connected loopback pair: `server` (read with DrainedRead) and `client` (written to).
class DrainedReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    client_.connect(acceptor.local_endpoint());
    server_ = std::make_unique<RespSocket>(acceptor.accept());
  }

  struct Result {
    bool done = false;
    std::error_code ec;
    size_t n = 0;
  };

  void StartRead(size_t n) {
    result_ = Result();
    buf_.assign(n, '\0');
    read_.Start(*server_, buf_.data(), n, &OnRead, &result_, nullptr);
  }
  static void OnRead(void* target, const std::error_code& ec, size_t n) {
    auto* r = static_cast<Result*>(target);
    r->done = true;
    r->ec = ec;
    r->n = n;
  }
  // Runs handlers until the read completed or `timeout` passed.
  bool WaitRead(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!result_.done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return result_.done;
  }
  void Send(const std::string& s) { asio::write(client_, asio::buffer(s)); }
  std::string Got() const { return buf_.substr(0, result_.n); }

  asio::io_context io_{1};
  tcp::socket client_{io_};
  std::unique_ptr<RespSocket> server_;
  DrainedRead read_;
  std::string buf_;
  Result result_;
};

TEST_F(DrainedReadTest, FullReadsContinueShortReadWaitsForData) {
  Send(std::string(100, 'a'));
  // Two reads that fill their buffer, then a short one that drains the socket.
  for (size_t want : {40, 40, 20}) {
    StartRead(40);
    ASSERT_TRUE(WaitRead());
    ASSERT_FALSE(result_.ec) << result_.ec.message();
    EXPECT_EQ(result_.n, want);
  }
  // Nothing is there: the read waits (and does not complete with an error).
  StartRead(40);
  EXPECT_FALSE(WaitRead(std::chrono::milliseconds(100)));
  Send("hello");
  ASSERT_TRUE(WaitRead());
  EXPECT_EQ(Got(), "hello");
}

TEST_F(DrainedReadTest, DataArrivingBetweenReadsIsNotLost) {
  // After a short read, data arrives before the next read starts: once while the reactor
  // does not run (the epoll event is still pending), once after the reactor ran and saw the
  // event with no read waiting. Either way the next read must get the data.
  Send("one");
  StartRead(64);
  ASSERT_TRUE(WaitRead());
  EXPECT_EQ(Got(), "one");

  Send("two");
  StartRead(64);
  ASSERT_TRUE(WaitRead());
  EXPECT_EQ(Got(), "two");

  Send("three");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  io_.restart();
  io_.poll();  // the reactor consumes the readiness event; no read is waiting
  StartRead(64);
  ASSERT_TRUE(WaitRead());
  EXPECT_EQ(Got(), "three");
}

TEST_F(DrainedReadTest, EndOfStreamAndClose) {
  Send("x");
  StartRead(64);
  ASSERT_TRUE(WaitRead());
  client_.close();
  StartRead(64);
  ASSERT_TRUE(WaitRead());
  EXPECT_EQ(result_.ec, asio::error::eof);

  // A read pending when the socket is closed completes with operation_aborted.
  StartRead(64);
  EXPECT_FALSE(result_.done);
  server_->close();
  ASSERT_TRUE(WaitRead());
  EXPECT_TRUE(result_.ec);
}

TEST_F(DrainedReadTest, KeepIsHeldUntilTheCallback) {
  auto keep = std::make_shared<int>(7);
  std::weak_ptr<int> weak = keep;
  result_ = Result();
  buf_.assign(16, '\0');
  read_.Start(*server_, buf_.data(), 16, &OnRead, &result_, std::move(keep));
  EXPECT_FALSE(weak.expired());  // held by the pending read
  Send("k");
  ASSERT_TRUE(WaitRead());
  EXPECT_TRUE(weak.expired());  // released once the callback ran
}

}  // namespace
}  // namespace jadedb::server
