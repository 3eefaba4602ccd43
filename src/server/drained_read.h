// DrainedRead: a socket read like asio's async_read_some, except that a read which leaves the
// socket drained tells asio's reactor so, and the next read then waits for readiness instead
// of first trying a recv that finds nothing.
//
// Why: asio's epoll reactor tries every read at once ("speculatively") unless the last read
// on the socket reported the socket exhausted, and its stream reads report that only at end
// of stream. A request/response client sends its next batch only after it received our
// replies, so the read we start right after writing the replies always failed with EAGAIN:
// about one wasted recv per batch, ~30% of the server's syscalls under redis-benchmark -P 16.
// A read that returned fewer bytes than asked emptied the socket's receive queue; data that
// arrives afterwards raises a new edge-triggered epoll event, on which the reactor sets the
// socket speculative again and performs the waiting read. So marking the short read
// "exhausted" (asio's own mechanism, used for short sends) cannot lose a wakeup.
//
// This uses asio's detail layer (reactor_op, epoll_reactor::start_op), which is not a stable
// API: it is enabled only for the asio versions it was written against, with the epoll
// reactor; otherwise Start falls back to async_read_some.
//
// Not thread-safe: one read at a time, started and completed on the socket's I/O thread. The
// object is reused for every read of its connection.
#pragma once

#include <asio.hpp>
#include <cerrno>
#include <cstddef>
#include <memory>
#include <system_error>

#if defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT) && ASIO_VERSION >= 102200 && \
    ASIO_VERSION < 102300
#include <sys/socket.h>

#include <asio/detail/reactor.hpp>
#include <asio/detail/reactor_op.hpp>
#include <asio/detail/socket_ops.hpp>
#define JADEDB_DRAINED_READ 1
#endif

namespace jadedb::server {

// A tcp::socket that exposes its asio implementation to DrainedRead.
class RespSocket : public asio::ip::tcp::socket {
 public:
  explicit RespSocket(asio::ip::tcp::socket&& s) : asio::ip::tcp::socket(std::move(s)) {}
#ifdef JADEDB_DRAINED_READ
  auto& implementation() { return impl_.get_implementation(); }
#endif
};

#ifdef JADEDB_DRAINED_READ

class DrainedRead : private asio::detail::reactor_op {
 public:
  // Called once per Start, on the socket's I/O thread (never from within Start).
  using Callback = void (*)(void* target, const std::error_code& ec, size_t n);

  DrainedRead() : reactor_op(asio::error_code(), &Perform, &Complete) {}
  DrainedRead(const DrainedRead&) = delete;
  DrainedRead& operator=(const DrainedRead&) = delete;

  // Reads up to n bytes into buf. `keep` is held until the callback runs (or the io_context
  // is destroyed with the read pending), so the owner of this object outlives the read.
  void Start(RespSocket& socket, char* buf, size_t n, Callback cb, void* target,
             std::shared_ptr<void> keep) {
    ec_ = asio::error_code();
    bytes_transferred_ = 0;
    cancellation_key_ = nullptr;
    buf_ = buf;
    size_ = n;
    cb_ = cb;
    target_ = target;
    keep_ = std::move(keep);
    if (reactor_ == nullptr) {
      reactor_ = &asio::use_service<asio::detail::reactor>(socket.get_executor().context());
    }
    auto& impl = socket.implementation();
    fd_ = impl.socket_;
    namespace ops = asio::detail::socket_ops;
    if ((impl.state_ & ops::non_blocking) == 0 &&
        !ops::set_internal_non_blocking(impl.socket_, impl.state_, true, ec_)) {
      reactor_->post_immediate_completion(this, false);
      return;
    }
    reactor_->start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, this,
                       /*is_continuation=*/false, /*allow_speculative=*/true);
  }

 private:
  static status Perform(reactor_op* base) {
    auto* o = static_cast<DrainedRead*>(base);
    for (;;) {
      const ssize_t r = ::recv(o->fd_, o->buf_, o->size_, 0);
      if (r > 0) {
        o->bytes_transferred_ = static_cast<size_t>(r);
        return static_cast<size_t>(r) < o->size_ ? done_and_exhausted : done;
      }
      if (r == 0) {
        o->ec_ = asio::error::eof;
        return done_and_exhausted;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
      o->ec_ = asio::error_code(errno, asio::error::get_system_category());
      return done;
    }
  }

  static void Complete(void* owner, asio::detail::operation* base, const asio::error_code&,
                       std::size_t) {
    auto* o = static_cast<DrainedRead*>(static_cast<reactor_op*>(base));
    // May own *o: released after the callback, which may start the next read.
    std::shared_ptr<void> keep = std::move(o->keep_);
    if (owner == nullptr) return;  // the io_context is being destroyed
    o->cb_(o->target_, o->ec_, o->bytes_transferred_);
  }

  asio::detail::reactor* reactor_ = nullptr;
  asio::detail::socket_type fd_ = -1;
  char* buf_ = nullptr;
  size_t size_ = 0;
  Callback cb_ = nullptr;
  void* target_ = nullptr;
  std::shared_ptr<void> keep_;
};

#else  // !JADEDB_DRAINED_READ

class DrainedRead {
 public:
  using Callback = void (*)(void* target, const std::error_code& ec, size_t n);
  void Start(RespSocket& socket, char* buf, size_t n, Callback cb, void* target,
             std::shared_ptr<void> keep) {
    socket.async_read_some(
        asio::buffer(buf, n),
        [cb, target, keep = std::move(keep)](std::error_code ec, size_t r) { cb(target, ec, r); });
  }
};

#endif

}  // namespace jadedb::server
