#include "jadedb-crashtest/crash_test.h"

#include <cstdio>
#include <memory>

#include "jadedb/db.h"

namespace jadedb::crashtest {

uint64_t IterationSeed(uint64_t seed, int i) {
  return i == 0 ? seed : Mix64(seed + static_cast<uint64_t>(i));
}

bool IsPowerLossIteration(CrashMode mode, int i) {
  return mode == CrashMode::kPowerLoss || (mode == CrashMode::kBoth && i % 2 == 1);
}

EngineCrashTest::EngineCrashTest(const Config& config, EngineType engine)
    : config_(config),
      engine_(engine),
      db_path_(config.root + "/" + EngineTypeName(engine)),
      ack_path_(db_path_ + ".acks"),
      verifier_(config.key_space) {}

void EngineCrashTest::Say(const std::string& line) const {
  if (config_.verbose) std::printf("  [%s] %s\n", EngineTypeName(engine_), line.c_str());
  std::fflush(stdout);
}

void EngineCrashTest::CountCrash(const CrashMoment& moment, const WaitResult& waited) {
  if (moment.plan == CrashPlan::kEarly) totals_.crashes_early++;
  if (waited.triggered && moment.plan == CrashPlan::kOnNewTable) totals_.crashes_on_new_table++;
  if (waited.triggered && moment.plan == CrashPlan::kOnNewLog) totals_.crashes_on_new_log++;
}

IterationParams EngineCrashTest::Params(uint64_t iteration_seed) {
  IterationParams p =
      MakeIterationParams(iteration_seed, epoch_, config_.key_space, config_.max_threads);
  p.range_deletes = config_.range_deletes;
  return p;
}

Status EngineCrashTest::Prepare() {
  IterationParams p = Params(config_.seed);
  std::unique_ptr<DB> db;
  Status s = DB::Open(CrashTestOptions(p, engine_), db_path_, &db);
  if (!s.ok()) return s;
  s = verifier_.LoadFrom(db.get(), &epoch_);
  if (!s.ok()) return s;
  if (epoch_ >= (1u << 24) - 1) return Status::InvalidArgument(db_path_, "epoch space exhausted");
  totals_.keys_present = 0;
  for (uint64_t stamp : verifier_.model()) totals_.keys_present += stamp != kAbsent;
  Say("starting from " + std::to_string(totals_.keys_present) + " keys, last epoch " +
      std::to_string(epoch_));
  return Status::OK();
}

Status EngineCrashTest::RunIteration(int /*i*/, uint64_t iteration_seed, bool power_loss) {
  epoch_++;
  const IterationParams params = Params(iteration_seed);
  Say(ParamsString(params));
  std::vector<Ack> acks;
  Status s = power_loss ? RunPowerLoss(params, &acks) : RunKill(params, &acks);
  if (!s.ok()) return s;
  totals_.iterations++;
  return VerifyAfterCrash(params, acks, power_loss);
}

Status EngineCrashTest::VerifyAfterCrash(const IterationParams& params,
                                         const std::vector<Ack>& acks, bool power_loss) {
  std::vector<StreamBounds> bounds;
  Status s = ComputeBounds(params, acks, power_loss, &bounds);
  if (!s.ok()) return s;
  uint64_t sync_acked = 0;
  for (const Ack& a : acks) sync_acked += a.sync;

  std::unique_ptr<DB> db;
  s = DB::Open(CrashTestOptions(params, engine_), db_path_, &db);
  if (!s.ok()) return Status::Corruption("recovery failed", s.ToString());
  std::vector<uint64_t> actual;
  s = ScanDB(db.get(), params.key_space, &actual);
  if (!s.ok()) return s;
  VerifyStats stats;
  s = verifier_.VerifyIteration(params, bounds, actual, &stats);
  if (!s.ok()) return s;
  std::string report;
  s = db->VerifyChecksums(&report);
  if (!s.ok()) return Status::Corruption("VerifyChecksums after recovery", s.ToString());
  db.reset();
  s = CheckWritable(params);
  if (!s.ok()) return s;

  totals_.batches_acked += acks.size();
  totals_.sync_acked += sync_acked;
  totals_.batches_required += stats.batches_required;
  totals_.batches_visible += stats.batches_visible;
  totals_.unacked_visible += stats.unacked_visible;
  totals_.keys_present = stats.keys_present;
  Say("verified: " + std::to_string(acks.size()) + " batches acknowledged (" +
      std::to_string(sync_acked) + " sync), " + std::to_string(stats.batches_required) +
      " required and present, " + std::to_string(stats.batches_visible) + " visible (" +
      std::to_string(stats.unacked_visible) + " unacknowledged), " +
      std::to_string(stats.keys_present) + " keys");
  return Status::OK();
}

// The DB accepts writes again: a sync write and a delete are read back, survive a reopen, and
// the reopen (which replays them) leaves the workload's keys exactly as verified.
Status EngineCrashTest::CheckWritable(const IterationParams& params) {
  const Options options = CrashTestOptions(params, engine_);
  const std::string key = std::string(kProbePrefix) + std::to_string(params.epoch);
  const std::string value = "probe of epoch " + std::to_string(params.epoch);
  auto fail = [&](const std::string& what, const Status& s) {
    return Status::Corruption("DB does not accept writes after recovery",
                              what + ": " + s.ToString());
  };
  WriteOptions sync;
  sync.sync = true;
  std::unique_ptr<DB> db;
  Status s = DB::Open(options, db_path_, &db);
  if (!s.ok()) return fail("open", s);
  s = db->Put(sync, key, value);
  if (!s.ok()) return fail("put", s);
  std::string got;
  s = db->Get(ReadOptions(), key, &got);
  if (!s.ok() || got != value) return fail("read back", s);
  db.reset();

  s = DB::Open(options, db_path_, &db);
  if (!s.ok()) return fail("reopen", s);
  s = db->Get(ReadOptions(), key, &got);
  if (!s.ok() || got != value) return fail("read back after reopen", s);
  s = db->Delete(sync, key);
  if (!s.ok()) return fail("delete", s);
  std::vector<uint64_t> actual;
  s = ScanDB(db.get(), params.key_space, &actual);
  if (!s.ok()) return s;
  if (actual != verifier_.model()) {
    for (uint32_t k = 0; k < actual.size(); k++) {
      if (actual[k] != verifier_.model()[k]) {
        return Status::Corruption("state changed by a clean reopen",
                                  KeyOf(k) + ": was " + StampString(verifier_.model()[k]) +
                                      ", now " + StampString(actual[k]));
      }
    }
  }
  db.reset();
  s = DB::Open(options, db_path_, &db);
  if (!s.ok()) return fail("second reopen", s);
  s = db->Get(ReadOptions(), key, &got);
  if (!s.IsNotFound()) return fail("probe still visible after its delete", s);
  return Status::OK();
}

}  // namespace jadedb::crashtest
