// jadedb-crashtest: kills a writer process (or simulates a power loss) at random moments, over
// and over on the same DB, and checks after every recovery that no acknowledged write was lost,
// no batch is partly visible, every checksum holds and the DB accepts writes. See --help and
// docs/reliability.md ("Crash test").
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb-crashtest/crash_test.h"

namespace jadedb::crashtest {
namespace {

constexpr const char* kUsage = R"(Usage: jadedb-crashtest [flags]

Crash test of JadeDB. For each iteration and engine: run a random write workload (WriteBatches
of puts and deletes, sync and non-sync, some values up to 256 KiB, a bounded key space so keys
are overwritten constantly, tiny memtables and levels so flushes and compactions never stop),
crash it at a random moment, recover, and verify:
  - every acknowledged batch that had to survive is there (after a kill: every acknowledged
    batch; after a power loss: every sync batch and all acknowledged before it);
  - no batch is partly visible, and each writer's visible batches are a prefix of its batches;
  - every value is intact, DB::VerifyChecksums passes, and the DB accepts writes again.
The DB is reused by the next iteration, so its state accumulates. Exit status 0 when all
iterations pass, 1 on a violation (the DB directory is kept and a replay command printed),
2 on bad flags.

Flags (--flag VALUE or --flag=VALUE):
  --db DIR            working directory; the DB of engine E is DIR/E and its ack log DIR/E.acks.
                      An existing DB there is continued. Default: a fresh temporary directory,
                      removed after a clean run.
  --engines LIST      comma-separated engines: lsm, bplustree (default lsm). An engine this
                      build does not have is skipped with a message.
  --iterations N      crash-and-verify cycles per engine (default 20).
  --seed S            seed of the run (default: time-based); iteration 0 uses S itself, so
                      "--seed S --iterations 1" replays one iteration's workload.
  --mode M            kill (SIGKILL a writer child process), powerloss (in-process power loss
                      through FaultInjectionEnv), or both (alternating). Default kill.
  --duration-per-iteration-ms A-B
                      the workload runs for a random time in [A, B] ms before the crash
                      (default 300-2500); "A" alone means exactly A.
  --key-space N       number of distinct keys (default 4096).
  --max-threads N     each iteration uses 1..N writer threads, each on its own key slice
                      (default 4, at most 8).
  --unsynced-tails LIST
                      power loss: what may remain of each file's unsynced tail, picked per
                      iteration from the comma-separated LIST of drop (nothing), prefix (a
                      random prefix of the written data), zeros, garbage (random bytes).
                      Default drop,prefix,zeros,garbage.
  --range-deletes     ask for DeleteRange operations (skipped with a message: WriteBatch has no
                      DeleteRange yet).
  --verbose           print each iteration's parameters, crash and verification figures.
  --help              this text.

Internal (the tool starts its writer process with these): --child, --ack-log FILE (where the
child appends its acknowledgements), --epoch N (the iteration's epoch).
)";

[[noreturn]] void BadFlag(const std::string& msg) {
  std::fprintf(stderr, "jadedb-crashtest: %s (see --help)\n", msg.c_str());
  std::exit(2);
}

bool ParseU64(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

uint64_t U64Flag(const std::string& name, const std::string& value, uint64_t lo, uint64_t hi) {
  uint64_t v;
  if (!ParseU64(value, &v) || v < lo || v > hi) {
    BadFlag("--" + name + " wants a number in [" + std::to_string(lo) + ", " + std::to_string(hi) +
            "], got '" + value + "'");
  }
  return v;
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    out.push_back(list.substr(pos, comma - pos));
    pos = comma + 1;
  }
  return out;
}

struct ChildArgs {
  bool child = false;
  std::string ack_log;
  uint32_t epoch = 0;
};

std::string SelfExe(const char* argv0) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) return p.string();
  return argv0;
}

std::string ModeName(CrashMode m) {
  return m == CrashMode::kKill ? "kill" : m == CrashMode::kPowerLoss ? "powerloss" : "both";
}

void ParseFlags(int argc, char** argv, Config* config, ChildArgs* child, bool* db_given,
                bool* seed_given) {
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) BadFlag("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) BadFlag("--" + name + " needs a value");
      return argv[++i];
    };
    if (name == "verbose") {
      config->verbose = true;
    } else if (name == "range-deletes") {
      config->range_deletes = true;
    } else if (name == "child") {
      child->child = true;
    } else if (name == "db") {
      config->root = take();
      *db_given = true;
    } else if (name == "ack-log") {
      child->ack_log = take();
    } else if (name == "epoch") {
      child->epoch = static_cast<uint32_t>(U64Flag(name, take(), 1, (1u << 24) - 1));
    } else if (name == "engines") {
      config->engines.clear();
      for (const std::string& e : SplitList(take())) {
        EngineType type;
        if (!ParseEngineType(e, &type)) BadFlag("unknown engine '" + e + "'");
        config->engines.push_back(type);
      }
    } else if (name == "iterations") {
      config->iterations = static_cast<int>(U64Flag(name, take(), 1, 1000000));
    } else if (name == "seed") {
      config->seed = U64Flag(name, take(), 0, UINT64_MAX - 1);
      *seed_given = true;
    } else if (name == "mode") {
      std::string m = take();
      if (m == "kill") {
        config->mode = CrashMode::kKill;
      } else if (m == "powerloss") {
        config->mode = CrashMode::kPowerLoss;
      } else if (m == "both") {
        config->mode = CrashMode::kBoth;
      } else {
        BadFlag("--mode wants kill, powerloss or both, got '" + m + "'");
      }
    } else if (name == "duration-per-iteration-ms") {
      std::string r = take();
      size_t dash = r.find('-');
      std::string lo = dash == std::string::npos ? r : r.substr(0, dash);
      std::string hi = dash == std::string::npos ? r : r.substr(dash + 1);
      config->min_ms = static_cast<int>(U64Flag(name, lo, 1, 3600000));
      config->max_ms = static_cast<int>(U64Flag(name, hi, 1, 3600000));
      if (config->max_ms < config->min_ms) BadFlag("--" + name + ": range A-B needs A <= B");
    } else if (name == "unsynced-tails") {
      config->unsynced_tails = 0;
      for (const std::string& t : SplitList(take())) {
        if (t == "drop") {
          config->unsynced_tails |= 1;
        } else if (t == "prefix") {
          config->unsynced_tails |= 2;
        } else if (t == "zeros") {
          config->unsynced_tails |= 4;
        } else if (t == "garbage") {
          config->unsynced_tails |= 8;
        } else {
          BadFlag("--unsynced-tails: unknown mode '" + t + "'");
        }
      }
    } else if (name == "key-space") {
      config->key_space = static_cast<uint32_t>(U64Flag(name, take(), 16, 10000000));
    } else if (name == "max-threads") {
      config->max_threads = static_cast<int>(U64Flag(name, take(), 1, kMaxThreads));
    } else {
      BadFlag("unknown flag --" + name);
    }
  }
}

std::string CommonFlags(const Config& c, const std::vector<EngineType>& engines, CrashMode mode) {
  std::string list;
  for (EngineType e : engines) list += std::string(list.empty() ? "" : ",") + EngineTypeName(e);
  std::string out = " --engines " + list + " --mode " + ModeName(mode) +
                    " --duration-per-iteration-ms " + std::to_string(c.min_ms) + "-" +
                    std::to_string(c.max_ms) + " --key-space " + std::to_string(c.key_space) +
                    " --max-threads " + std::to_string(c.max_threads);
  if (mode != CrashMode::kKill && c.unsynced_tails != 0xf) {
    static const char* kNames[] = {"drop", "prefix", "zeros", "garbage"};
    std::string tails;
    for (int t = 0; t < 4; t++) {
      if (c.unsynced_tails & (1u << t)) tails += std::string(tails.empty() ? "" : ",") + kNames[t];
    }
    out += " --unsynced-tails " + tails;
  }
  return out;
}

void PrintTotals(EngineType engine, const Totals& t) {
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "engine %s: %llu iterations: %llu kills, %llu power losses (%llu crashes right after a new "
      "table file appeared, %llu after a new WAL, %llu during open/recovery); %llu batches "
      "acknowledged (%llu sync), %llu acknowledged batches required and verified present, %llu "
      "in-flight batches found committed, %llu keys at the end, 0 violations\n",
      EngineTypeName(engine), u(t.iterations), u(t.kills), u(t.power_losses),
      u(t.crashes_on_new_table), u(t.crashes_on_new_log), u(t.crashes_early), u(t.batches_acked),
      u(t.sync_acked), u(t.batches_required), u(t.unacked_visible), u(t.keys_present));
}

int Main(int argc, char** argv) {
  Config config;
  ChildArgs child;
  bool db_given = false;
  bool seed_given = false;
  ParseFlags(argc, argv, &config, &child, &db_given, &seed_given);
  config.self_exe = SelfExe(argv[0]);

  if (child.child) {
    if (!db_given || child.ack_log.empty() || child.epoch == 0 || config.engines.size() != 1) {
      BadFlag("--child needs --db, --ack-log, --epoch and one engine");
    }
    IterationParams params =
        MakeIterationParams(config.seed, child.epoch, config.key_space, config.max_threads);
    params.range_deletes = config.range_deletes;
    return RunWriterChild(config.root, child.ack_log, config.engines[0], params);
  }

  if (config.range_deletes) {
    std::printf("range deletes: skipped (WriteBatch has no DeleteRange in this build)\n");
    config.range_deletes = false;
  }
  if (!seed_given) {
    config.seed =
        static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) %
        1000000000000ull;
  }
  if (!db_given) {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/jadedb-crashtest-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "jadedb-crashtest: mkdtemp %s: %s\n", tmpl.c_str(),
                   std::strerror(errno));
      return 1;
    }
    config.root = tmpl;
    config.keep_root = false;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(config.root, ec);
    if (ec) BadFlag("--db " + config.root + ": " + ec.message());
  }
  std::printf("jadedb-crashtest: seed %llu, mode %s, %d iterations, dir %s\n",
              static_cast<unsigned long long>(config.seed), ModeName(config.mode).c_str(),
              config.iterations, config.root.c_str());
  std::printf("replay: jadedb-crashtest --seed %llu --iterations %d%s\n",
              static_cast<unsigned long long>(config.seed), config.iterations,
              CommonFlags(config, config.engines, config.mode).c_str());
  std::fflush(stdout);

  int ran = 0;
  for (EngineType engine : config.engines) {
    EngineCrashTest test(config, engine);
    Status s = test.Prepare();
    if (s.IsNotSupported()) {
      std::printf("engine %s: skipped (%s)\n", EngineTypeName(engine), s.ToString().c_str());
      continue;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "engine %s: cannot start: %s\n", EngineTypeName(engine),
                   s.ToString().c_str());
      return 1;
    }
    for (int i = 0; i < config.iterations; i++) {
      const uint64_t seed = IterationSeed(config.seed, i);
      const bool power_loss = IsPowerLossIteration(config.mode, i);
      if (config.verbose) {
        std::printf("iteration %d/%d engine %s seed %llu (%s)\n", i + 1, config.iterations,
                    EngineTypeName(engine), static_cast<unsigned long long>(seed),
                    power_loss ? "power loss" : "kill");
      }
      s = test.RunIteration(i, seed, power_loss);
      if (!s.ok()) {
        const CrashMode mode = power_loss ? CrashMode::kPowerLoss : CrashMode::kKill;
        std::fprintf(stderr,
                     "\nVIOLATION: engine %s, iteration %d of run seed %llu (iteration seed "
                     "%llu, %s):\n  %s\n"
                     "Files kept: DB %s, acknowledgement log %s\n"
                     "Replay this iteration's workload on a fresh DB:\n"
                     "  jadedb-crashtest --seed %llu --iterations 1%s\n"
                     "Replay the whole run (crash timing is random, so a replay may differ):\n"
                     "  jadedb-crashtest --seed %llu --iterations %d%s\n",
                     EngineTypeName(engine), i, static_cast<unsigned long long>(config.seed),
                     static_cast<unsigned long long>(seed), power_loss ? "power loss" : "kill",
                     s.ToString().c_str(), test.db_path().c_str(), test.ack_path().c_str(),
                     static_cast<unsigned long long>(seed),
                     CommonFlags(config, {engine}, mode).c_str(),
                     static_cast<unsigned long long>(config.seed), i + 1,
                     CommonFlags(config, {engine}, config.mode).c_str());
        return 1;
      }
      if (!config.verbose && (i + 1) % 10 == 0) {
        std::printf("engine %s: %d/%d iterations passed\n", EngineTypeName(engine), i + 1,
                    config.iterations);
        std::fflush(stdout);
      }
    }
    PrintTotals(engine, test.totals());
    ran++;
  }
  if (!config.keep_root) {
    std::error_code ec;
    std::filesystem::remove_all(config.root, ec);
  }
  std::printf("PASS: %d engine(s) tested\n", ran);
  return 0;
}

}  // namespace
}  // namespace jadedb::crashtest

int main(int argc, char** argv) { return jadedb::crashtest::Main(argc, argv); }
