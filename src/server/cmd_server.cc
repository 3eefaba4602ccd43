// Connection and server commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, COMMAND, CLIENT,
// INFO, CONFIG.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "server/command.h"
#include "server/glob.h"
#include "server/http/engine_stats.h"
#include "server/server.h"

namespace jadedb::server {
namespace {

constexpr const char* kRedisCompatVersion = "7.0.15";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void Ping(CommandCall& c) {
  if (c.args.size() > 2) return c.Error(WrongArityError(c.args[0]));
  if (c.args.size() == 2) return c.out->Bulk(c.args[1]);
  c.out->Simple("PONG");
}

void Echo(CommandCall& c) { c.out->Bulk(c.args[1]); }

// True when (user, pass) is accepted; replies the error otherwise.
bool CheckPassword(CommandCall& c, std::string_view user, std::string_view pass) {
  const std::string required = c.server->requirepass();
  if (user == "default" && pass == required) {
    c.client->authed = true;
    return true;
  }
  c.Error("WRONGPASS invalid username-password pair or user is disabled.");
  return false;
}

void Auth(CommandCall& c) {
  if (c.args.size() > 3) return c.Error(kErrSyntax);
  if (c.server->requirepass().empty() && c.args.size() == 2) {
    return c.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are "
        "you sure your configuration is correct?");
  }
  std::string_view user = c.args.size() == 3 ? c.args[1] : "default";
  if (CheckPassword(c, user, c.args.back())) c.out->Ok();
}

void Hello(CommandCall& c) {
  int64_t proto = c.client->resp;
  size_t i = 1;
  if (c.args.size() >= 2) {
    if (!ParseInt64(c.args[1], &proto)) {
      return c.Error("ERR Protocol version is not an integer or out of range");
    }
    if (proto < 2 || proto > 3) return c.Error("NOPROTO unsupported protocol version");
    i = 2;
  }
  std::string setname;
  bool has_setname = false;
  for (; i < c.args.size(); i++) {
    std::string lower = Lower(c.args[i]);
    if (lower == "auth" && i + 2 < c.args.size()) {
      if (c.server->requirepass().empty()) {
        // Redis accepts HELLO AUTH default <anything> when no password is set.
        if (c.args[i + 1] != "default") {
          return c.Error("WRONGPASS invalid username-password pair or user is disabled.");
        }
        c.client->authed = true;
      } else if (!CheckPassword(c, c.args[i + 1], c.args[i + 2])) {
        return;
      }
      i += 2;
    } else if (lower == "setname" && i + 1 < c.args.size()) {
      setname = c.args[++i];
      has_setname = true;
    } else {
      return c.Error("ERR Syntax error in HELLO option '" + std::string(c.args[i]) + "'");
    }
  }
  if (!c.server->requirepass().empty() && !c.client->authed) {
    return c.Error(
        "NOAUTH HELLO must be called with the client already authenticated, "
        "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
        "authenticate the client and select the RESP protocol version at the same "
        "time");
  }
  if (has_setname) c.client->name = setname;
  c.client->resp = static_cast<int>(proto);
  c.out->set_protocol(c.client->resp);
  c.out->MapHeader(7);
  c.out->Bulk("server");
  c.out->Bulk("redis");
  c.out->Bulk("version");
  c.out->Bulk(kRedisCompatVersion);
  c.out->Bulk("proto");
  c.out->Integer(proto);
  c.out->Bulk("id");
  c.out->Integer(static_cast<int64_t>(c.client->id));
  c.out->Bulk("mode");
  c.out->Bulk("standalone");
  c.out->Bulk("role");
  c.out->Bulk("master");
  c.out->Bulk("modules");
  c.out->ArrayHeader(0);
}

void Select(CommandCall& c) {
  int64_t db = 0;
  if (!ParseInt64(c.args[1], &db)) return c.Error(kErrNotInteger);
  if (db != 0) return c.Error("ERR DB index is out of range");
  c.out->Ok();
}

void Quit(CommandCall& c) {
  c.client->close_after_reply = true;
  c.out->Ok();
}

void CommandInfo(CommandCall& c, const CommandSpec& s) {
  c.out->ArrayHeader(6);
  c.out->Bulk(s.name);
  c.out->Integer(s.arity);
  std::vector<const char*> flags;
  if (s.flags & kCmdWrite) flags.push_back("write");
  if (s.flags & kCmdReadOnly) flags.push_back("readonly");
  if (s.flags & kCmdAdmin) flags.push_back("admin");
  if (s.flags & kCmdNoAuth) flags.push_back("no_auth");
  if (s.flags & kCmdFast) flags.push_back("fast");
  c.out->SetHeader(static_cast<int64_t>(flags.size()));
  for (const char* f : flags) c.out->Simple(f);
  c.out->Integer(s.first_key);
  c.out->Integer(s.last_key);
  c.out->Integer(s.step);
}

void Command(CommandCall& c) {
  const auto& all = c.server->commands().all();
  if (c.args.size() == 1) {
    c.out->ArrayHeader(static_cast<int64_t>(all.size()));
    for (const CommandSpec& s : all) CommandInfo(c, s);
    return;
  }
  std::string sub = Lower(c.args[1]);
  if (sub == "count") return c.out->Integer(static_cast<int64_t>(all.size()));
  if (sub == "docs") return c.out->MapHeader(0);  // redis-cli copes with no docs
  if (sub == "info") {
    c.out->ArrayHeader(static_cast<int64_t>(c.args.size() - 2));
    for (size_t i = 2; i < c.args.size(); i++) {
      const CommandSpec* s = c.server->commands().Find(c.args[i]);
      s ? CommandInfo(c, *s) : c.out->NullArray();
    }
    return;
  }
  if (sub == "list") {
    c.out->ArrayHeader(static_cast<int64_t>(all.size()));
    for (const CommandSpec& s : all) c.out->Bulk(s.name);
    return;
  }
  c.Error("ERR unknown subcommand '" + std::string(c.args[1]) + "'. Try COMMAND HELP.");
}

void Client(CommandCall& c) {
  std::string sub = Lower(c.args[1]);
  if (sub == "id" && c.args.size() == 2) return c.out->Integer(static_cast<int64_t>(c.client->id));
  if (sub == "getname" && c.args.size() == 2) {
    return c.client->name.empty() ? c.out->Null() : c.out->Bulk(c.client->name);
  }
  if (sub == "setname" && c.args.size() == 3) {
    for (char ch : c.args[2]) {
      if (ch < '!' || ch > '~') {
        return c.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    }
    c.client->name = c.args[2];
    return c.out->Ok();
  }
  if (sub == "list" && c.args.size() == 2) {
    std::string text;
    for (const std::string& line : c.server->ClientDescriptions()) text += line + "\n";
    return c.out->Verbatim(text);
  }
  if (sub == "setinfo" && c.args.size() == 4) return c.out->Ok();  // accepted, not stored
  if (sub == "info" && c.args.size() == 2) {
    return c.out->Verbatim("id=" + std::to_string(c.client->id) + " addr=" + c.client->addr +
                           " name=" + c.client->name + " resp=" + std::to_string(c.client->resp) +
                           "\n");
  }
  c.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.args[1]) +
          "'. Try CLIENT HELP.");
}

void AppendField(std::string* s, std::string_view name, const std::string& value) {
  s->append(name);
  s->push_back(':');
  s->append(value);
  s->append("\r\n");
}

void Info(CommandCall& c) {
  std::vector<std::string> want;
  for (size_t i = 1; i < c.args.size(); i++) want.push_back(Lower(c.args[i]));
  auto wanted = [&](const char* section) {
    if (want.empty()) return true;
    for (const std::string& w : want) {
      if (w == section || w == "all" || w == "everything" || w == "default") return true;
    }
    return false;
  };
  Server* srv = c.server;
  ServerStats* st = srv->stats();
  const ServerOptions opts = srv->options();
  std::string s;
  auto ld = [](auto v) { return std::to_string(v); };
  if (wanted("server")) {
    s += "# Server\r\n";
    AppendField(&s, "redis_version", kRedisCompatVersion);
    AppendField(&s, "jadedb_version", "0.1.0");
    AppendField(&s, "redis_mode", "standalone");
    AppendField(&s, "engine", EngineTypeName(srv->db()->engine()));
    AppendField(&s, "arch_bits", ld(sizeof(void*) * 8));
    AppendField(&s, "process_id", ld(getpid()));
    AppendField(&s, "tcp_port", ld(srv->port()));
    AppendField(&s, "http_port", ld(srv->http_port()));
    const int64_t up = (NowMs() - srv->start_ms()) / 1000;
    AppendField(&s, "uptime_in_seconds", ld(up));
    AppendField(&s, "uptime_in_days", ld(up / 86400));
    AppendField(&s, "dir", opts.dir);
    s += "\r\n";
  }
  if (wanted("clients")) {
    s += "# Clients\r\n";
    AppendField(&s, "connected_clients", ld(st->connected_clients.load()));
    AppendField(&s, "maxclients", ld(opts.maxclients));
    s += "\r\n";
  }
  if (wanted("stats")) {
    s += "# Stats\r\n";
    AppendField(&s, "total_connections_received", ld(st->total_connections.load()));
    AppendField(&s, "total_commands_processed", ld(st->total_commands()));
    AppendField(&s, "total_net_input_bytes", ld(st->bytes_in.load()));
    AppendField(&s, "total_net_output_bytes", ld(st->bytes_out.load()));
    AppendField(&s, "rejected_connections", ld(st->rejected_connections.load()));
    AppendField(&s, "expired_keys", ld(st->expired_keys.load()));
    AppendField(&s, "keyspace_hits", ld(st->keyspace_hits()));
    AppendField(&s, "keyspace_misses", ld(st->keyspace_misses()));
    AppendField(&s, "total_error_replies", ld(st->total_errors()));
    AppendField(&s, "protocol_errors", ld(st->protocol_errors.load()));
    s += "\r\n";
  }
  if (wanted("persistence")) {
    s += "# Persistence\r\n";
    AppendField(&s, "loading", "0");
    AppendField(&s, "aof_enabled", "1");
    AppendField(&s, "appendfsync", SyncPolicyName(opts.sync));
    AppendField(&s, "write_batches_committed", ld(st->batches_committed.load()));
    AppendField(&s, "wal_syncs_requested", ld(st->syncs.load()));
    AppendField(&s, "write_errors", ld(st->write_errors.load()));
    std::string why;
    AppendField(&s, "engine_healthy", srv->Healthy(&why) ? "1" : "0");
    s += "\r\n";
  }
  if (wanted("engine")) {
    s += "# Engine\r\n";
    std::string text;
    if (srv->db()->GetProperty("jadedb.stats", &text)) {
      for (const EngineMetric& m : ParseEngineStats(text)) {
        std::string name = m.name;
        if (!m.label.empty()) {
          // level="3" -> _level3
          std::string lbl;
          for (char ch : m.label) {
            if (std::isalnum(static_cast<unsigned char>(ch))) lbl.push_back(ch);
          }
          name += "_" + lbl;
        }
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.15g", m.value);
        AppendField(&s, name, buf);
      }
    }
    s += "\r\n";
  }
  if (wanted("keyspace")) {
    s += "# Keyspace\r\n";
    // An estimate, never a scan (INFO is polled by monitoring): the engine's key count where it
    // has one, else the last complete pass of the expiry sweeper. DBSIZE is exact.
    int64_t keys = 0, expires = 0;
    Keyspace* ks = srv->keyspace();
    const bool swept = ks->KeyEstimate(&keys, &expires);
    std::string engine_keys;
    if (srv->db()->GetProperty("jadedb.estimate-num-keys", &engine_keys)) {
      // Counts stored keys, expired ones not yet swept too.
      keys = std::strtoll(engine_keys.c_str(), nullptr, 10);
      expires = std::min(keys, expires);
    } else if (!swept) {
      keys = 0;  // no figure yet: the first pass takes keys / (2000 * hz) seconds
    }
    if (keys > 0) {
      AppendField(&s, "db0", "keys=" + ld(keys) + ",expires=" + ld(expires) + ",avg_ttl=0");
    }
    s += "\r\n";
  }
  c.out->Verbatim(s);
}

// Option names CONFIG GET knows: ours plus the Redis names clients ask for.
std::vector<std::pair<std::string, std::string>> ConfigPairs(Server* srv) {
  const ServerOptions o = srv->options();
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& name : ServerOptionNames()) {
    std::string v;
    if (GetServerOption(o, name, &v)) out.emplace_back(name, v);
  }
  out.emplace_back("appendfsync", SyncPolicyName(o.sync));
  out.emplace_back("appendonly", "yes");
  out.emplace_back("save", "");
  out.emplace_back("databases", "1");
  return out;
}

void Config(CommandCall& c) {
  std::string sub = Lower(c.args[1]);
  if (sub == "get" && c.args.size() >= 3) {
    std::vector<std::pair<std::string, std::string>> hits;
    for (const auto& kv : ConfigPairs(c.server)) {
      for (size_t i = 2; i < c.args.size(); i++) {
        if (GlobMatch(Lower(c.args[i]), kv.first)) {
          hits.push_back(kv);
          break;
        }
      }
    }
    c.out->MapHeader(static_cast<int64_t>(hits.size()));
    for (const auto& [k, v] : hits) {
      c.out->Bulk(k);
      c.out->Bulk(v);
    }
    return;
  }
  if (sub == "set" && c.args.size() >= 4 && c.args.size() % 2 == 0) {
    for (size_t i = 2; i + 1 < c.args.size(); i += 2) {
      Status s = c.server->ConfigSet(Lower(c.args[i]), c.args[i + 1]);
      if (!s.ok()) {
        return c.Error("ERR CONFIG SET failed (possibly related to argument '" +
                       std::string(c.args[i]) + "') - " + std::string(s.message()));
      }
    }
    return c.out->Ok();
  }
  if (sub == "resetstat" && c.args.size() == 2) return c.out->Ok();
  c.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(c.args[1]) +
          "'. Try CONFIG HELP.");
}

}  // namespace

void RegisterServerCommands(std::vector<CommandSpec>* out) {
  constexpr uint32_t A = kCmdNoAuth | kCmdNoQueue;
  out->insert(out->end(), {
                              {"ping", -1, kCmdFast, 0, 0, 0, Ping},
                              {"echo", 2, kCmdFast, 0, 0, 0, Echo},
                              {"hello", -1, A, 0, 0, 0, Hello},
                              {"auth", -2, A, 0, 0, 0, Auth},
                              {"select", 2, kCmdFast, 0, 0, 0, Select},
                              {"quit", -1, A, 0, 0, 0, Quit},
                              {"command", -1, 0, 0, 0, 0, Command},
                              {"client", -2, 0, 0, 0, 0, Client},
                              {"info", -1, kCmdBarrier, 0, 0, 0, Info},
                              {"config", -2, kCmdAdmin, 0, 0, 0, Config},
                          });
}

}  // namespace jadedb::server
