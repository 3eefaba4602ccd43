// The power-loss mode: the workload runs in this process on a DB opened through a
// FaultInjectionEnv; at a random moment the file system "dies" (SetFilesystemActive(false):
// nothing written afterwards reaches the disk), the DB object is destroyed, and
// SimulatePowerLoss() rewinds every file and directory entry to what was fsynced. Some
// iterations instead close the DB cleanly and then lose power, which checks that a clean close
// does not depend on unsynced data either. The unsynced tail of each file is dropped, or
// replaced by a random prefix, zeros or garbage, as a real disk may leave it.
#include <memory>
#include <mutex>
#include <vector>

#include "jadedb-crashtest/crash_moment.h"
#include "jadedb-crashtest/crash_test.h"
#include "jadedb/db.h"
#include "util/fault_injection_env.h"
#include "util/random.h"

namespace jadedb::crashtest {
namespace {

// Keeps acknowledgements in memory: the simulated power loss only rewinds files.
class MemoryAckSink final : public AckSink {
 public:
  void Acked(const Ack& ack) override {
    std::lock_guard<std::mutex> l(mu_);
    acks_.push_back(ack);
  }
  std::vector<Ack> Take() {
    std::lock_guard<std::mutex> l(mu_);
    return std::move(acks_);
  }

 private:
  std::mutex mu_;
  std::vector<Ack> acks_;
};

}  // namespace

Status EngineCrashTest::RunPowerLoss(const IterationParams& params, std::vector<Ack>* acks) {
  Random rnd(Mix64(params.seed ^ 0x706f776572ull));
  FaultInjectionEnv env(Env::Default(), params.seed);
  static const UnsyncedTail kTails[] = {UnsyncedTail::kDrop, UnsyncedTail::kRandomPrefix,
                                        UnsyncedTail::kZeros, UnsyncedTail::kGarbage};
  static const char* kTailNames[] = {"drop", "random prefix", "zeros", "garbage"};
  std::vector<int> allowed;
  for (int t = 0; t < 4; t++) {
    if (config_.unsynced_tails & (1u << t)) allowed.push_back(t);
  }
  if (allowed.empty()) allowed.push_back(0);
  const int tail = allowed[rnd.Uniform(allowed.size())];
  env.SetUnsyncedTail(kTails[tail]);
  const bool clean_close = rnd.OneIn(4);
  const CrashMoment moment = ChooseCrashMoment(&rnd, config_.min_ms, config_.max_ms, false);

  Options options = CrashTestOptions(params, engine_);
  options.env = &env;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, db_path_, &db);
  if (!s.ok()) return Status::Corruption("open before the power loss", s.ToString());
  MemoryAckSink sink;
  WaitResult waited;
  {
    WorkloadRunner runner(db.get(), params, &sink);
    runner.Start();
    waited = WaitForCrashMoment(moment, db_path_, &rnd, [&] { return runner.failed(); });
    if (runner.failed()) {
      return Status::Corruption("write failed with the file system healthy", runner.first_error());
    }
    if (!clean_close) env.SetFilesystemActive(false);
    runner.Stop();
    if (clean_close && runner.failed()) {
      return Status::Corruption("write failed with the file system healthy", runner.first_error());
    }
    // Destroyed while the file system is dead: whatever the DB writes now is lost.
    db.reset();
  }
  s = env.SimulatePowerLoss();
  if (!s.ok()) return Status::IOError("SimulatePowerLoss", s.ToString());
  totals_.power_losses++;
  CountCrash(moment, waited);
  Say("power lost after " + std::to_string(waited.waited_ms) + " ms (plan: " +
      CrashPlanName(moment.plan) + (waited.triggered ? ", " : ", no new file in time, ") +
      (clean_close ? "after a clean close" : "file system cut while writing") +
      ", unsynced tails: " + kTailNames[tail] + ")");
  *acks = sink.Take();
  return Status::OK();
}

}  // namespace jadedb::crashtest
