// Transactions: MULTI, EXEC, DISCARD. EXEC runs the queued commands against one WriteContext
// with every key they name locked, so their writes reach the engine as one atomic WriteBatch
// and reads inside EXEC see the state at EXEC time. WATCH (optimistic locking) is not
// supported and says so.
#include "server/command.h"
#include "server/dispatch.h"
#include "server/server.h"

namespace jadedb::server {
namespace {

void Multi(CommandCall& c) {
  if (c.client->in_multi) return c.Error("ERR MULTI calls can not be nested");
  c.client->in_multi = true;
  c.client->multi_error = false;
  c.client->queued.clear();
  c.out->Ok();
}

void Discard(CommandCall& c) {
  if (!c.client->in_multi) return c.Error("ERR DISCARD without MULTI");
  c.client->in_multi = false;
  c.client->multi_error = false;
  c.client->queued.clear();
  c.out->Ok();
}

void Exec(CommandCall& c) {
  if (!c.client->in_multi) return c.Error("ERR EXEC without MULTI");
  std::vector<std::vector<std::string>> queued = std::move(c.client->queued);
  c.client->queued.clear();
  c.client->in_multi = false;
  if (c.client->multi_error) {
    c.client->multi_error = false;
    return c.Error("EXECABORT Transaction discarded because of previous errors.");
  }
  c.out->ArrayHeader(static_cast<int64_t>(queued.size()));
  std::vector<std::string_view> args;
  CommandClock::time_point clock = CommandClock::now();
  for (const std::vector<std::string>& q : queued) {
    args.assign(q.begin(), q.end());
    const CommandSpec* spec = c.server->commands().Find(args[0]);
    CommandCall sub{c.server, c.client, c.wc, c.out, args};
    RunCommand(c.server, *spec, sub, &clock);  // validated when queued
  }
}

void Watch(CommandCall& c) {
  if (c.client->in_multi) return c.Error("ERR WATCH inside MULTI is not allowed");
  c.Error("ERR WATCH is not supported by jadedb-server (EXEC is atomic; use MULTI/EXEC alone)");
}

void Unwatch(CommandCall& c) { c.out->Ok(); }

}  // namespace

void RegisterTransactionCommands(std::vector<CommandSpec>* out) {
  out->insert(out->end(), {
                              {"multi", 1, kCmdNoQueue | kCmdFast, 0, 0, 0, Multi},
                              {"exec", 1, kCmdNoQueue | kCmdExec, 0, 0, 0, Exec},
                              {"discard", 1, kCmdNoQueue | kCmdFast, 0, 0, 0, Discard},
                              {"watch", -2, kCmdNoQueue, 1, -1, 1, Watch},
                              {"unwatch", 1, kCmdNoQueue, 0, 0, 0, Unwatch},
                          });
}

}  // namespace jadedb::server
