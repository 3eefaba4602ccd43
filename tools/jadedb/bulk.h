// The jadedb CLI commands that move many pairs: scan, dump (DB to text) and load (text to DB).
//
// The text form is one pair per line, `KEY<TAB>VALUE`, with keys and values escaped as in
// escaping.h; `load` also takes `-KEY` alone on a line as a deletion. `dump | load` into a
// fresh DB reproduces it exactly.
//
// Each function uses the DB and the FILEs it is given from the calling thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "jadedb/db.h"
#include "jadedb/status.h"

namespace jadedb::cli {

struct ScanArgs {
  std::optional<std::string> from;  // inclusive
  std::optional<std::string> to;    // exclusive
  std::optional<uint64_t> limit;    // at most this many pairs
  bool reverse = false;             // from the end backwards
};

// Prints the pairs in [from, to) as KEY<TAB>VALUE lines to out.
Status Scan(DB* db, const ScanArgs& args, std::FILE* out);

// Prints every live pair as KEY<TAB>VALUE lines, in key order.
Status Dump(DB* db, std::FILE* out);

struct LoadArgs {
  bool sync = false;      // WriteOptions::sync for every batch
  uint64_t batch = 1000;  // lines per WriteBatch (>= 1)
  // Stop at a line holding only "." (the shell, where the input goes on after the data).
  bool stop_at_dot = false;
};

struct LoadResult {
  uint64_t puts = 0;
  uint64_t deletes = 0;
  double seconds = 0;
};

// Reads lines from in and applies them in batches of args.batch lines. Empty lines are
// skipped. A malformed line is InvalidArgument naming its line number; the batches before it
// stay applied. *result counts what was applied.
Status Load(DB* db, const LoadArgs& args, std::FILE* in, LoadResult* result);

}  // namespace jadedb::cli
