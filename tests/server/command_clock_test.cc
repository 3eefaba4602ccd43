#include "server/command_clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace jadedb::server {
namespace {

TEST(CommandClockTest, MeasuresMicroseconds) {
  CommandClock::Init();
  const CommandClock::time_point t0 = CommandClock::now();
  const auto s0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const CommandClock::time_point t1 = CommandClock::now();
  const auto s1 = std::chrono::steady_clock::now();
  const auto steady_us = std::chrono::duration_cast<std::chrono::microseconds>(s1 - s0).count();
  const uint64_t us = CommandClock::Micros(t0, t1);
  // Within 5% of steady_clock over the same interval (the TSC rate is calibrated to it),
  // whichever clock source this machine gives.
  EXPECT_GE(us, 30000u);
  EXPECT_NEAR(static_cast<double>(us), static_cast<double>(steady_us), 0.05 * steady_us)
      << "tsc=" << CommandClock::UsesTsc();
}

TEST(CommandClockTest, NeverNegative) {
  const CommandClock::time_point t = CommandClock::now();
  EXPECT_EQ(CommandClock::Micros(t, t), 0u);
  EXPECT_EQ(CommandClock::Micros(t + 1000000, t), 0u);  // an earlier end: 0, not a wrap
  EXPECT_LE(CommandClock::Micros(t, CommandClock::now()), 1000000u);
}

}  // namespace
}  // namespace jadedb::server
