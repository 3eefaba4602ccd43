// String commands: GET, SET (EX/PX/EXAT/PXAT/NX/XX/KEEPTTL/GET), SETNX, GETSET, GETDEL, MGET,
// MSET, MSETNX, INCR/DECR/INCRBY/DECRBY, APPEND, STRLEN, GETRANGE, SETRANGE.
#include <cctype>
#include <climits>

#include "server/command.h"
#include "server/server.h"

namespace jadedb::server {
namespace {

uint64_t MaxStringLen(CommandCall& c) {
  return std::min<uint64_t>(c.server->options().proto_max_bulk_len, kMaxValueSize - 16);
}

void Get(CommandCall& c) {
  std::string raw;
  ValueView v;
  bool found = false;
  Status s = c.wc->Lookup(c.args[1], &raw, &v, &found);
  if (!s.ok()) return c.StatusError(s);
  ServerStats* st = c.server->stats();
  if (!found) {
    st->AddKeyspaceMiss();
    c.out->Null();
    return;
  }
  st->AddKeyspaceHit();
  c.out->Bulk(v.payload);  // straight from the engine's copy: no intermediate string
}

void Set(CommandCall& c) {
  bool nx = false, xx = false, get = false, keepttl = false;
  int64_t expire_at = 0;
  bool has_expire = false;
  // Read the clock only for an expiry: a plain SET is the hot path.
  const int64_t now = c.args.size() > 3 ? NowMs() : 0;
  for (size_t i = 3; i < c.args.size(); i++) {
    std::string_view a = c.args[i];
    if (EqualsNoCase(a, "NX") && !xx) {
      nx = true;
    } else if (EqualsNoCase(a, "XX") && !nx) {
      xx = true;
    } else if (EqualsNoCase(a, "GET")) {
      get = true;
    } else if (EqualsNoCase(a, "KEEPTTL") && !has_expire) {
      keepttl = true;
    } else if ((EqualsNoCase(a, "EX") || EqualsNoCase(a, "PX") || EqualsNoCase(a, "EXAT") ||
                EqualsNoCase(a, "PXAT")) &&
               !keepttl && !has_expire && i + 1 < c.args.size()) {
      int64_t n = 0;
      if (!ParseInt64(c.args[i + 1], &n)) return c.Error(kErrNotInteger);
      const bool seconds = EqualsNoCase(a, "EX") || EqualsNoCase(a, "EXAT");
      const bool absolute = EqualsNoCase(a, "EXAT") || EqualsNoCase(a, "PXAT");
      if (n <= 0 || (seconds && n > LLONG_MAX / 1000)) {
        return c.Error("ERR invalid expire time in 'set' command");
      }
      int64_t ms = seconds ? n * 1000 : n;
      if (!absolute && ms > LLONG_MAX - now) {
        return c.Error("ERR invalid expire time in 'set' command");
      }
      expire_at = absolute ? ms : now + ms;
      has_expire = true;
      i++;
    } else {
      return c.Error(kErrSyntax);
    }
  }
  StoredValue old;
  if (nx || xx || get || keepttl) {
    if (!Load(c, c.args[1], &old)) return;
  }
  const bool skip = (nx && old.found) || (xx && !old.found);
  if (!skip) {
    if (keepttl && old.found) expire_at = old.expire_at_ms;
    if (has_expire && expire_at <= now) {
      c.wc->Delete(c.args[1]);  // an absolute time in the past: the key is gone at once
    } else {
      c.wc->Put(c.args[1], c.args[2], expire_at);
    }
  }
  if (get) {
    old.found ? c.out->Bulk(old.payload) : c.out->Null();
  } else if (skip) {
    c.out->Null();
  } else {
    c.out->Ok();
  }
}

void SetNx(CommandCall& c) {
  StoredValue old;
  if (!Load(c, c.args[1], &old)) return;
  if (old.found) return c.out->Integer(0);
  c.wc->Put(c.args[1], c.args[2], 0);
  c.out->Integer(1);
}

void GetSet(CommandCall& c) {
  StoredValue old;
  if (!Load(c, c.args[1], &old)) return;
  c.wc->Put(c.args[1], c.args[2], 0);
  old.found ? c.out->Bulk(old.payload) : c.out->Null();
}

void GetDel(CommandCall& c) {
  StoredValue old;
  if (!Load(c, c.args[1], &old)) return;
  if (!old.found) return c.out->Null();
  c.wc->Delete(c.args[1]);
  c.out->Bulk(old.payload);
}

void MGet(CommandCall& c) {
  // One snapshot for all keys, so MGET is atomic against other clients' MULTI/EXEC and MSET,
  // as in Redis. (An engine without snapshots reads each key at its own moment.)
  DB* db = c.wc->keyspace()->db();
  ReadOptions read;
  const Snapshot* snapshot = nullptr;
  if (c.args.size() > 2 && db->GetSnapshot(&snapshot).ok()) read.snapshot = snapshot;
  c.out->ArrayHeader(static_cast<int64_t>(c.args.size() - 1));
  for (size_t i = 1; i < c.args.size(); i++) {
    StoredValue v;
    Status s = c.wc->Get(c.args[i], &v, read);
    // MGET never fails as a whole: a broken value reads as nil, like a wrong type in Redis.
    if (s.ok() && v.found) {
      c.out->Bulk(v.payload);
    } else {
      c.out->Null();
    }
  }
  if (snapshot != nullptr) db->ReleaseSnapshot(snapshot);
}

void MSet(CommandCall& c) {
  if (c.args.size() % 2 != 1) return c.Error(WrongArityError(c.args[0]));
  for (size_t i = 1; i + 1 < c.args.size(); i += 2) c.wc->Put(c.args[i], c.args[i + 1], 0);
  c.out->Ok();
}

void MSetNx(CommandCall& c) {
  if (c.args.size() % 2 != 1) return c.Error(WrongArityError(c.args[0]));
  for (size_t i = 1; i + 1 < c.args.size(); i += 2) {
    StoredValue v;
    if (!Load(c, c.args[i], &v)) return;
    if (v.found) return c.out->Integer(0);
  }
  for (size_t i = 1; i + 1 < c.args.size(); i += 2) c.wc->Put(c.args[i], c.args[i + 1], 0);
  c.out->Integer(1);
}

void IncrBy(CommandCall& c, int64_t delta) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  int64_t cur = 0;
  if (v.found && !ParseInt64(v.payload, &cur)) return c.Error(kErrNotInteger);
  if ((delta < 0 && cur < 0 && delta < LLONG_MIN - cur) ||
      (delta > 0 && cur > 0 && delta > LLONG_MAX - cur)) {
    return c.Error("ERR increment or decrement would overflow");
  }
  cur += delta;
  c.wc->Put(c.args[1], std::to_string(cur), v.found ? v.expire_at_ms : 0);
  c.out->Integer(cur);
}

void Incr(CommandCall& c) { IncrBy(c, 1); }
void Decr(CommandCall& c) { IncrBy(c, -1); }
void IncrByCmd(CommandCall& c) {
  int64_t d = 0;
  if (!ParseInt64(c.args[2], &d)) return c.Error(kErrNotInteger);
  IncrBy(c, d);
}
void DecrByCmd(CommandCall& c) {
  int64_t d = 0;
  if (!ParseInt64(c.args[2], &d)) return c.Error(kErrNotInteger);
  if (d == LLONG_MIN) return c.Error("ERR decrement would overflow");
  IncrBy(c, -d);
}

void Append(CommandCall& c) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (v.payload.size() + c.args[2].size() > MaxStringLen(c)) {
    return c.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  v.payload.append(c.args[2]);
  c.wc->Put(c.args[1], v.payload, v.found ? v.expire_at_ms : 0);
  c.out->Integer(static_cast<int64_t>(v.payload.size()));
}

void StrLen(CommandCall& c) {
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  c.out->Integer(v.found ? static_cast<int64_t>(v.payload.size()) : 0);
}

void GetRange(CommandCall& c) {
  int64_t start = 0, end = 0;
  if (!ParseInt64(c.args[2], &start) || !ParseInt64(c.args[3], &end)) {
    return c.Error(kErrNotInteger);
  }
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  const int64_t len = static_cast<int64_t>(v.payload.size());
  if (start < 0 && end < 0 && start > end) return c.out->Bulk("");
  if (start < 0) start = std::max<int64_t>(len + start, 0);
  if (end < 0) end = std::max<int64_t>(len + end, 0);
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) return c.out->Bulk("");
  c.out->Bulk(std::string_view(v.payload).substr(start, end - start + 1));
}

void SetRange(CommandCall& c) {
  int64_t offset = 0;
  if (!ParseInt64(c.args[2], &offset)) return c.Error(kErrNotInteger);
  if (offset < 0) return c.Error("ERR offset is out of range");
  std::string_view value = c.args[3];
  StoredValue v;
  if (!Load(c, c.args[1], &v)) return;
  if (value.empty()) return c.out->Integer(static_cast<int64_t>(v.payload.size()));
  if (static_cast<uint64_t>(offset) + value.size() > MaxStringLen(c)) {
    return c.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  }
  const size_t need = static_cast<size_t>(offset) + value.size();
  if (v.payload.size() < need) v.payload.resize(need, '\0');
  v.payload.replace(static_cast<size_t>(offset), value.size(), value);
  c.wc->Put(c.args[1], v.payload, v.found ? v.expire_at_ms : 0);
  c.out->Integer(static_cast<int64_t>(v.payload.size()));
}

}  // namespace

void RegisterStringCommands(std::vector<CommandSpec>* out) {
  constexpr uint32_t W = kCmdWrite;
  constexpr uint32_t R = kCmdReadOnly | kCmdFast;
  out->insert(out->end(), {
                              {"get", 2, R, 1, 1, 1, Get},
                              {"set", -3, W, 1, 1, 1, Set},
                              {"setnx", 3, W, 1, 1, 1, SetNx},
                              {"getset", 3, W, 1, 1, 1, GetSet},
                              {"getdel", 2, W, 1, 1, 1, GetDel},
                              {"mget", -2, R, 1, -1, 1, MGet},
                              {"mset", -3, W, 1, -1, 2, MSet},
                              {"msetnx", -3, W, 1, -1, 2, MSetNx},
                              {"incr", 2, W, 1, 1, 1, Incr},
                              {"decr", 2, W, 1, 1, 1, Decr},
                              {"incrby", 3, W, 1, 1, 1, IncrByCmd},
                              {"decrby", 3, W, 1, 1, 1, DecrByCmd},
                              {"append", 3, W, 1, 1, 1, Append},
                              {"strlen", 2, R, 1, 1, 1, StrLen},
                              {"getrange", 4, R, 1, 1, 1, GetRange},
                              {"substr", 4, R, 1, 1, 1, GetRange},
                              {"setrange", 4, W, 1, 1, 1, SetRange},
                          });
}

}  // namespace jadedb::server
