// The jadedb-bench workloads (fillseq, readrandom, ycsb-a, ...) run against one Adapter.
//
// An EngineRun owns one engine's DB directory for the whole run and remembers whether it
// holds the standard data set (all --num keys): a workload that needs data reuses the DB a
// previous fill of the same run left, and otherwise fills it first, untimed (see RunWorkload).
// Not thread-safe: one EngineRun is driven by one thread (it starts its own reader threads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapter.h"
#include "jadedb/status.h"

namespace jadedb::bench {

struct BenchConfig {
  uint64_t num = 1000000;  // Keys in the data set, and ops per workload (unless noted).
  size_t value_size = 100;
  int threads = 1;  // Reader threads of readwhilewriting.
  std::string db_root = "/tmp/jadedb-bench";
  uint64_t seed = 301;
  BenchSettings settings;
};

struct Result {
  std::string engine;
  std::string workload;
  uint64_t ops = 0;
  double seconds = 0;
  double ops_per_sec = 0;
  double p50_us = 0;
  double p99_us = 0;
  uint64_t db_bytes = 0;
  std::string note;   // E.g. "prefilled (untimed)", "ops=num/100".
  std::string error;  // Non-empty when the workload failed.
};

// Every workload, in the order a full run uses.
const std::vector<std::string>& AllWorkloads();
bool IsWorkload(const std::string& name);
// One line per workload for --help.
std::string WorkloadHelp();

class EngineRun {
 public:
  EngineRun(std::string engine, const BenchConfig& config);
  ~EngineRun();

  // Creates the adapter and opens a fresh DB. NotSupported (or any error) means skip this
  // engine; *why says why.
  Status Start(std::string* why);
  // Runs one workload and fills *result (error set when it failed).
  void RunWorkload(const std::string& workload, Result* result);
  // Closes and removes the DB.
  void Finish();

  std::string Settings() const { return adapter_ ? adapter_->Settings() : ""; }

 private:
  // Closes, deletes and reopens the DB empty.
  Status Fresh();
  // Makes sure the DB holds all config_.num keys (fill in batches, untimed, if not).
  Status EnsureFull(Result* result);
  Status Fill(Result* result, bool sequential);
  Status Overwrite(Result* result);
  Status ReadRandom(Result* result, bool missing);
  Status SeekRandom(Result* result);
  Status ReadSeq(Result* result);
  Status DeleteRandom(Result* result);
  Status FillSync(Result* result);
  Status Fill16k(Result* result);
  Status Ycsb(char kind, Result* result);
  Status ReadWhileWriting(Result* result);

  std::string engine_;
  BenchConfig config_;
  std::string dir_;
  std::unique_ptr<Adapter> adapter_;
  bool full_ = false;         // The DB holds every key in [0, num).
  uint64_t inserted_ = 0;     // Keys num, num+1, ... added by ycsb-d/e inserts.
  uint64_t run_counter_ = 0;  // Varies the seed per workload.
};

}  // namespace jadedb::bench
