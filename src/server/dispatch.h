// Dispatcher: runs the requests of one connection: looks the command up, checks arity and
// authentication, queues inside MULTI, locks the keys a write names, runs the handler and
// records statistics. Writes go to the I/O thread's shared WriteContext (CommitGroup), which
// commits them once per reactor round, or earlier for a barrier command, a busy key or a large
// batch.
//
// When a commit fails, every reply it covered is replaced by an error, so a client is never
// told OK for a write that did not happen (nor shown a value that was never written).
//
// Not thread-safe: one per connection, used on its I/O thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/command_clock.h"
#include "server/keyspace.h"
#include "server/resp/resp_writer.h"

namespace jadedb::server {

class CommitGroup;
class Server;

// Runs a validated command and records its latency. *clock holds the time the command began
// and receives the time it ended, so the commands of a pipeline read the clock once each.
void RunCommand(Server* server, const CommandSpec& spec, CommandCall& call,
                CommandClock::time_point* clock);

class Dispatcher {
 public:
  Dispatcher(Server* server, ClientState* client, std::string* out, CommitGroup* group);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Execute(const std::vector<std::string_view>& args);
  // Commits the thread's pending writes now, so that the next reply is final whatever the
  // commit's outcome (a protocol error's reply must not be replaced).
  void CommitNow();
  // The requests of one read are done. True when some reply depends on writes not committed
  // yet: the connection must wait for its CommitGroup before sending.
  bool EndRead();
  // The output buffer was sent and cleared.
  void OnOutputCleared() {
    group_start_ = 0;
    group_replies_ = 0;
  }
  // From CommitGroup: a commit covering this dispatcher's pending replies ended with `s`.
  void Resolve(const Status& s);

  RespWriter* writer() { return &writer_; }

 private:
  // Makes the replies from output offset `reply_start` on part of the group the next commit
  // resolves.
  void Join(size_t reply_start);
  void FailGroup(const Status& s);
  void Reply(const CommandSpec* spec, const std::vector<std::string_view>& args);
  // Looks the command up, remembering the last name seen: a pipeline repeats one command.
  const CommandSpec* Find(std::string_view name);

  Server* server_;
  ClientState* client_;
  std::string* out_;
  RespWriter writer_;
  CommitGroup* group_;
  WriteContext* wc_;          // the group's
  bool member_ = false;       // has replies that the next commit resolves
  size_t group_start_ = 0;    // output offset of the first reply of the uncommitted group
  size_t group_replies_ = 0;  // replies since then
  bool force_end_ = false;    // commit right after this reply (EXEC, FLUSHDB)
  // The end of the previous command, while nothing but dispatching happened since (no read,
  // commit or lock wait): the start of the next one.
  CommandClock::time_point clock_;
  bool clock_valid_ = false;
  const CommandSpec* last_spec_ = nullptr;
  std::string last_name_;  // as the client spelled it
};

}  // namespace jadedb::server
