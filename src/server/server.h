// Server: jadedb-server's core. Opens the database, listens for RESP clients (and HTTP for
// /metrics and /health), runs an I/O thread pool (standalone asio), the background sync
// (--sync everysec) and the active-expiry sweeper, and shuts down gracefully on SIGINT/SIGTERM:
// stop accepting, finish in-flight requests, sync, close the DB.
//
// Thread safety: the accessors used by commands may be called from any I/O thread; Open and
// Run are called once, from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "jadedb/db.h"
#include "server/command.h"
#include "server/keyspace.h"
#include "server/server_options.h"
#include "server/server_stats.h"

namespace asio {
class execution_context;
class io_context;
}  // namespace asio

namespace jadedb::server {

class CommitGroup;
class Connection;
class Listener;
class HttpServer;

// I/O threads when --threads is 0.
int DefaultIoThreads();

class Server {
 public:
  explicit Server(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Opens the DB and binds the listening sockets.
  Status Open();
  // Serves until RequestShutdown (or SIGINT/SIGTERM when handle_signals), then drains
  // connections, syncs and closes the DB. Returns the final sync/close status.
  Status Run(bool handle_signals = true);
  // Thread-safe, async-signal-unsafe; begins a graceful shutdown.
  void RequestShutdown();

  // Bound ports (useful with port 0).
  int port() const { return bound_port_; }
  int http_port() const { return bound_http_port_; }

  // For commands.
  Keyspace* keyspace() { return keyspace_.get(); }
  ServerStats* stats() { return stats_.get(); }
  const CommandTable& commands() const { return commands_; }
  DB* db() { return db_.get(); }
  int64_t start_ms() const { return start_ms_; }
  uint64_t NextClientId() { return next_client_id_.fetch_add(1) + 1; }
  ServerOptions options() const;
  std::string requirepass() const;
  // Cheap check for the hot path: is a password configured?
  bool auth_required() const { return auth_required_.load(std::memory_order_relaxed); }
  Status ConfigSet(std::string_view name, std::string_view value);
  // SCAN cursors: numeric ids (so every client library can parse them) naming the last key
  // returned; kept for the most recent kMaxCursors scans.
  uint64_t SaveCursor(std::string last_key);
  bool LoadCursor(uint64_t id, std::string* last_key);
  // False (with the reason) when the engine is in its read-only error state.
  bool Healthy(std::string* why);
  // Connected clients' states, for CLIENT LIST.
  std::vector<std::string> ClientDescriptions();

  // From connections.
  void Register(const std::shared_ptr<Connection>& c);
  void Unregister(Connection* c);
  bool shutting_down() const { return shutting_down_.load(); }
  // The io_context (I/O thread) the next accepted connection will live on.
  asio::io_context& NextIoContext();
  // The group commit of the I/O thread that runs `io` (one of NextIoContext's).
  CommitGroup* CommitGroupOf(const asio::execution_context& io);

 private:
  void BackgroundLoop();
  void BeginShutdown();
  std::string Metrics();

  mutable std::mutex mu_;  // guards options_ (mutable fields), cursors_, connections_
  ServerOptions options_;
  CommandTable commands_;
  std::unique_ptr<ServerStats> stats_;
  std::unique_ptr<DB> db_;
  std::unique_ptr<Keyspace> keyspace_;
  // One io_context per I/O thread, each run by exactly that thread: a connection lives on one
  // of them (round-robin at accept), so its handlers never need a strand and the threads
  // share no reactor lock and never wake each other. ios_[0] also runs the acceptor, the HTTP
  // server and the signal handler.
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::atomic<size_t> next_io_{0};
  // groups_[i] is a service of ios_[i] (destroyed with it).
  std::vector<CommitGroup*> groups_;
  std::unique_ptr<Listener> listener_;
  std::unique_ptr<HttpServer> http_;
  int bound_port_ = 0;
  int bound_http_port_ = 0;
  int64_t start_ms_ = 0;
  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<bool> shutting_down_{false};
  std::atomic<bool> auth_required_{false};

  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections_;
  std::condition_variable drained_cv_;

  static constexpr size_t kMaxCursors = 65536;
  uint64_t next_cursor_ = 0;
  std::unordered_map<uint64_t, std::string> cursors_;
  std::deque<uint64_t> cursor_order_;

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;
  std::thread bg_thread_;
};

}  // namespace jadedb::server
