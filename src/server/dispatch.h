// Dispatcher: runs the requests of one connection: looks the command up, checks arity and
// authentication, queues inside MULTI, locks the keys a write names, runs the handler, records
// statistics, and commits the connection's pending writes when a group ends (end of a
// pipelined read, a barrier command, a busy key, or a large batch).
//
// When a commit fails, every reply of the group it covered is replaced by an error, so a
// client is never told OK for a write that did not happen.
//
// Not thread-safe: one per connection.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "server/command.h"
#include "server/keyspace.h"
#include "server/resp/resp_writer.h"

namespace jadedb::server {

class Server;

using CommandClock = std::chrono::steady_clock;

// Runs a validated command and records its latency. *clock holds the time the command began
// and receives the time it ended, so the commands of a pipeline read the clock once each.
void RunCommand(Server* server, const CommandSpec& spec, CommandCall& call,
                CommandClock::time_point* clock);

class Dispatcher {
 public:
  Dispatcher(Server* server, ClientState* client, std::string* out);

  void Execute(const std::vector<std::string_view>& args);
  // Commits pending writes (fixing the group's replies on failure). Call before sending the
  // output buffer.
  void EndGroup();
  // The output buffer was sent and cleared.
  void OnOutputCleared() {
    group_start_ = 0;
    group_replies_ = 0;
  }

  RespWriter* writer() { return &writer_; }
  WriteContext* write_context() { return &wc_; }

 private:
  void FailGroup(const Status& s);
  void Reply(const CommandSpec* spec, const std::vector<std::string_view>& args);
  // Looks the command up, remembering the last name seen: a pipeline repeats one command.
  const CommandSpec* Find(std::string_view name);

  Server* server_;
  ClientState* client_;
  std::string* out_;
  RespWriter writer_;
  WriteContext wc_;
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
