// Connection: one RESP client. Reads into the parser, runs every complete request of a read
// in order (pipelining), then sends all replies with one write, once the writes they depend on
// committed: when some are pending, the connection waits for its I/O thread's CommitGroup,
// which commits the writes of every connection served in the same reactor round at once. Only
// one socket operation is outstanding at a time and every handler runs on the one I/O thread
// that runs the connection's io_context, so a connection never blocks another: while it waits
// for a slow reader or an idle client, that thread serves the others.
//
// Thread safety: all members are touched only on the connection's I/O thread; Stop may be
// called from any thread (it posts to that thread).
#pragma once

#include <array>
#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/command.h"
#include "server/commit_group.h"
#include "server/dispatch.h"
#include "server/drained_read.h"
#include "server/resp/resp_parser.h"

namespace jadedb::server {

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server* server, asio::ip::tcp::socket socket, const RespLimits& limits);
  ~Connection();

  void Start();
  // From the CommitGroup: the writes this connection's replies waited for are resolved.
  void OnGroupCommitted();
  // Graceful: an idle connection closes now; a busy one after sending its replies.
  void Stop();

  uint64_t id() const { return client_.id; }
  const std::string& addr() const { return client_.addr; }

 private:
  void Read();
  static void OnRead(void* self, const std::error_code& ec, size_t n);
  void Process();
  // Sends the replies (or closes, or reads on).
  void Send();
  void Write();
  void Close();

  // Replies buffered beyond this are sent before more requests are parsed (bounds memory when
  // a client pipelines large reads).
  static constexpr size_t kMaxOutput = 16 << 20;
  static constexpr size_t kReadSize = 64 << 10;

  Server* server_;
  RespSocket socket_;
  DrainedRead read_op_;
  CommitGroup* group_;
  RespParser parser_;
  ClientState client_;
  std::string out_;
  std::string sending_;
  Dispatcher dispatcher_;
  std::vector<std::string_view> args_;
  bool reading_ = false;
  bool stopping_ = false;
  bool closed_ = false;
  bool close_after_write_ = false;
};

}  // namespace jadedb::server
