#include "server/server_options.h"

#include <charconv>
#include <fstream>
#include <sstream>

namespace jadedb::server {
namespace {

struct OptionInfo {
  const char* name;
  const char* help;
};

const OptionInfo kOptions[] = {
    {"config", "FILE  read options from FILE (lines: name value)"},
    {"dir", "PATH  database directory (default ./jadedb-data)"},
    {"engine", "lsm|bplustree  storage engine for a new database (default lsm)"},
    {"bind", "ADDR  address to listen on (default 127.0.0.1)"},
    {"port", "N  RESP port (default 6380)"},
    {"http-port", "N  HTTP port for /metrics and /health (default 8080, 0 = off)"},
    {"requirepass", "PASS  require AUTH PASS before any command"},
    {"maxclients", "N  most simultaneous clients (default 10000)"},
    {"sync", "always|everysec|never  when writes reach stable storage (default everysec)"},
    {"write-buffer-mb", "N  engine write buffer (memtable) size in MiB (default 8)"},
    {"cache-mb", "N  engine block cache size in MiB (default 32)"},
    {"threads", "N  I/O threads (default: one per core less one, at least one)"},
    {"busy-poll-us", "N  microseconds an idle I/O thread polls before it sleeps (default 50)"},
    {"proto-max-bulk-len", "BYTES  largest bulk string accepted (default 536870912)"},
    {"max-args", "N  most arguments in one request (default 1048576)"},
    {"hz", "N  background expiry sweeps per second (default 10)"},
};

template <typename T>
bool ParseNumber(std::string_view s, T* out, T min, T max) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) return false;
  *out = v;
  return true;
}

Status Bad(std::string_view name, std::string_view value) {
  return Status::InvalidArgument("invalid value for option '" + std::string(name) + "'",
                                 std::string(value));
}

}  // namespace

const char* SyncPolicyName(SyncPolicy p) {
  switch (p) {
    case SyncPolicy::kAlways:
      return "always";
    case SyncPolicy::kEverySec:
      return "everysec";
    case SyncPolicy::kNever:
      return "never";
  }
  return "?";
}

bool ParseSyncPolicy(std::string_view s, SyncPolicy* p) {
  if (s == "always")
    *p = SyncPolicy::kAlways;
  else if (s == "everysec")
    *p = SyncPolicy::kEverySec;
  else if (s == "never")
    *p = SyncPolicy::kNever;
  else
    return false;
  return true;
}

const std::vector<std::string>& ServerOptionNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const OptionInfo& o : kOptions) v.push_back(o.name);
    return v;
  }();
  return names;
}

Status SetServerOption(ServerOptions* o, std::string_view name, std::string_view value) {
  if (name == "dir")
    o->dir = value;
  else if (name == "engine") {
    if (value != "lsm" && value != "bplustree") return Bad(name, value);
    o->engine = value;
  } else if (name == "bind")
    o->bind = value;
  else if (name == "port") {
    if (!ParseNumber(value, &o->port, 0, 65535)) return Bad(name, value);
  } else if (name == "http-port") {
    if (!ParseNumber(value, &o->http_port, 0, 65535)) return Bad(name, value);
  } else if (name == "requirepass")
    o->requirepass = value;
  else if (name == "maxclients") {
    if (!ParseNumber(value, &o->maxclients, 1, 1000000)) return Bad(name, value);
  } else if (name == "sync" || name == "appendfsync") {
    if (!ParseSyncPolicy(value, &o->sync)) return Bad(name, value);
  } else if (name == "write-buffer-mb") {
    if (!ParseNumber(value, &o->write_buffer_mb, 1, 1 << 16)) return Bad(name, value);
  } else if (name == "cache-mb") {
    if (!ParseNumber(value, &o->cache_mb, 0, 1 << 20)) return Bad(name, value);
  } else if (name == "threads") {
    if (!ParseNumber(value, &o->threads, 0, 1024)) return Bad(name, value);
  } else if (name == "busy-poll-us") {
    if (!ParseNumber(value, &o->busy_poll_us, 0, 1000000)) return Bad(name, value);
  } else if (name == "proto-max-bulk-len") {
    if (!ParseNumber<uint64_t>(value, &o->proto_max_bulk_len, 1, 1ull << 30)) {
      return Bad(name, value);
    }
  } else if (name == "max-args") {
    if (!ParseNumber<uint64_t>(value, &o->max_args, 1, 1ull << 31)) return Bad(name, value);
  } else if (name == "hz") {
    if (!ParseNumber(value, &o->hz, 1, 500)) return Bad(name, value);
  } else {
    return Status::InvalidArgument("unknown option", std::string(name));
  }
  return Status::OK();
}

bool GetServerOption(const ServerOptions& o, std::string_view name, std::string* v) {
  if (name == "dir")
    *v = o.dir;
  else if (name == "engine")
    *v = o.engine;
  else if (name == "bind")
    *v = o.bind;
  else if (name == "port")
    *v = std::to_string(o.port);
  else if (name == "http-port")
    *v = std::to_string(o.http_port);
  else if (name == "requirepass")
    *v = o.requirepass;
  else if (name == "maxclients")
    *v = std::to_string(o.maxclients);
  else if (name == "sync" || name == "appendfsync")
    *v = SyncPolicyName(o.sync);
  else if (name == "write-buffer-mb")
    *v = std::to_string(o.write_buffer_mb);
  else if (name == "cache-mb")
    *v = std::to_string(o.cache_mb);
  else if (name == "threads")
    *v = std::to_string(o.threads);
  else if (name == "busy-poll-us")
    *v = std::to_string(o.busy_poll_us);
  else if (name == "proto-max-bulk-len")
    *v = std::to_string(o.proto_max_bulk_len);
  else if (name == "max-args")
    *v = std::to_string(o.max_args);
  else if (name == "hz")
    *v = std::to_string(o.hz);
  else
    return false;
  return true;
}

Status LoadConfigFile(const std::string& path, ServerOptions* opts) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot open config file", path);
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_last_not_of(" \t\r");
    std::string_view content(line.data() + b, e - b + 1);
    size_t sp = content.find_first_of(" \t");
    std::string_view name = content.substr(0, sp);
    std::string_view value;
    if (sp != std::string_view::npos) {
      value = content.substr(sp);
      value.remove_prefix(value.find_first_not_of(" \t"));
    }
    if (name.starts_with("--")) name.remove_prefix(2);
    if (name == "config") {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno),
                                     "config files cannot include others");
    }
    Status s = SetServerOption(opts, name, value);
    if (!s.ok()) {
      return Status::InvalidArgument(path + ":" + std::to_string(lineno), std::string(s.message()));
    }
  }
  return Status::OK();
}

Status ParseServerFlags(int argc, const char* const* argv, ServerOptions* opts) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (int i = 0; i < argc; i++) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      opts->help = true;
      continue;
    }
    if (!arg.starts_with("--")) return Status::InvalidArgument("unexpected argument", arg);
    arg.remove_prefix(2);
    std::string name, value;
    size_t eq = arg.find('=');
    if (eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= argc) return Status::InvalidArgument("missing value for option", arg);
      name = arg;
      value = argv[++i];
    }
    flags.emplace_back(std::move(name), std::move(value));
  }
  for (const auto& [name, value] : flags) {
    if (name == "config") {
      Status s = LoadConfigFile(value, opts);
      if (!s.ok()) return s;
    }
  }
  for (const auto& [name, value] : flags) {
    if (name == "config") continue;
    Status s = SetServerOption(opts, name, value);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

std::string ServerHelpText() {
  std::ostringstream out;
  out << "Usage: jadedb-server [--name value]...\n"
         "Serves a JadeDB database over the Redis protocol (RESP2/RESP3).\n\nOptions (also "
         "accepted in a --config file as 'name value' lines):\n";
  for (const OptionInfo& o : kOptions) out << "  --" << o.name << " " << o.help << "\n";
  out << "  --help  show this text\n";
  return out.str();
}

}  // namespace jadedb::server
