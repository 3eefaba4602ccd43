#include "server/server.h"

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <cstdio>

#include "server/command_clock.h"
#include "server/connection.h"
#include "server/http/engine_stats.h"
#include "server/http/http_server.h"

namespace jadedb::server {

int DefaultIoThreads() {
  // Database calls run on the I/O threads, so more threads than cores only adds switching; one
  // core is left to the engine's flushes and compactions, the sync thread and, on a small
  // machine, the clients (on 2 cores with redis-benchmark beside it, a second I/O thread took
  // CPU from the client and raised context switches per request by ~40%).
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(cores > 1 ? cores - 1 : 1);
}

// Accepts RESP clients and hands each to a Connection on one of the I/O threads.
class Listener {
 public:
  Listener(Server* server, asio::io_context& io, const RespLimits& limits)
      : server_(server), acceptor_(io), limits_(limits) {}

  Status Listen(const std::string& address, int port) {
    std::error_code ec;
    asio::ip::address addr = asio::ip::make_address(address, ec);
    if (ec) return Status::InvalidArgument("bad bind address", address);
    asio::ip::tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::IOError("cannot listen on " + address + ":" + std::to_string(port),
                             ec.message());
    }
    return Status::OK();
  }

  int port() const {
    std::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }

  void Accept() {
    acceptor_.async_accept(server_->NextIoContext(),
                           [this](std::error_code ec, asio::ip::tcp::socket socket) {
                             if (ec == asio::error::operation_aborted || !acceptor_.is_open())
                               return;
                             if (!ec) OnAccept(std::move(socket));
                             Accept();
                           });
  }

  void Stop() {
    std::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  void OnAccept(asio::ip::tcp::socket socket) {
    ServerStats* st = server_->stats();
    if (st->connected_clients.load() >= server_->options().maxclients) {
      st->rejected_connections.fetch_add(1);
      static const char kMsg[] = "-ERR max number of clients reached\r\n";
      std::error_code ignored;
      asio::write(socket, asio::buffer(kMsg, sizeof(kMsg) - 1), ignored);
      socket.close(ignored);
      return;
    }
    auto conn = std::make_shared<Connection>(server_, std::move(socket), limits_);
    server_->Register(conn);
    conn->Start();
  }

  Server* server_;
  asio::ip::tcp::acceptor acceptor_;
  RespLimits limits_;
};

Server::Server(const ServerOptions& options)
    : options_(options), stats_(std::make_unique<ServerStats>(commands_.all().size())) {
  auth_required_ = !options_.requirepass.empty();
}

Server::~Server() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_thread_.joinable()) bg_thread_.join();
}

ServerOptions Server::options() const {
  std::lock_guard<std::mutex> l(mu_);
  return options_;
}

std::string Server::requirepass() const {
  std::lock_guard<std::mutex> l(mu_);
  return options_.requirepass;
}

Status Server::ConfigSet(std::string_view name, std::string_view value) {
  std::lock_guard<std::mutex> l(mu_);
  if (name == "requirepass" || name == "maxclients" || name == "hz") {
    Status s = SetServerOption(&options_, name, value);
    auth_required_ = !options_.requirepass.empty();
    return s;
  }
  if (name == "sync" || name == "appendfsync") {
    SyncPolicy p;
    if (!ParseSyncPolicy(value, &p))
      return Status::InvalidArgument("argument must be always, everysec or never");
    if (p != options_.sync) {
      return Status::NotSupported("the sync policy is fixed at startup (--sync)");
    }
    return Status::OK();
  }
  if (name == "save" || name == "appendonly") return Status::OK();  // accepted, no effect
  std::string ignored;
  if (GetServerOption(options_, name, &ignored)) {
    return Status::InvalidArgument("can't set immutable config");
  }
  return Status::InvalidArgument("Unknown option or number of arguments for CONFIG SET");
}

uint64_t Server::SaveCursor(std::string last_key) {
  std::lock_guard<std::mutex> l(mu_);
  const uint64_t id = ++next_cursor_;
  cursors_[id] = std::move(last_key);
  cursor_order_.push_back(id);
  while (cursor_order_.size() > kMaxCursors) {
    cursors_.erase(cursor_order_.front());
    cursor_order_.pop_front();
  }
  return id;
}

bool Server::LoadCursor(uint64_t id, std::string* last_key) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = cursors_.find(id);
  if (it == cursors_.end()) return false;
  *last_key = it->second;
  return true;
}

bool Server::Healthy(std::string* why) {
  if (db_ == nullptr) {
    *why = "database not open";
    return false;
  }
  std::string err;
  if (db_->GetProperty("jadedb.background-error", &err) && !err.empty() && err != "OK") {
    *why = err;
    return false;
  }
  return true;
}

std::vector<std::string> Server::ClientDescriptions() {
  std::vector<std::string> out;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [raw, weak] : connections_) {
    if (auto c = weak.lock()) {
      out.push_back("id=" + std::to_string(c->id()) + " addr=" + c->addr());
    }
  }
  return out;
}

void Server::Register(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> l(mu_);
  connections_[c.get()] = c;
  stats_->connected_clients.fetch_add(1);
  stats_->total_connections.fetch_add(1);
}

void Server::Unregister(Connection* c) {
  std::lock_guard<std::mutex> l(mu_);
  if (connections_.erase(c) > 0) stats_->connected_clients.fetch_sub(1);
  if (connections_.empty()) drained_cv_.notify_all();
}

Status Server::Open() {
  Options opts;
  opts.create_if_missing = true;
  if (!ParseEngineType(options_.engine, &opts.engine)) {
    return Status::InvalidArgument("unknown engine", options_.engine);
  }
  opts.lsm.write_buffer_size = static_cast<size_t>(options_.write_buffer_mb) << 20;
  opts.lsm.block_cache_size = static_cast<size_t>(options_.cache_mb) << 20;
  opts.env = options_.env;
  Status s = DB::Open(opts, options_.dir, &db_);
  if (!s.ok()) return s;
  keyspace_ = std::make_unique<Keyspace>(db_.get(), options_.sync, stats_.get());
  start_ms_ = NowMs();
  CommandClock::Init();  // calibrates now rather than on the first command

  const int threads = options_.threads > 0 ? options_.threads : DefaultIoThreads();
  for (int i = 0; i < threads; i++) {
    // Concurrency hint 1: each io_context is run by one thread.
    ios_.push_back(std::make_unique<asio::io_context>(1));
    groups_.push_back(&asio::make_service<CommitGroup>(*ios_.back(), keyspace_.get()));
  }
  asio::io_context& io = *ios_[0];
  RespLimits limits;
  limits.max_bulk_len = options_.proto_max_bulk_len;
  limits.max_args = options_.max_args;
  listener_ = std::make_unique<Listener>(this, io, limits);
  s = listener_->Listen(options_.bind, options_.port);
  if (!s.ok()) return s;
  bound_port_ = listener_->port();
  if (options_.http_port != 0) {
    http_ = std::make_unique<HttpServer>(
        io, [this](const std::string& method, const std::string& path) {
          HttpResponse r;
          if (path != "/metrics" && path != "/health")
            return HttpResponse{404, "text/plain", "not found\n"};
          if (method != "GET" && method != "HEAD")
            return HttpResponse{405, "text/plain", "GET only\n"};
          if (path == "/health") {
            std::string why;
            if (shutting_down()) return HttpResponse{503, "text/plain", "shutting down\n"};
            if (!Healthy(&why)) return HttpResponse{503, "text/plain", "read-only: " + why + "\n"};
            return HttpResponse{200, "text/plain", "OK\n"};
          }
          r.content_type = "text/plain; version=0.0.4; charset=utf-8";
          r.body = Metrics();
          return r;
        });
    s = http_->Listen(options_.bind, options_.http_port);
    if (!s.ok()) return s;
    bound_http_port_ = http_->port();
  }
  return Status::OK();
}

CommitGroup* Server::CommitGroupOf(const asio::execution_context& io) {
  for (size_t i = 0; i < ios_.size(); i++) {
    if (ios_[i].get() == &io) return groups_[i];
  }
  return nullptr;  // not an I/O thread's: a programming error
}

asio::io_context& Server::NextIoContext() {
  return *ios_[next_io_.fetch_add(1, std::memory_order_relaxed) % ios_.size()];
}

void Server::RequestShutdown() {
  {
    std::lock_guard<std::mutex> l(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
}

void Server::BackgroundLoop() {
  using namespace std::chrono;
  auto last_sync = steady_clock::now();
  std::unique_lock<std::mutex> l(bg_mu_);
  while (!bg_stop_) {
    const int hz = std::max(1, options().hz);
    bg_cv_.wait_for(l, milliseconds(1000 / hz));
    if (bg_stop_) break;
    l.unlock();
    // Active expiry: a slice of the keyspace per tick, like Redis's sampler.
    keyspace_->SweepExpired(2000);
    if (keyspace_->sync_policy() == SyncPolicy::kEverySec &&
        steady_clock::now() - last_sync >= seconds(1)) {
      Status s = keyspace_->SyncWal();
      if (!s.ok())
        std::fprintf(stderr, "jadedb-server: background sync failed: %s\n", s.ToString().c_str());
      last_sync = steady_clock::now();
    }
    l.lock();
  }
}

namespace {

// Runs an I/O thread's io_context until it is stopped. With spin > 0 the thread, when it runs
// out of ready handlers, keeps polling (epoll_wait with no timeout) for up to spin before it
// blocks: a client whose next request arrives within that time finds the thread awake, so
// its send need not wake a sleeping thread (a scheduler wakeup, paid by the sender). Measured
// under redis-benchmark -P 16 on 2 cores: context switches 8,500-10,700 -> 250-430 per million
// GETs (redis-server: 300-1,000) and +8% requests/s (server.md). The spin is adaptive, so a
// lightly loaded server does not burn a core: after a spin that found nothing the thread
// blocks, and it spins again only if that block was shorter than spin (events come often
// enough for spinning to catch them).
void RunIoContext(asio::io_context& ctx, std::chrono::microseconds spin) {
  if (spin.count() <= 0) {
    ctx.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  bool spin_next = true;
  while (!ctx.stopped()) {
    if (ctx.poll() > 0) continue;
    size_t ran = 0;
    if (spin_next) {
      const auto until = Clock::now() + spin;
      while (!ctx.stopped() && (ran = ctx.poll()) == 0 && Clock::now() < until) {
      }
    }
    if (ran > 0 || ctx.stopped()) continue;
    const auto blocked_at = Clock::now();
    ctx.run_one();
    spin_next = Clock::now() - blocked_at < spin;
  }
}

}  // namespace

Status Server::Run(bool handle_signals) {
  asio::io_context& io = *ios_[0];
  auto signals = std::make_unique<asio::signal_set>(io);
  if (handle_signals) {
    signals->add(SIGINT);
    signals->add(SIGTERM);
    signals->async_wait([this](std::error_code ec, int) {
      if (!ec) RequestShutdown();
    });
  }
  listener_->Accept();
  bg_thread_ = std::thread([this] { BackgroundLoop(); });

  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<WorkGuard> work;
  std::vector<std::thread> threads;
  for (auto& ctx : ios_) {
    work.push_back(asio::make_work_guard(*ctx));
    threads.emplace_back([&ctx, spin = std::chrono::microseconds(options_.busy_poll_us)] {
      RunIoContext(*ctx, spin);
    });
  }

  bg_thread_.join();  // returns once RequestShutdown was called

  // Graceful shutdown: stop accepting, let in-flight requests finish, close idle clients.
  shutting_down_ = true;
  asio::post(io, [this, &signals] {
    std::error_code ignored;
    signals->cancel(ignored);
    listener_->Stop();
    if (http_) http_->Stop();
  });
  {
    std::unique_lock<std::mutex> l(mu_);
    for (auto& [raw, weak] : connections_) {
      if (auto c = weak.lock()) c->Stop();
    }
    drained_cv_.wait_for(l, std::chrono::seconds(10), [this] { return connections_.empty(); });
  }
  work.clear();
  for (auto& ctx : ios_) ctx->stop();
  for (std::thread& t : threads) t.join();
  // Destroy every socket and pending handler (connections still open after the grace period)
  // while the keyspace they point to is alive.
  signals.reset();
  http_.reset();
  listener_.reset();
  {
    std::lock_guard<std::mutex> l(mu_);
    connections_.clear();
  }
  groups_.clear();
  ios_.clear();

  // Every acknowledged write reaches stable storage before the DB closes.
  Status s = keyspace_->SyncWal();
  keyspace_.reset();
  db_.reset();
  return s;
}

std::string Server::Metrics() {
  std::string m;
  auto line = [&m](const std::string& s) {
    m += s;
    m += '\n';
  };
  auto num = [](double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    return std::string(buf);
  };
  line("# HELP jadedb_commands_total Commands processed, by command.");
  line("# TYPE jadedb_commands_total counter");
  const auto& specs = commands_.all();
  for (const CommandSpec& spec : specs) {
    const CommandTotals cs = stats_->CommandTotal(spec.id);
    if (cs.calls == 0) continue;
    line(std::string("jadedb_commands_total{cmd=\"") + spec.name + "\"} " +
         std::to_string(cs.calls));
  }
  line("# HELP jadedb_command_errors_total Commands answered with an error, by command.");
  line("# TYPE jadedb_command_errors_total counter");
  for (const CommandSpec& spec : specs) {
    const CommandTotals cs = stats_->CommandTotal(spec.id);
    if (cs.calls == 0) continue;
    line(std::string("jadedb_command_errors_total{cmd=\"") + spec.name + "\"} " +
         std::to_string(cs.errors));
  }
  line("# HELP jadedb_command_duration_seconds Time to execute a command (excluding network I/O).");
  line("# TYPE jadedb_command_duration_seconds histogram");
  for (const CommandSpec& spec : specs) {
    const CommandTotals cs = stats_->CommandTotal(spec.id);
    if (cs.calls == 0) continue;
    const std::string lbl = std::string("cmd=\"") + spec.name + "\"";
    uint64_t cum = 0;
    for (size_t b = 0; b < cs.buckets.size(); b++) {
      cum += cs.buckets[b];
      const std::string le =
          b < kLatencyBucketsUs.size() ? num(kLatencyBucketsUs[b] / 1e6) : "+Inf";
      line("jadedb_command_duration_seconds_bucket{" + lbl + ",le=\"" + le + "\"} " +
           std::to_string(cum));
    }
    line("jadedb_command_duration_seconds_sum{" + lbl + "} " +
         num(static_cast<double>(cs.usec) / 1e6));
    line("jadedb_command_duration_seconds_count{" + lbl + "} " + std::to_string(cum));
  }
  auto scalar = [&](const char* name, const char* type, const char* help, double v) {
    line(std::string("# HELP ") + name + " " + help);
    line(std::string("# TYPE ") + name + " " + type);
    line(std::string(name) + " " + num(v));
  };
  ServerStats* st = stats_.get();
  scalar("jadedb_connected_clients", "gauge", "Connected RESP clients.",
         st->connected_clients.load());
  scalar("jadedb_connections_total", "counter", "Connections accepted.",
         st->total_connections.load());
  scalar("jadedb_rejected_connections_total", "counter", "Connections refused (maxclients).",
         st->rejected_connections.load());
  scalar("jadedb_net_input_bytes_total", "counter", "Bytes read from clients.",
         st->bytes_in.load());
  scalar("jadedb_net_output_bytes_total", "counter", "Bytes sent to clients.",
         st->bytes_out.load());
  scalar("jadedb_keyspace_hits_total", "counter", "GETs that found their key.",
         st->keyspace_hits());
  scalar("jadedb_keyspace_misses_total", "counter", "GETs that did not.", st->keyspace_misses());
  scalar("jadedb_expired_keys_total", "counter", "Keys removed by active expiry.",
         st->expired_keys.load());
  scalar("jadedb_protocol_errors_total", "counter", "Connections closed for malformed RESP.",
         st->protocol_errors.load());
  scalar("jadedb_write_batches_total", "counter", "Write groups committed to the engine.",
         st->batches_committed.load());
  scalar("jadedb_syncs_total", "counter", "Synced writes requested by the server.",
         st->syncs.load());
  scalar("jadedb_write_errors_total", "counter", "Failed commits.", st->write_errors.load());
  std::string why;
  scalar("jadedb_healthy", "gauge", "1 when serving, 0 in the read-only error state.",
         Healthy(&why) ? 1 : 0);
  std::string text;
  if (db_ && db_->GetProperty("jadedb.stats", &text)) {
    std::vector<EngineMetric> metrics = ParseEngineStats(text);
    // Prometheus wants each metric's samples together, under one HELP/TYPE.
    std::stable_sort(metrics.begin(), metrics.end(),
                     [](const EngineMetric& a, const EngineMetric& b) { return a.name < b.name; });
    std::string last;
    for (const EngineMetric& em : metrics) {
      const std::string name = "jadedb_engine_" + em.name;
      if (name != last) {
        line("# HELP " + name + " " + em.help + ".");
        line("# TYPE " + name + " gauge");
        last = name;
      }
      line(name + (em.label.empty() ? "" : "{" + em.label + "}") + " " + num(em.value));
    }
  }
  return m;
}

}  // namespace jadedb::server
