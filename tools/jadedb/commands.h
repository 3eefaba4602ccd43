// CommandRunner: parses and runs one jadedb CLI command (put, get, del, scan, load, dump,
// stats, compact, check, dump-sst) against one DB, for both the one-shot command line and the
// shell.
//
// The DB is opened by the first command that needs it (create_if_missing) and stays open for the
// runner's life, so the shell holds the directory lock while it runs. Errors are printed as one
// line "jadedb: <Status::ToString()>" on the error stream and turned into exit codes.
//
// Not thread-safe: one runner is driven by one thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/options.h"
#include "jadedb/status.h"

namespace jadedb::cli {

// Process exit codes of the CLI.
inline constexpr int kExitOk = 0;
inline constexpr int kExitAbsent = 1;  // `get` of a key that is not there
inline constexpr int kExitError = 2;   // any error, including bad usage

inline constexpr char kDefaultDbDir[] = "./jadedb-data";

// The full help text (`jadedb --help`, `help` in the shell).
const char* UsageText();

class CommandRunner {
 public:
  // in: where `load` reads; out: command output; err: error lines and the load summary.
  // shell: running inside the shell (usage hints point at `help`; `load` ends at a "." line).
  CommandRunner(std::string db_dir, EngineType engine, std::FILE* in, std::FILE* out,
                std::FILE* err, bool shell);
  ~CommandRunner();

  // Opens the DB unless already open.
  Status OpenDb();

  // Runs one command: args[0] is its name, the rest its arguments, already unescaped.
  // Returns kExitOk, kExitAbsent or kExitError (having printed the error line).
  int Run(const std::vector<std::string>& args);

  // Prints "jadedb: <message> (<hint>)" and returns kExitError.
  int UsageError(const std::string& message);
  // Prints "jadedb: <s.ToString()>" and returns kExitError.
  int Fail(const Status& s);

 private:
  int Put(const std::vector<std::string>& args);
  int Get(const std::vector<std::string>& args);
  int Del(const std::vector<std::string>& args);
  int ScanCmd(const std::vector<std::string>& args);
  int LoadCmd(const std::vector<std::string>& args);
  int DumpCmd(const std::vector<std::string>& args);
  int Stats(const std::vector<std::string>& args);
  int Compact(const std::vector<std::string>& args);
  int Check(const std::vector<std::string>& args);
  int DumpSst(const std::vector<std::string>& args);
  // Opens the DB (arguments are checked first, so bad usage never creates or locks it); on
  // failure prints the error and sets *code.
  bool EnsureOpen(int* code);
  // Usage error unless args has exactly n words after the command name.
  bool WantArgs(const std::vector<std::string>& args, size_t n, const char* synopsis, int* code);
  // Writes text and a final newline if it lacks one; IOError if the output failed.
  Status Print(const std::string& text);

  const std::string db_dir_;
  const EngineType engine_;
  std::FILE* const in_;
  std::FILE* const out_;
  std::FILE* const err_;
  const bool shell_;
  std::unique_ptr<DB> db_;
};

}  // namespace jadedb::cli
