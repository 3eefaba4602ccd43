// When to crash: a random delay, or, for some iterations, the moment a new table file (a flush
// or compaction output being written) or a new WAL (a memtable switch) appears in the DB
// directory, or the first milliseconds of the run (the writer still recovering the DB).
// Polling the directory every millisecond needs no hook in the engine.
//
// Thread safety: none (one caller).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "util/random.h"

namespace jadedb::crashtest {

enum class CrashPlan { kTimer, kOnNewTable, kOnNewLog, kEarly };
const char* CrashPlanName(CrashPlan plan);

struct CrashMoment {
  CrashPlan plan = CrashPlan::kTimer;
  uint64_t delay_ms = 0;  // kTimer: the delay; watching plans: watch from delay/4 to 2*delay
};

// 45% timer, 30% new table, 15% new WAL, 10% early (0..59 ms); delays in [min_ms, max_ms].
// allow_early false turns early crashes into timer crashes.
CrashMoment ChooseCrashMoment(Random* rnd, int min_ms, int max_ms, bool allow_early);

struct WaitResult {
  bool done_early = false;  // done() returned true first
  bool triggered = false;   // a watching plan saw its new file
  uint64_t waited_ms = 0;
};

// Sleeps until the crash moment for the DB in db_dir, checking done() every poll.
WaitResult WaitForCrashMoment(const CrashMoment& moment, const std::string& db_dir, Random* rnd,
                              const std::function<bool()>& done);

}  // namespace jadedb::crashtest
