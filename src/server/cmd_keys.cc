// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, RENAME, EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT,
// TTL/PTTL, PERSIST, KEYS, SCAN, DBSIZE, FLUSHDB/FLUSHALL.
#include <cctype>
#include <climits>

#include "server/command.h"
#include "server/glob.h"
#include "server/server.h"

namespace jadedb::server {
namespace {

void Del(CommandCall& c) {
  int64_t n = 0;
  for (size_t i = 1; i < c.args.size(); i++) {
    StoredValue v;
    if (!Load(c, c.args[i], &v)) return;
    if (v.found) n++;
    // Delete even an expired (invisible) key, so it does not wait for the sweeper.
    c.wc->Delete(c.args[i]);
  }
  c.out->Integer(n);
}

void Exists(CommandCall& c) {
  int64_t n = 0;
  for (size_t i = 1; i < c.args.size(); i++) {
    StoredValue v;
    if (!Load(c, c.args[i], &v)) return;
    if (v.found) n++;
  }
  c.out->Integer(n);
}

void Type(CommandCall& c) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  c.out->Simple(v.found ? "string" : "none");
}

void Rename(CommandCall& c) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (!v.found) return c.Error("ERR no such key");
  if (c.args[1] != c.args[2]) {
    c.wc->Delete(c.args[1]);
    c.wc->Put(c.args[2], v.payload, v.expire_at_ms);
  }
  c.out->Ok();
}

// EXPIRE family: unit_ms is 1000 for seconds; absolute for the *AT forms.
void ExpireGeneric(CommandCall& c, int64_t unit_ms, bool absolute) {
  int64_t n = 0;
  if (!ParseInt64(c.args[2], &n)) return c.Error(kErrNotInteger);
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < c.args.size(); i++) {
    std::string_view a = c.args[i];
    if (EqualsNoCase(a, "NX"))
      nx = true;
    else if (EqualsNoCase(a, "XX"))
      xx = true;
    else if (EqualsNoCase(a, "GT"))
      gt = true;
    else if (EqualsNoCase(a, "LT"))
      lt = true;
    else
      return c.Error("ERR Unsupported option " + std::string(a));
  }
  if (nx && (xx || gt || lt)) {
    return c.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (gt && lt) return c.Error("ERR GT and LT options at the same time are not compatible");
  const std::string cmd(c.args[0]);
  std::string lower = cmd;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (n > LLONG_MAX / unit_ms || n < LLONG_MIN / unit_ms) {
    return c.Error("ERR invalid expire time in '" + lower + "' command");
  }
  int64_t when = n * unit_ms;
  if (!absolute) {
    const int64_t now = NowMs();
    if (when > LLONG_MAX - now)
      return c.Error("ERR invalid expire time in '" + lower + "' command");
    when += now;
  }
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (!v.found) return c.out->Integer(0);
  const bool has = v.expire_at_ms > 0;
  if ((nx && has) || (xx && !has) || (gt && (!has || when <= v.expire_at_ms)) ||
      (lt && has && when >= v.expire_at_ms)) {
    return c.out->Integer(0);
  }
  if (when <= NowMs()) {
    c.wc->Delete(c.args[1]);
  } else {
    c.wc->Put(c.args[1], v.payload, when);
  }
  c.out->Integer(1);
}

void Expire(CommandCall& c) { ExpireGeneric(c, 1000, false); }
void PExpire(CommandCall& c) { ExpireGeneric(c, 1, false); }
void ExpireAt(CommandCall& c) { ExpireGeneric(c, 1000, true); }
void PExpireAt(CommandCall& c) { ExpireGeneric(c, 1, true); }

void TtlGeneric(CommandCall& c, bool ms) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (!v.found) return c.out->Integer(-2);
  if (v.expire_at_ms == 0) return c.out->Integer(-1);
  int64_t left = std::max<int64_t>(v.expire_at_ms - NowMs(), 0);
  c.out->Integer(ms ? left : (left + 500) / 1000);
}

void Ttl(CommandCall& c) { TtlGeneric(c, false); }
void PTtl(CommandCall& c) { TtlGeneric(c, true); }

void Persist(CommandCall& c) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (!v.found || v.expire_at_ms == 0) return c.out->Integer(0);
  c.wc->Put(c.args[1], v.payload, 0);
  c.out->Integer(1);
}

// Calls fn(key) for every live key from `start` (exclusive when `after`) whose name matches
// `pattern`, until fn returns false; examined counts keys read. Returns the iterator status.
template <typename Fn>
Status ForEachKey(DB* db, std::string_view start, bool after, std::string_view pattern,
                  size_t* examined, Fn fn) {
  ReadOptions ro;
  ro.fill_cache = false;
  const std::string_view prefix = GlobLiteralPrefix(pattern);
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  std::string first(start);
  if (std::string_view(first) < prefix) {
    first = prefix;
    after = false;
  }
  it->Seek(first);
  if (after && it->Valid() && it->key() == first) it->Next();
  const int64_t now = NowMs();
  for (; it->Valid(); it->Next()) {
    std::string_view key = it->key();
    if (!key.starts_with(prefix)) break;
    (*examined)++;
    ValueView v;
    bool live = DecodeValue(it->value(), &v) && (v.expire_at_ms == 0 || v.expire_at_ms > now);
    bool match = live && (pattern == "*" || GlobMatch(pattern, key));
    if (!fn(key, match)) break;
  }
  return it->status();
}

void Keys(CommandCall& c) {
  std::vector<std::string> keys;
  size_t examined = 0;
  Status s = ForEachKey(c.server->db(), "", false, c.args[1], &examined,
                        [&](std::string_view key, bool match) {
                          if (match) keys.emplace_back(key);
                          return true;
                        });
  if (!s.ok()) return c.StatusError(s);
  c.out->ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) c.out->Bulk(k);
}

void Scan(CommandCall& c) {
  uint64_t cursor = 0;
  {
    int64_t v = 0;
    // Redis accepts any unsigned 64-bit cursor.
    if (!ParseInt64(c.args[1], &v) || v < 0) return c.Error("ERR invalid cursor");
    cursor = static_cast<uint64_t>(v);
  }
  std::string pattern = "*";
  int64_t count = 10;
  for (size_t i = 2; i < c.args.size(); i++) {
    std::string_view a = c.args[i];
    if (EqualsNoCase(a, "MATCH") && i + 1 < c.args.size()) {
      pattern = c.args[++i];
    } else if (EqualsNoCase(a, "COUNT") && i + 1 < c.args.size()) {
      if (!ParseInt64(c.args[++i], &count)) return c.Error(kErrNotInteger);
      if (count < 1) return c.Error(kErrSyntax);
    } else if (EqualsNoCase(a, "TYPE") && i + 1 < c.args.size()) {
      if (!EqualsNoCase(c.args[++i], "string")) pattern = "";  // nothing else exists
    } else {
      return c.Error(kErrSyntax);
    }
  }
  std::string start;
  if (cursor != 0 && !c.server->LoadCursor(cursor, &start)) {
    return c.Error("ERR invalid cursor");
  }
  std::vector<std::string> keys;
  size_t examined = 0;
  std::string last;
  bool more = false;
  Status s = ForEachKey(c.server->db(), start, cursor != 0, pattern.empty() ? "*" : pattern,
                        &examined, [&](std::string_view key, bool match) {
                          if (examined > static_cast<size_t>(count)) {
                            more = true;
                            return false;
                          }
                          if (match && !pattern.empty()) keys.emplace_back(key);
                          last.assign(key);
                          return true;
                        });
  if (!s.ok()) return c.StatusError(s);
  c.out->ArrayHeader(2);
  c.out->Bulk(more ? std::to_string(c.server->SaveCursor(last)) : "0");
  c.out->ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) c.out->Bulk(k);
}

void DbSize(CommandCall& c) {
  int64_t n = 0;
  Status s = c.wc->keyspace()->CountLiveKeys(&n);
  if (!s.ok()) return c.StatusError(s);
  c.out->Integer(n);
}

void FlushDb(CommandCall& c) {
  for (size_t i = 1; i < c.args.size(); i++) {
    if (!EqualsNoCase(c.args[i], "SYNC") && !EqualsNoCase(c.args[i], "ASYNC")) {
      return c.Error(kErrSyntax);
    }
  }
  // All stripes are locked (kCmdAllKeys), so no other client writes meanwhile. Everything goes
  // into the connection's one batch, so FLUSHDB is atomic (also inside MULTI/EXEC, with the
  // transaction's earlier writes): one range deletion where the engine has them (O(1) records,
  // whatever the number of keys) ...
  Status s = c.wc->DeleteAll();
  if (s.IsNotSupported()) {
    // ... else (the B+tree engine) a point deletion per stored key, expired ones too, plus any
    // key written earlier in the same transaction and not yet committed: O(keys) records,
    // still one atomic batch.
    // Keys are collected first so that a failed scan leaves the batch untouched.
    ReadOptions ro;
    ro.fill_cache = false;
    std::unique_ptr<Iterator> it = c.server->db()->NewIterator(ro);
    std::vector<std::string> keys = c.wc->PendingKeys();
    for (it->SeekToFirst(); it->Valid(); it->Next()) keys.emplace_back(it->key());
    s = it->status();
    if (s.ok()) {
      for (const std::string& k : keys) c.wc->Delete(k);
    }
  }
  if (!s.ok()) return c.StatusError(s);
  c.wc->NoteFlushAll();
  c.out->Ok();
}

}  // namespace

void RegisterKeyCommands(std::vector<CommandSpec>* out) {
  constexpr uint32_t W = kCmdWrite;
  constexpr uint32_t R = kCmdReadOnly;
  out->insert(out->end(), {
                              {"del", -2, W, 1, -1, 1, Del},
                              {"unlink", -2, W, 1, -1, 1, Del},
                              {"exists", -2, R | kCmdFast, 1, -1, 1, Exists},
                              {"type", 2, R | kCmdFast, 1, 1, 1, Type},
                              {"rename", 3, W, 1, 2, 1, Rename},
                              {"expire", -3, W, 1, 1, 1, Expire},
                              {"pexpire", -3, W, 1, 1, 1, PExpire},
                              {"expireat", -3, W, 1, 1, 1, ExpireAt},
                              {"pexpireat", -3, W, 1, 1, 1, PExpireAt},
                              {"ttl", 2, R | kCmdFast, 1, 1, 1, Ttl},
                              {"pttl", 2, R | kCmdFast, 1, 1, 1, PTtl},
                              {"persist", 2, W, 1, 1, 1, Persist},
                              {"keys", 2, R | kCmdBarrier, 0, 0, 0, Keys},
                              {"scan", -2, R | kCmdBarrier, 0, 0, 0, Scan},
                              {"dbsize", 1, R | kCmdBarrier, 0, 0, 0, DbSize},
                              {"flushdb", -1, W | kCmdAllKeys | kCmdBarrier, 0, 0, 0, FlushDb},
                              {"flushall", -1, W | kCmdAllKeys | kCmdBarrier, 0, 0, 0, FlushDb},
                          });
}

}  // namespace jadedb::server
