// ServerOptions: every setting of jadedb-server, read from command-line flags (`--name value`)
// and from a config file with the same names (`--config FILE`, one `name value` per line, `#`
// comments). Flags given on the command line win over the file. Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jadedb/env.h"
#include "jadedb/options.h"
#include "jadedb/status.h"

namespace jadedb::server {

// When a write is made durable (Redis appendfsync).
enum class SyncPolicy { kAlways, kEverySec, kNever };
const char* SyncPolicyName(SyncPolicy p);
bool ParseSyncPolicy(std::string_view s, SyncPolicy* p);

struct ServerOptions {
  std::string dir = "./jadedb-data";
  std::string engine = "lsm";
  std::string bind = "127.0.0.1";
  int port = 6380;
  int http_port = 8080;  // 0 = off
  std::string requirepass;
  int maxclients = 10000;
  SyncPolicy sync = SyncPolicy::kEverySec;
  // The LSM engine's own default (8 MiB: a smaller memtable is faster to search and insert into;
  // docs/benchmarks.md), so the server and embedded use behave alike.
  int write_buffer_mb = static_cast<int>(LsmOptions().write_buffer_size >> 20);
  int cache_mb = 32;
  int threads = 0;  // I/O threads; 0 = DefaultIoThreads() (server.h)
  // How long an I/O thread keeps polling its sockets after its last event before it sleeps in
  // epoll_wait (0 = sleep at once). A sleeping server makes every client send pay for waking
  // it: with pipelining clients, whose send lands just after the thread went idle, that cost
  // is on the client's critical path (server.md, "Busy polling").
  int busy_poll_us = 50;
  uint64_t proto_max_bulk_len = 512ull << 20;
  uint64_t max_args = 1024 * 1024;
  int hz = 10;  // background expiry sweeps per second
  bool help = false;
  // File system for the DB (null = the default POSIX Env). Not a flag: for embedding the
  // server and for tests that inject I/O faults.
  Env* env = nullptr;
};

// Sets one option by name (without dashes). InvalidArgument naming the option when the name
// is unknown or the value does not parse.
Status SetServerOption(ServerOptions* opts, std::string_view name, std::string_view value);
// Reads the value of an option by name; false when unknown. Used by CONFIG GET.
bool GetServerOption(const ServerOptions& opts, std::string_view name, std::string* value);
// Names of every option, in --help order.
const std::vector<std::string>& ServerOptionNames();

// Parses argv (after argv[0]). A --config file is read first, then the flags override it.
Status ParseServerFlags(int argc, const char* const* argv, ServerOptions* opts);
// Applies `name value` lines of a config file.
Status LoadConfigFile(const std::string& path, ServerOptions* opts);

std::string ServerHelpText();

}  // namespace jadedb::server
