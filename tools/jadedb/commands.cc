#include "commands.h"

#include <charconv>
#include <string_view>
#include <utility>

#include "bulk.h"
#include "escaping.h"
#include "jadedb/env.h"
#include "lsm/sstable/table_dump.h"

namespace jadedb::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: jadedb [--db DIR] [--engine lsm|bplustree] [COMMAND [ARGS...]]

Opens the DB in DIR (default ./jadedb-data, created when missing) and runs COMMAND. An existing
DB opens with the engine it was created with; --engine picks the engine of a new one (default
lsm) and must match an existing one. Without a COMMAND, reads commands from stdin, one per
line (the jadedb shell).

commands:
  put KEY VALUE        set KEY to VALUE
  get KEY              print the value of KEY (exit 1 when absent)
  del KEY              remove KEY
  scan [--from K] [--to K] [--limit N] [--reverse]
                       print KEY<TAB>VALUE lines in key order (--from inclusive, --to
                       exclusive; --reverse from the end backwards)
  load [--sync] [--batch N]
                       read lines KEY<TAB>VALUE (put) and -KEY (delete) from stdin and
                       apply them in WriteBatches of N lines (default 1000); --sync makes
                       each batch durable before the next line is read. In the shell the
                       data ends at a line holding only "."
  dump                 print every pair as KEY<TAB>VALUE, in key order
  stats                print engine statistics
  compact              compact the whole key range
  check                verify every checksum of every file (exit 2 on corruption)
  dump-sst FILE        print the contents of one table file (does not open the DB)
  help                 print this text (shell)
  quit, exit           leave the shell

Keys and values are bytes: anything that is not printable ASCII, and '\' and TAB, is written
and read as \xHH, so `jadedb dump | jadedb --db NEW load` copies a DB exactly. In the shell,
words are split on spaces; "double quotes" keep spaces in a word.

exit codes: 0 ok, 1 key absent (get), 2 error (one line on stderr)
)";

// A whole decimal number; false on anything else (sign, spaces, overflow, empty).
bool ParseNumber(std::string_view s, uint64_t* n) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *n);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Matches "--name VALUE" or "--name=VALUE" at args[*i]; advances *i past what it used.
// *missing is set when the option is there but its value is not.
bool TakeOption(const std::vector<std::string>& args, size_t* i, std::string_view name,
                std::string* value, bool* missing) {
  std::string_view a = args[*i];
  if (a == name) {
    if (*i + 1 >= args.size()) {
      *missing = true;
      return true;
    }
    *value = args[*i + 1];
    *i += 2;
    return true;
  }
  if (a.size() > name.size() && a.substr(0, name.size()) == name && a[name.size()] == '=') {
    *value = std::string(a.substr(name.size() + 1));
    *i += 1;
    return true;
  }
  return false;
}

}  // namespace

const char* UsageText() { return kUsage; }

CommandRunner::CommandRunner(std::string db_dir, EngineType engine, std::FILE* in, std::FILE* out,
                             std::FILE* err, bool shell)
    : db_dir_(std::move(db_dir)), engine_(engine), in_(in), out_(out), err_(err), shell_(shell) {}

CommandRunner::~CommandRunner() = default;

Status CommandRunner::OpenDb() {
  if (db_) return Status::OK();
  Options options;
  options.engine = engine_;
  options.create_if_missing = true;
  return DB::Open(options, db_dir_, &db_);
}

bool CommandRunner::EnsureOpen(int* code) {
  Status s = OpenDb();
  if (!s.ok()) *code = Fail(s);
  return s.ok();
}

int CommandRunner::UsageError(const std::string& message) {
  std::fprintf(err_, "jadedb: %s (%s)\n", message.c_str(),
               shell_ ? "type 'help' for usage" : "see 'jadedb --help'");
  std::fflush(err_);
  return kExitError;
}

int CommandRunner::Fail(const Status& s) {
  std::fprintf(err_, "jadedb: %s\n", s.ToString().c_str());
  std::fflush(err_);
  return kExitError;
}

Status CommandRunner::Print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  if (text.empty() || text.back() != '\n') std::fputc('\n', out_);
  if (std::fflush(out_) != 0 || std::ferror(out_)) return Status::IOError("writing output failed");
  return Status::OK();
}

bool CommandRunner::WantArgs(const std::vector<std::string>& args, size_t n, const char* synopsis,
                             int* code) {
  if (args.size() == n + 1) return true;
  *code = UsageError(std::string(args.size() < n + 1 ? "missing argument" : "too many arguments") +
                     ": usage: " + synopsis);
  return false;
}

int CommandRunner::Run(const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("missing command");
  const std::string& cmd = args[0];
  using Handler = int (CommandRunner::*)(const std::vector<std::string>&);
  static constexpr std::pair<std::string_view, Handler> kCommands[] = {
      {"put", &CommandRunner::Put},      {"get", &CommandRunner::Get},
      {"del", &CommandRunner::Del},      {"scan", &CommandRunner::ScanCmd},
      {"load", &CommandRunner::LoadCmd}, {"dump", &CommandRunner::DumpCmd},
      {"stats", &CommandRunner::Stats},  {"compact", &CommandRunner::Compact},
      {"check", &CommandRunner::Check},  {"dump-sst", &CommandRunner::DumpSst},
  };
  for (const auto& [name, handler] : kCommands) {
    if (cmd == name) return (this->*handler)(args);
  }
  return UsageError("unknown command '" + Escape(cmd) + "'");
}

int CommandRunner::Put(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 2, "put KEY VALUE", &code) || !EnsureOpen(&code)) return code;
  Status s = db_->Put(WriteOptions(), args[1], args[2]);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::Get(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 1, "get KEY", &code) || !EnsureOpen(&code)) return code;
  std::string value;
  Status s = db_->Get(ReadOptions(), args[1], &value);
  if (s.IsNotFound()) {
    std::fprintf(err_, "jadedb: NotFound: %s\n", Escape(args[1]).c_str());
    std::fflush(err_);
    return kExitAbsent;
  }
  if (s.ok()) s = Print(Escape(value));
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::Del(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 1, "del KEY", &code) || !EnsureOpen(&code)) return code;
  Status s = db_->Delete(WriteOptions(), args[1]);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::ScanCmd(const std::vector<std::string>& args) {
  int code;
  ScanArgs scan;
  for (size_t i = 1; i < args.size();) {
    std::string value;
    bool missing = false;
    if (TakeOption(args, &i, "--from", &value, &missing)) {
      if (missing) return UsageError("--from needs a key");
      scan.from = value;
    } else if (TakeOption(args, &i, "--to", &value, &missing)) {
      if (missing) return UsageError("--to needs a key");
      scan.to = value;
    } else if (TakeOption(args, &i, "--limit", &value, &missing)) {
      uint64_t n;
      if (missing || !ParseNumber(value, &n)) {
        return UsageError("--limit needs a number, got '" + Escape(value) + "'");
      }
      scan.limit = n;
    } else if (args[i] == "--reverse") {
      scan.reverse = true;
      ++i;
    } else {
      return UsageError("scan: unknown argument '" + Escape(args[i]) + "'");
    }
  }
  if (!EnsureOpen(&code)) return code;
  Status s = Scan(db_.get(), scan, out_);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::LoadCmd(const std::vector<std::string>& args) {
  int code;
  LoadArgs load;
  load.stop_at_dot = shell_;
  for (size_t i = 1; i < args.size();) {
    std::string value;
    bool missing = false;
    if (args[i] == "--sync") {
      load.sync = true;
      ++i;
    } else if (TakeOption(args, &i, "--batch", &value, &missing)) {
      uint64_t n;
      if (missing || !ParseNumber(value, &n) || n == 0) {
        return UsageError("--batch needs a number >= 1, got '" + Escape(value) + "'");
      }
      load.batch = n;
    } else {
      return UsageError("load: unknown argument '" + Escape(args[i]) + "'");
    }
  }
  if (!EnsureOpen(&code)) return code;
  LoadResult result;
  Status s = Load(db_.get(), load, in_, &result);
  // The summary goes to stderr so that stdout stays clean for pipelines; it is printed even
  // after an error, since the batches before it were applied.
  std::fprintf(err_, "load: %llu records (%llu puts, %llu deletes) in %.3f s\n",
               static_cast<unsigned long long>(result.puts + result.deletes),
               static_cast<unsigned long long>(result.puts),
               static_cast<unsigned long long>(result.deletes), result.seconds);
  std::fflush(err_);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::DumpCmd(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 0, "dump", &code) || !EnsureOpen(&code)) return code;
  Status s = Dump(db_.get(), out_);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::Stats(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 0, "stats", &code) || !EnsureOpen(&code)) return code;
  std::string stats;
  if (!db_->GetProperty("jadedb.stats", &stats)) {
    return Fail(Status::NotSupported("property jadedb.stats", "unknown to this engine"));
  }
  Status s = Print(stats);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::Compact(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 0, "compact", &code) || !EnsureOpen(&code)) return code;
  Status s = db_->CompactRange(nullptr, nullptr);
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::Check(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 0, "check", &code) || !EnsureOpen(&code)) return code;
  std::string report;
  Status s = db_->VerifyChecksums(&report);
  if (!report.empty()) {
    Status p = Print(report);
    if (s.ok()) s = p;
  } else if (s.ok()) {
    s = Print("OK");
  }
  return s.ok() ? kExitOk : Fail(s);
}

int CommandRunner::DumpSst(const std::vector<std::string>& args) {
  int code;
  if (!WantArgs(args, 1, "dump-sst FILE", &code)) return code;
  std::string text;
  Status s = lsm::DumpTableFile(Env::Default(), args[1], &text);
  // On damage, what was decoded before it is still worth seeing.
  if (!text.empty()) {
    Status p = Print(text);
    if (s.ok()) s = p;
  }
  return s.ok() ? kExitOk : Fail(s);
}

}  // namespace jadedb::cli
