// jadedb: the command-line tool for a JadeDB directory. See UsageText() in commands.cc for
// the syntax; this file parses the global options and picks one-shot command or shell.
#include <unistd.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.h"
#include "escaping.h"
#include "jadedb/db.h"
#include "jadedb/options.h"
#include "shell.h"

namespace jadedb::cli {
namespace {

int Main(int argc, char** argv) {
  std::string db_dir = kDefaultDbDir;
  std::optional<EngineType> engine_flag;
  auto usage_error = [](const std::string& msg) {
    std::fprintf(stderr, "jadedb: %s (see 'jadedb --help')\n", msg.c_str());
    return kExitError;
  };

  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.size() < 2 || a.substr(0, 2) != "--") break;  // the command
    std::string value;
    bool has_value = false;
    std::string_view name = a;
    if (size_t eq = a.find('='); eq != std::string_view::npos) {
      name = a.substr(0, eq);
      value = std::string(a.substr(eq + 1));
      has_value = true;
    }
    if (name == "--help") {
      std::fputs(UsageText(), stdout);
      return kExitOk;
    }
    if (name != "--db" && name != "--engine") {
      return usage_error("unknown option '" + std::string(name) + "'");
    }
    if (!has_value) {
      if (i + 1 >= argc) return usage_error(std::string(name) + " needs a value");
      value = argv[++i];
    }
    if (name == "--db") {
      if (value.empty()) return usage_error("--db needs a directory");
      db_dir = value;
    } else {
      EngineType parsed;
      if (!ParseEngineType(value, &parsed)) {
        return usage_error("unknown engine '" + value + "' (lsm or bplustree)");
      }
      engine_flag = parsed;
    }
  }
  // Without --engine an existing DB opens with the engine it was made with, a new one is lsm.
  EngineType engine = EngineType::kLsm;
  if (engine_flag.has_value()) {
    engine = *engine_flag;
  } else if (EngineType on_disk; ReadEngineType(db_dir, &on_disk).ok()) {
    engine = on_disk;
  }

  if (i == argc) {
    // The shell opens the DB at once, so it holds the directory for as long as it runs and a
    // bad directory is reported before any input is read.
    CommandRunner runner(db_dir, engine, stdin, stdout, stderr, /*shell=*/true);
    Status s = runner.OpenDb();
    if (!s.ok()) return runner.Fail(s);
    return RunShell(&runner, stdin, stdout, ::isatty(STDIN_FILENO) == 1);
  }

  if (std::string_view(argv[i]) == "-h" || std::string_view(argv[i]) == "help") {
    std::fputs(UsageText(), stdout);
    return kExitOk;
  }
  // Arguments use the same \xHH escapes as the shell and the output, so a key printed by
  // `dump` can be pasted back.
  std::vector<std::string> args{argv[i]};
  for (int j = i + 1; j < argc; ++j) {
    std::string word, error;
    if (!Unescape(argv[j], &word, &error)) {
      return usage_error("argument " + std::to_string(j - i) + ": " + error);
    }
    args.push_back(std::move(word));
  }
  CommandRunner runner(db_dir, engine, stdin, stdout, stderr, /*shell=*/false);
  return runner.Run(args);
}

}  // namespace
}  // namespace jadedb::cli

int main(int argc, char** argv) { return jadedb::cli::Main(argc, argv); }
