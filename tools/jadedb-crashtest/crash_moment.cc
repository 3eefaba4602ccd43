#include "jadedb-crashtest/crash_moment.h"

#include <dirent.h>

#include <chrono>
#include <set>
#include <thread>

namespace jadedb::crashtest {
namespace {

std::set<std::string> FilesWithSuffix(const std::string& dir, const std::string& suffix) {
  std::set<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.insert(name);
    }
  }
  ::closedir(d);
  return out;
}

uint64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* CrashPlanName(CrashPlan plan) {
  switch (plan) {
    case CrashPlan::kTimer:
      return "timer";
    case CrashPlan::kOnNewTable:
      return "new table";
    case CrashPlan::kOnNewLog:
      return "new WAL";
    case CrashPlan::kEarly:
      return "early";
  }
  return "?";
}

CrashMoment ChooseCrashMoment(Random* rnd, int min_ms, int max_ms, bool allow_early) {
  CrashMoment m;
  const uint64_t r = rnd->Uniform(100);
  m.plan = r < 45   ? CrashPlan::kTimer
           : r < 75 ? CrashPlan::kOnNewTable
           : r < 90 ? CrashPlan::kOnNewLog
                    : CrashPlan::kEarly;
  if (m.plan == CrashPlan::kEarly && !allow_early) m.plan = CrashPlan::kTimer;
  const uint64_t span = static_cast<uint64_t>(max_ms - min_ms) + 1;
  m.delay_ms = static_cast<uint64_t>(min_ms) + rnd->Uniform(span);
  if (m.plan == CrashPlan::kEarly) m.delay_ms = rnd->Uniform(60);
  return m;
}

WaitResult WaitForCrashMoment(const CrashMoment& moment, const std::string& db_dir, Random* rnd,
                              const std::function<bool()>& done) {
  WaitResult result;
  const uint64_t start = NowMillis();
  const bool watching =
      moment.plan == CrashPlan::kOnNewTable || moment.plan == CrashPlan::kOnNewLog;
  const std::string suffix = moment.plan == CrashPlan::kOnNewLog ? ".log" : ".sst";
  const uint64_t arm_at = start + moment.delay_ms / 4;
  const uint64_t deadline = start + (watching ? 2 * moment.delay_ms : moment.delay_ms);
  const auto poll = std::chrono::microseconds(moment.plan == CrashPlan::kEarly ? 200 : 1000);
  std::set<std::string> seen;
  bool armed = false;
  while (true) {
    if (done()) {
      result.done_early = true;
      break;
    }
    const uint64_t now = NowMillis();
    if (now >= deadline) break;
    if (watching && now >= arm_at) {
      std::set<std::string> files = FilesWithSuffix(db_dir, suffix);
      if (armed) {
        bool fresh = false;
        for (const std::string& f : files) fresh |= seen.count(f) == 0;
        if (fresh) {
          // Let the new file's writer get a little way in (0-3 ms), then crash.
          std::this_thread::sleep_for(std::chrono::microseconds(rnd->Uniform(3000)));
          result.triggered = true;
          break;
        }
      }
      seen = std::move(files);
      armed = true;
    }
    std::this_thread::sleep_for(poll);
  }
  result.waited_ms = NowMillis() - start;
  return result;
}

}  // namespace jadedb::crashtest
