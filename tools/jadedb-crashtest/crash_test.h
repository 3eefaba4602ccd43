// EngineCrashTest: the iterations of the crash test for one engine on one DB directory. Each
// iteration runs the workload until a crash (a SIGKILLed writer process, or a simulated power
// loss in this process), then recovers the DB and checks it (see verifier.h), and leaves the DB
// in place for the next iteration, so the state accumulates.
//
// Thread safety: none; one object per engine, driven by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jadedb-crashtest/ack_log.h"
#include "jadedb-crashtest/crash_moment.h"
#include "jadedb-crashtest/verifier.h"
#include "jadedb-crashtest/workload.h"
#include "jadedb/options.h"
#include "jadedb/status.h"

namespace jadedb::crashtest {

enum class CrashMode { kKill, kPowerLoss, kBoth };

struct Config {
  std::string root;       // holds <engine>/ (the DB) and <engine>.acks per engine
  bool keep_root = true;  // false: a temp dir removed after a clean run
  std::vector<EngineType> engines{EngineType::kLsm};
  int iterations = 20;
  uint64_t seed = 0;
  CrashMode mode = CrashMode::kKill;
  int min_ms = 300;   // how long the workload runs before the crash, chosen per
  int max_ms = 2500;  // iteration in [min_ms, max_ms]
  uint32_t key_space = 4096;
  int max_threads = 4;
  bool range_deletes = false;
  // Power loss: what may be left of each file's unsynced tail; one bit per UnsyncedTail
  // (drop, random prefix, zeros, garbage), picked at random per iteration among those set.
  uint32_t unsynced_tails = 0xf;
  bool verbose = false;
  std::string self_exe;  // this binary, exec'ed as the writer child
};

struct Totals {
  uint64_t iterations = 0;
  uint64_t kills = 0;
  uint64_t power_losses = 0;
  // Crashes (kills or power losses) fired right after a new table file appeared (a flush or
  // compaction writing), right after a new WAL appeared (a memtable switch), and within 60 ms
  // of the writer's start (kills only: the child is still recovering the DB).
  uint64_t crashes_on_new_table = 0;
  uint64_t crashes_on_new_log = 0;
  uint64_t crashes_early = 0;
  uint64_t batches_acked = 0;
  uint64_t sync_acked = 0;
  uint64_t batches_required = 0;  // acknowledged batches that had to be and were present
  uint64_t batches_visible = 0;
  uint64_t unacked_visible = 0;
  uint64_t keys_present = 0;  // after the last iteration
};

// The seed of iteration i of a run with seed `seed` (iteration 0 uses the seed itself, so
// "--seed S --iterations 1" replays it).
uint64_t IterationSeed(uint64_t seed, int i);
// The crash of iteration i under --mode both alternates: even kill, odd power loss.
bool IsPowerLossIteration(CrashMode mode, int i);

class EngineCrashTest {
 public:
  EngineCrashTest(const Config& config, EngineType engine);

  // Opens (creating) the DB and takes its content as the starting model. NotSupported when
  // this build lacks the engine.
  Status Prepare();
  // One crash-and-verify cycle. A non-OK Status is a violation (or the tool failing): the
  // caller stops and keeps the files.
  Status RunIteration(int i, uint64_t iteration_seed, bool power_loss);

  const Totals& totals() const { return totals_; }
  const std::string& db_path() const { return db_path_; }
  const std::string& ack_path() const { return ack_path_; }

 private:
  IterationParams Params(uint64_t iteration_seed);
  Status RunKill(const IterationParams& params, std::vector<Ack>* acks);
  Status RunPowerLoss(const IterationParams& params, std::vector<Ack>* acks);
  // Recovers the DB after the crash and checks everything; updates the model and totals.
  Status VerifyAfterCrash(const IterationParams& params, const std::vector<Ack>& acks,
                          bool power_loss);
  Status CheckWritable(const IterationParams& params);
  void Say(const std::string& line) const;
  void CountCrash(const CrashMoment& moment, const WaitResult& waited);

  const Config config_;
  const EngineType engine_;
  const std::string db_path_;
  const std::string ack_path_;
  Verifier verifier_;
  uint32_t epoch_ = 0;  // of the last iteration
  Totals totals_;
};

// The writer child's main: opens the DB and runs the workload until killed. Never returns
// normally; exits 2 when the DB cannot be opened and 3 when a write fails.
int RunWriterChild(const std::string& db_path, const std::string& ack_path, EngineType engine,
                   const IterationParams& params);

}  // namespace jadedb::crashtest
