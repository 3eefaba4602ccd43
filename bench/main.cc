// jadedb-bench: runs the same workloads against JadeDB's engines and peer engines and prints
// a side-by-side table. See --help.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "adapter.h"
#include "report.h"
#include "workloads.h"

namespace jadedb::bench {
namespace {

constexpr char kUsage[] = R"USAGE(usage: jadedb-bench [FLAGS]

Runs each workload against each engine (engines in turn, workloads in the order given) and
prints ops/s, each engine's ratio to the best peer, p50/p99 latency and DB sizes.

flags (--flag VALUE or --flag=VALUE):
  --engines LIST      comma-separated engines (default: all):
                      lsm, bplustree (JadeDB), rocksdb, leveldb, lmdb, wiredtiger, sqlite.
                      An engine that cannot run (not built, NotSupported) is skipped with a
                      message.
  --workloads LIST    comma-separated workloads (default: all, in the order below)
  --num N             keys in the data set and ops per workload (default 1000000)
  --value-size N      bytes per value (default 100); values are half compressible
  --threads N         reader threads of readwhilewriting (default 1); other workloads use
                      one thread
  --cache-mb N        cache memory per engine in MiB (default 64): JadeDB and RocksDB/LevelDB
                      block cache, WiredTiger cache_size, SQLite cache_size; LMDB has no cache
                      (mmap + OS page cache)
  --compression C     none|snappy|lz4|zstd (default none); an engine without C is skipped
  --value-threshold N lsm only: LsmOptions::value_threshold, the value size from which values
                      go to the value log (WiscKey separation); 0 turns separation off
                      (default: the engine's default, 4096). Other engines ignore it
  --db DIR            parent directory of the DBs, one subdirectory per engine, removed
                      afterwards (default /tmp/jadedb-bench)
  --json FILE         also write one JSON object per line per engine x workload: engine,
                      workload, ops, seconds, ops_per_sec, p50_us, p99_us, db_bytes (and note,
                      error when set)
  --seed N            seed of the key and value generators (default 301)
  --help              this text

keys: 16 bytes (15 decimal digits + '0'); absent keys end in '5' and sort between present ones.

workloads:
%s
Data rule: fill workloads (fillseq, fillrandom, fillsync, fill16k) start from an empty DB.
After fillseq or fillrandom the DB holds all N keys; overwrite and the ycsb/read workloads
keep it so. A workload that needs data (overwrite, read*, seekrandom, deleterandom, ycsb-*,
readwhilewriting) reuses that DB when present and otherwise first fills one, untimed, with N
keys in random order in batches of 1000 (noted as "prefilled (untimed)"). deleterandom,
fillsync and fill16k leave the DB without the full data set.

CPU time: each result's note carries "fg-cpu N us/op", the CPU time (user + system) of the
thread that ran the timed loop, per op. Unlike ops/s it is not inflated by waiting for a core
on a busy machine; it leaves out background threads and time blocked on I/O or locks.

Durability: non-sync writes survive a process crash on every engine (the log/WAL is written
to the OS), and may be lost on an OS crash or power loss; fillsync makes every write durable.
)USAGE";

bool ParseU64(const std::string& s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

int Usage(const char* error) {
  std::fprintf(stderr, "jadedb-bench: %s (see --help)\n", error);
  return 2;
}

int Main(int argc, char** argv) {
  BenchConfig config;
  std::vector<std::string> engines = AllEngineNames();
  std::vector<std::string> workloads = AllWorkloads();
  std::string json_path;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(kUsage, WorkloadHelp().c_str());
      return 0;
    }
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Usage(("missing value for " + arg).c_str());
    }
    uint64_t n = 0;
    if (name == "--engines") {
      engines = SplitList(value);
      for (const auto& e : engines) {
        std::string why;
        bool known = false;
        for (const auto& k : AllEngineNames()) known |= (k == e);
        if (!known) return Usage(("unknown engine " + e).c_str());
      }
    } else if (name == "--workloads") {
      workloads = SplitList(value);
      for (const auto& w : workloads) {
        if (!IsWorkload(w)) return Usage(("unknown workload " + w).c_str());
      }
    } else if (name == "--num" && ParseU64(value, &n) && n > 0 && n < (1ull << 31)) {
      config.num = n;
    } else if (name == "--value-size" && ParseU64(value, &n) && n > 0 && n <= (1 << 20)) {
      config.value_size = n;
    } else if (name == "--threads" && ParseU64(value, &n) && n > 0 && n <= 256) {
      config.threads = static_cast<int>(n);
    } else if (name == "--cache-mb" && ParseU64(value, &n) && n > 0 && n <= (1 << 20)) {
      config.settings.cache_bytes = static_cast<size_t>(n) << 20;
    } else if (name == "--compression" &&
               (value == "none" || value == "snappy" || value == "lz4" || value == "zstd")) {
      config.settings.compression = value;
    } else if (name == "--value-threshold" && ParseU64(value, &n) && n <= (1ull << 32)) {
      config.settings.value_threshold = static_cast<size_t>(n);
    } else if (name == "--db" && !value.empty()) {
      config.db_root = value;
    } else if (name == "--json" && !value.empty()) {
      json_path = value;
    } else if (name == "--seed" && ParseU64(value, &n)) {
      config.seed = n;
    } else {
      return Usage(
          ("bad flag or value: " + arg + (eq == std::string::npos ? " " + value : "")).c_str());
    }
  }

  FILE* json = nullptr;
  if (!json_path.empty()) {
    json = std::fopen(json_path.c_str(), "w");
    if (json == nullptr) {
      std::fprintf(stderr, "jadedb-bench: cannot write %s: %s\n", json_path.c_str(),
                   std::strerror(errno));
      return 2;
    }
  }

  std::printf("jadedb-bench\n\nMachine:\n%s\n", MachineDescription(config.db_root).c_str());
  std::printf(
      "Settings: num=%llu key=16B value=%zuB (half compressible) threads=%d "
      "cache=%zuMiB compression=%s value_threshold=%s seed=%llu db=%s\n\n",
      static_cast<unsigned long long>(config.num), config.value_size, config.threads,
      config.settings.cache_bytes >> 20, config.settings.compression.c_str(),
      config.settings.value_threshold.has_value()
          ? std::to_string(*config.settings.value_threshold).c_str()
          : "default",
      static_cast<unsigned long long>(config.seed), config.db_root.c_str());
  std::fflush(stdout);

  std::vector<Result> results;
  std::vector<std::string> ran;
  for (const auto& engine : engines) {
    EngineRun run(engine, config);
    std::string why;
    Status s = run.Start(&why);
    if (!s.ok()) {
      std::printf("%-10s skipped: %s\n", engine.c_str(), why.c_str());
      std::fflush(stdout);
      continue;
    }
    ran.push_back(engine);
    std::printf("%-10s settings: %s\n", engine.c_str(), run.Settings().c_str());
    for (const auto& w : workloads) {
      Result r;
      run.RunWorkload(w, &r);
      std::printf(
          "  %-10s %-16s %12.0f ops/s  %10llu ops %8.2f s  p50 %8.1f us  p99 %9.1f us"
          "  db %8.1f MiB%s%s\n",
          engine.c_str(), w.c_str(), r.ops_per_sec, static_cast<unsigned long long>(r.ops),
          r.seconds, r.p50_us, r.p99_us, static_cast<double>(r.db_bytes) / (1 << 20),
          r.error.empty() ? "" : "  ERROR ", r.error.c_str());
      std::fflush(stdout);
      if (json != nullptr) {
        std::fprintf(json, "%s\n", ToJson(r).c_str());
        std::fflush(json);
      }
      results.push_back(std::move(r));
    }
    run.Finish();
  }
  if (json != nullptr) std::fclose(json);

  PrintTables(stdout, ran, workloads, results);
  bool failed = false;
  for (const auto& r : results) failed |= !r.error.empty();
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace jadedb::bench

int main(int argc, char** argv) { return jadedb::bench::Main(argc, argv); }
