#include "server/connection.h"

#include "server/server.h"

namespace jadedb::server {

Connection::Connection(Server* server, asio::ip::tcp::socket socket, const RespLimits& limits)
    : server_(server),
      socket_(std::move(socket)),
      group_(server->CommitGroupOf(socket_.get_executor().context())),
      parser_(limits),
      dispatcher_(server, &client_, &out_, group_) {
  client_.id = server->NextClientId();
  client_.created_ms = NowMs();
  std::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) client_.addr = ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

Connection::~Connection() = default;

void Connection::Start() {
  // Start runs on the acceptor's thread; every handler of this connection, the first read
  // included, runs on the thread of its own io_context.
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [this, self] { Read(); });
}

void Connection::Stop() {
  auto self = shared_from_this();
  asio::post(socket_.get_executor(), [this, self] {
    stopping_ = true;
    if (reading_) Close();  // idle: nothing in flight
  });
}

void Connection::Read() {
  // A connection accepted while shutdown began may have missed Stop(); the flag catches it.
  if (stopping_ || server_->shutting_down()) return Close();
  reading_ = true;
  char* buf = parser_.Prepare(kReadSize);
  // Not async_read_some: after replies were sent, the client's next request is not there
  // yet, and asio would try a recv first anyway (see drained_read.h).
  read_op_.Start(socket_, buf, kReadSize, &Connection::OnRead, this, shared_from_this());
}

void Connection::OnRead(void* self, const std::error_code& ec, size_t n) {
  Connection* c = static_cast<Connection*>(self);
  c->reading_ = false;
  c->parser_.Commit(ec ? 0 : n);
  if (ec || c->closed_) return c->Close();
  c->server_->stats()->bytes_in.fetch_add(n, std::memory_order_relaxed);
  c->Process();
}

void Connection::Process() {
  bool more = true;
  while (more && out_.size() < kMaxOutput && !client_.close_after_reply) {
    switch (parser_.Next(&args_)) {
      case RespParser::Result::kCommand:
        dispatcher_.Execute(args_);
        break;
      case RespParser::Result::kIncomplete:
        more = false;
        break;
      case RespParser::Result::kError:
        // Framing is lost: answer what came before, then the error, then close.
        dispatcher_.CommitNow();
        server_->stats()->protocol_errors.fetch_add(1, std::memory_order_relaxed);
        dispatcher_.writer()->Error("ERR " + parser_.error());
        close_after_write_ = true;
        more = false;
        break;
    }
  }
  parser_.Compact();
  if (client_.close_after_reply) close_after_write_ = true;
  if (dispatcher_.EndRead()) return group_->Defer(shared_from_this());
  Send();
}

void Connection::OnGroupCommitted() {
  if (closed_) return;
  Send();
}

void Connection::Send() {
  if (!out_.empty()) return Write();
  if (close_after_write_) return Close();
  Read();
}

void Connection::Write() {
  sending_.swap(out_);
  out_.clear();
  dispatcher_.OnOutputCleared();
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(sending_), [this, self](std::error_code ec, size_t n) {
    server_->stats()->bytes_out.fetch_add(n, std::memory_order_relaxed);
    sending_.clear();
    if (sending_.capacity() > kMaxOutput) sending_.shrink_to_fit();
    if (ec || close_after_write_ || closed_) return Close();
    // Requests may still wait in the parser (the output limit stopped parsing).
    if (stopping_ && parser_.buffered() == 0) return Close();
    Process();
  });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  server_->Unregister(this);
}

}  // namespace jadedb::server
