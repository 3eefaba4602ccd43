// CommandClock: the clock of the per-command latency statistics (INFO, GET /metrics). It is
// read once per command, so its cost is paid on every request: on this project's x86 VMs
// steady_clock::now() (vDSO clock_gettime) took ~100 ns, about a fifth of a pipelined GET's
// user-space time, while reading the TSC directly took ~40 ns. So, when the kernel itself keeps
// time with the TSC (clocksource "tsc", which it only selects when the TSC is invariant and
// synchronized across CPUs) and the CPU reports constant_tsc and nonstop_tsc, ticks are read with
// rdtsc and converted to microseconds with a rate calibrated once against steady_clock (as Redis's
// monotonic clock does); otherwise ticks are steady_clock nanoseconds.
//
// Thread-safe. Init is optional (the first Micros or now() call does it) but takes ~2 ms, so
// the server calls it at startup rather than on its first command.
#pragma once

#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define JADEDB_COMMAND_CLOCK_TSC 1
#endif

namespace jadedb::server {

class CommandClock {
 public:
  using time_point = uint64_t;  // ticks; only differences mean anything

  static void Init() { (void)State(); }

  static time_point now() {
#ifdef JADEDB_COMMAND_CLOCK_TSC
    if (State().use_tsc) return __rdtsc();
#endif
    return SteadyNanos();
  }

  // Whole microseconds from `from` to `to` (0 when `to` is earlier).
  static uint64_t Micros(time_point from, time_point to) {
    if (to <= from) return 0;
    return static_cast<uint64_t>(static_cast<double>(to - from) * State().micros_per_tick);
  }

  // For tests and INFO: whether ticks are TSC ticks.
  static bool UsesTsc() { return State().use_tsc; }

 private:
  struct Calibration {
    bool use_tsc = false;
    double micros_per_tick = 1e-3;  // steady_clock nanoseconds
  };

  static uint64_t SteadyNanos() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }

  static const Calibration& State() {
    static const Calibration c = Calibrate();
    return c;
  }
  static Calibration Calibrate();
};

}  // namespace jadedb::server
