// CommitGroup: group commit across the connections of one I/O thread, the way Redis writes its
// AOF once per event-loop iteration. Every connection of the thread writes into the thread's one
// WriteContext; a connection whose replies depend on uncommitted writes (its own, or another
// connection's that it read) is deferred, and one handler posted behind the reactor round's
// completions commits the whole group (one engine write, one sync under --sync always) and then
// lets every deferred connection send its replies. With 50 pipelining clients this turns one
// commit per connection read into one per reactor round.
//
// Replies stay correct because none that depends on a pending write is sent before the commit
// that covers it: a dispatcher whose command wrote, or read a pending value (reads see the
// thread's pending writes through the WriteContext's overlay), becomes a member, and each commit
// (the round's, or one forced earlier by a busy stripe, a barrier command, EXEC or the batch
// size limit) resolves all members: their replies become final, or on failure each reply from
// the first dependent one on is replaced by an error. So a client is never told OK for a write
// that did not happen, nor shown a value that was never committed. Replies that depend on no
// pending write (a client that only reads committed keys) are sent at once.
//
// An asio service of the I/O thread's io_context (asio::make_service at Server::Open); every
// method runs on that thread. Not thread-safe.
#pragma once

#include <asio.hpp>
#include <memory>
#include <vector>

#include "server/keyspace.h"

namespace jadedb::server {

class Connection;
class Dispatcher;

class CommitGroup : public asio::execution_context::service, private CommitListener {
 public:
  static asio::execution_context::id id;

  CommitGroup(asio::execution_context& ctx, Keyspace* ks);
  ~CommitGroup() override;

  // The thread's write context, shared by its connections.
  WriteContext* wc() { return &wc_; }

  // `d` wrote a reply that the next commit covers (called once until that commit resolves it).
  void Join(Dispatcher* d) { members_.push_back(d); }
  // `d`'s replies are final (no write is pending) or it is going away.
  void Leave(Dispatcher* d);
  // `c` sends its replies once the pending writes committed.
  void Defer(std::shared_ptr<Connection> c);

 private:
  void shutdown() override;
  void OnCommit(const Status& s) override;
  void Flush();

  asio::io_context& io_;
  WriteContext wc_;
  std::vector<Dispatcher*> members_;
  std::vector<std::shared_ptr<Connection>> deferred_;
  bool flush_posted_ = false;
};

}  // namespace jadedb::server
