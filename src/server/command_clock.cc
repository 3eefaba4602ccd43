#include "server/command_clock.h"

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace jadedb::server {
namespace {

#ifdef JADEDB_COMMAND_CLOCK_TSC
bool TscIsTrustworthy() {
  std::ifstream cs("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string source;
  if (!(cs >> source) || source != "tsc") return false;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line);
    bool constant = false, nonstop = false;
    for (std::string w; words >> w;) {
      constant |= w == "constant_tsc";
      nonstop |= w == "nonstop_tsc";
    }
    return constant && nonstop;  // the first CPU's flags (all CPUs of a machine share them)
  }
  return false;
}
#endif

}  // namespace

CommandClock::Calibration CommandClock::Calibrate() {
  Calibration c;
#ifdef JADEDB_COMMAND_CLOCK_TSC
  if (!TscIsTrustworthy()) return c;
  // Ticks per steady-clock interval of ~2 ms. Each end pairs a TSC read with the midpoint of
  // two steady-clock reads taken within 2 us of each other (retried when the thread was
  // preempted in between, which on a loaded machine could skew the rate by any amount), so
  // the rate is off by less than 0.1%, below what latency statistics resolve.
  auto paired_read = [](uint64_t* ns, uint64_t* ticks) {
    for (int attempt = 0; attempt < 100; attempt++) {
      const uint64_t before = SteadyNanos();
      *ticks = __rdtsc();
      const uint64_t after = SteadyNanos();
      *ns = before + (after - before) / 2;
      if (after - before < 2000) return true;
    }
    return false;
  };
  uint64_t ns0 = 0, t0 = 0, ns1 = 0, t1 = 0;
  if (!paired_read(&ns0, &t0)) return c;
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (!paired_read(&ns1, &t1)) return c;
  if (t1 <= t0 || ns1 <= ns0) return c;
  c.use_tsc = true;
  c.micros_per_tick = static_cast<double>(ns1 - ns0) / 1e3 / static_cast<double>(t1 - t0);
#endif
  return c;
}

}  // namespace jadedb::server
