// The command table: every command jadedb-server understands, with its arity, flags and key
// positions (Redis's first/last/step convention), and the per-call context handlers receive.
//
// CommandTable is immutable after construction and thread-safe. A CommandCall lives for one
// call on one connection's thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/keyspace.h"
#include "server/resp/resp_writer.h"

namespace jadedb::server {

class Server;

// Per-connection state commands may read or change.
struct ClientState {
  uint64_t id = 0;
  std::string name;
  std::string addr;
  int resp = 2;
  bool authed = false;
  bool in_multi = false;
  bool multi_error = false;  // a command failed to queue: EXEC aborts
  std::vector<std::vector<std::string>> queued;
  bool close_after_reply = false;
  int64_t created_ms = 0;
};

struct CommandCall {
  Server* server;
  ClientState* client;
  WriteContext* wc;
  RespWriter* out;
  const std::vector<std::string_view>& args;  // args[0] is the command name
  bool failed = false;

  void Error(std::string_view msg) {
    failed = true;
    out->Error(msg);
  }
  // "-ERR <status message>" for an engine failure.
  void StatusError(const Status& s);
};

using CommandFn = void (*)(CommandCall&);

enum CommandFlags : uint32_t {
  kCmdWrite = 1,  // changes data: its keys are locked, its writes batched
  kCmdReadOnly = 2,
  kCmdAdmin = 4,
  kCmdNoAuth = 8,    // allowed before AUTH
  kCmdBarrier = 16,  // pending writes are committed first (reads the whole keyspace)
  kCmdNoQueue = 32,  // runs immediately inside MULTI (MULTI, EXEC, DISCARD, QUIT, ...)
  kCmdAllKeys = 64,  // locks the whole keyspace (FLUSHDB)
  kCmdFast = 128,
  kCmdExec = 256,  // EXEC: locks the keys of every queued command
};

struct CommandSpec {
  const char* name;  // lower case
  int arity;         // > 0 exact argument count (with the name); < 0 at least -arity
  uint32_t flags;
  int first_key;  // 0 = none
  int last_key;   // -1 = the last argument
  int step;
  CommandFn fn;
  size_t id = 0;  // index in the table (for statistics)
};

// Registration, one per command file.
void RegisterStringCommands(std::vector<CommandSpec>* out);
void RegisterKeyCommands(std::vector<CommandSpec>* out);
void RegisterServerCommands(std::vector<CommandSpec>* out);
void RegisterTransactionCommands(std::vector<CommandSpec>* out);

class CommandTable {
 public:
  CommandTable();
  // Case-insensitive; null when unknown.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<CommandSpec>& all() const { return specs_; }

 private:
  std::vector<CommandSpec> specs_;
  // Keyed by the specs' static lower-case names.
  std::unordered_map<std::string_view, size_t> by_name_;
};

// The keys a call of `spec` names (by first/last/step), as views into args.
std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string_view>& args);

// Redis's string2ll: a strict decimal int64 (no spaces, no '+', no leading zeros).
bool ParseInt64(std::string_view s, int64_t* v);

// Common error texts (Redis's wording, which clients match on).
inline constexpr std::string_view kErrNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kErrSyntax = "ERR syntax error";
inline constexpr std::string_view kErrWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
std::string WrongArityError(std::string_view name);
// ASCII case-insensitive equality (command options such as EX, MATCH).
bool EqualsNoCase(std::string_view a, std::string_view b);
struct StoredValue;
// Reads a key through the call's write context; on an engine error replies and returns false.
bool Load(CommandCall& c, std::string_view key, StoredValue* v);

}  // namespace jadedb::server
