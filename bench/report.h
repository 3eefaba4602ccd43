// Output of jadedb-bench: the machine description, the results tables (Markdown, so they
// can be pasted into docs/benchmarks.md) and one JSON object per result line.
// Stateless functions; not thread-safe only in that they write to the given FILE.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "workloads.h"

namespace jadedb::bench {

// nproc, CPU model, memory, kernel, and the filesystem holding `db_dir`, one per line.
std::string MachineDescription(const std::string& db_dir);

// {"engine":...,"workload":...,"ops":...,"seconds":...,"ops_per_sec":...,"p50_us":...,
//  "p99_us":...,"db_bytes":...} (plus "note" / "error" when set).
std::string ToJson(const Result& r);

// Tables: ops/s per workload x engine; each engine's ratio to the best peer per workload
// (with lsm vs rocksdb and lsm vs leveldb); p50/p99 latency; DB size after overwrite.
void PrintTables(FILE* out, const std::vector<std::string>& engines,
                 const std::vector<std::string>& workloads, const std::vector<Result>& results);

}  // namespace jadedb::bench
