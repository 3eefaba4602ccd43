// Flushes run beside compactions: with two background jobs a flush finishes while a long
// compaction is still running.
#include <gtest/gtest.h>

#include <future>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

class FlushTest : public LsmFixture {
 protected:
  FlushTest() { options_.env = &env_; }
  // The DB closes before env_ goes, and never waits at a gate a failed test left closed.
  ~FlushTest() override {
    env_.ReleaseTableGate();
    db_.reset();
  }
  GateEnv env_;
};

TEST_F(FlushTest, FlushCompletesWhileACompactionRuns) {
  options_.lsm.level0_file_num_compaction_trigger = 2;
  options_.lsm.max_background_jobs = 2;
  Open();
  env_.ArmTableGate(/*pass=*/2);  // hold the compaction's first output
  // Two overlapping L0 tables: their compaction must merge (not just move) them.
  Put("a", "0");
  Put("b", "0");
  FlushMem();
  Put("a", "1");
  Put("b", "2");
  FlushMem();
  ASSERT_TRUE(env_.WaitUntilHeld(10000)) << "the compaction did not start";

  Put("c", "3");
  auto flush = std::async(std::launch::async, [&] { return db_->Flush(FlushOptions()); });
  const bool finished = flush.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const bool compaction_still_held = env_.held();
  env_.ReleaseTableGate();  // before any assertion, so a failure cannot hang the test
  ASSERT_TRUE(finished) << "the flush waited behind the compaction";
  EXPECT_TRUE(flush.get().ok());
  EXPECT_TRUE(compaction_still_held);
  EXPECT_EQ("3", Get("c"));
  Close();
  Open();
  EXPECT_EQ("1", Get("a"));
  EXPECT_EQ("2", Get("b"));
  EXPECT_EQ("3", Get("c"));
}

}  // namespace
}  // namespace jadedb::lsm_test
