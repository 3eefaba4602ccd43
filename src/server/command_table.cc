#include <cctype>

#include "server/command.h"
#include "server/keyspace.h"

namespace jadedb::server {

void CommandCall::StatusError(const Status& s) { Error("ERR " + s.ToString()); }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool Load(CommandCall& c, std::string_view key, StoredValue* v) {
  Status s = c.wc->Get(key, v);
  if (!s.ok()) {
    c.StatusError(s);
    return false;
  }
  return true;
}

std::string WrongArityError(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "ERR wrong number of arguments for '" + lower + "' command";
}

CommandTable::CommandTable() {
  RegisterStringCommands(&specs_);
  RegisterKeyCommands(&specs_);
  RegisterServerCommands(&specs_);
  RegisterTransactionCommands(&specs_);
  for (size_t i = 0; i < specs_.size(); i++) {
    specs_[i].id = i;
    by_name_[specs_[i].name] = i;
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.size() > 32) return nullptr;
  char buf[32];
  for (size_t i = 0; i < name.size(); i++) {
    const char c = name[i];
    buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  }
  auto it = by_name_.find(std::string_view(buf, name.size()));
  return it == by_name_.end() ? nullptr : &specs_[it->second];
}

std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string_view>& args) {
  std::vector<std::string_view> keys;
  if (spec.first_key <= 0) return keys;
  const int n = static_cast<int>(args.size());
  const int last = spec.last_key < 0 ? n + spec.last_key : spec.last_key;
  for (int i = spec.first_key; i <= last && i < n; i += spec.step) keys.push_back(args[i]);
  return keys;
}

bool ParseInt64(std::string_view s, int64_t* v) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] == '0' && s.size() > i + 1) return false;
  if (neg && s[i] == '0') return false;  // "-0"
  uint64_t acc = 0;
  for (; i < s.size(); i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (acc > (UINT64_MAX - d) / 10) return false;
    acc = acc * 10 + d;
  }
  if (neg) {
    if (acc > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *v = static_cast<int64_t>(0 - acc);
  } else {
    if (acc > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(acc);
  }
  return true;
}

}  // namespace jadedb::server
