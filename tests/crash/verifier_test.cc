#include "jadedb-crashtest/verifier.h"

#include <gtest/gtest.h>

#include <memory>

#include "jadedb-crashtest/runner.h"
#include "jadedb/db.h"
#include "testutil/test_util.h"

namespace jadedb::crashtest {
namespace {

constexpr uint32_t kKeys = 256;

IterationParams TwoThreads(uint32_t epoch) {
  IterationParams p = MakeIterationParams(1234 + epoch, epoch, kKeys, 1);
  p.threads = 2;
  p.delete_percent = 10;
  return p;
}

// The state after applying the first n batches of `thread` to `state`.
void ApplyPrefix(const IterationParams& p, int thread, uint32_t n, std::vector<uint64_t>* state) {
  for (uint32_t seq = 0; seq < n; seq++) {
    const Batch b = GenerateBatch(p, thread, seq);
    for (const BatchOp& op : b.ops) (*state)[op.key] = op.kind == BatchOp::kPut ? b.stamp : kAbsent;
  }
}

// A batch of `thread` with at least two keys it puts (last op per key), at seq >= from.
uint32_t FindMultiPutBatch(const IterationParams& p, int thread, uint32_t from) {
  for (uint32_t seq = from;; seq++) {
    std::vector<uint64_t> s(kKeys, kAbsent);
    const Batch b = GenerateBatch(p, thread, seq);
    for (const BatchOp& op : b.ops) s[op.key] = op.kind == BatchOp::kPut ? b.stamp : kAbsent;
    int puts = 0;
    for (uint64_t v : s) puts += v == b.stamp;
    if (puts >= 2) return seq;
  }
}

TEST(VerifierTest, AcceptsEveryLegalPrefixAndAdvancesTheModel) {
  Verifier v(kKeys);
  const IterationParams p = TwoThreads(1);
  std::vector<uint64_t> state(kKeys, kAbsent);
  ApplyPrefix(p, 0, 30, &state);  // thread 0: 30 acknowledged, none in flight committed
  ApplyPrefix(p, 1, 21, &state);  // thread 1: 20 acknowledged + the one in flight
  std::vector<StreamBounds> bounds = {{30, 30, 31}, {20, 20, 21}};
  VerifyStats stats;
  ASSERT_TRUE(v.VerifyIteration(p, bounds, state, &stats).ok());
  EXPECT_EQ(stats.batches_visible, 51u);
  EXPECT_EQ(stats.batches_required, 50u);
  EXPECT_EQ(stats.unacked_visible, 1u);
  EXPECT_EQ(v.model(), state);

  // The next epoch builds on it; a thread that wrote nothing leaves its slice unchanged.
  const IterationParams q = TwoThreads(2);
  ApplyPrefix(q, 0, 5, &state);
  bounds = {{5, 5, 6}, {0, 0, 1}};
  ASSERT_TRUE(v.VerifyIteration(q, bounds, state, &stats).ok());
  EXPECT_EQ(v.model(), state);
}

TEST(VerifierTest, ReportsALostAcknowledgedBatch) {
  Verifier v(kKeys);
  const IterationParams p = TwoThreads(1);
  const uint32_t last = FindMultiPutBatch(p, 0, 10);
  std::vector<uint64_t> state(kKeys, kAbsent);
  ApplyPrefix(p, 0, last, &state);  // batch `last` was acknowledged but is missing
  std::vector<StreamBounds> bounds = {{last + 1, last + 1, last + 2}, {0, 0, 1}};
  VerifyStats stats;
  Status s = v.VerifyIteration(p, bounds, state, &stats);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("acknowledged)"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("writer thread 0"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("the last 1 required batches are lost"), std::string::npos)
      << s.ToString();
  // The model is unchanged by a failed verification.
  EXPECT_EQ(v.model(), std::vector<uint64_t>(kKeys, kAbsent));

  // After a power loss only the sync prefix is required: the same state can be legal.
  bounds = {{last + 1, last, last + 2}, {0, 0, 1}};
  EXPECT_TRUE(v.VerifyIteration(p, bounds, state, &stats).ok());
}

TEST(VerifierTest, ReportsAPartlyVisibleBatch) {
  Verifier v(kKeys);
  const IterationParams p = TwoThreads(1);
  const uint32_t torn = FindMultiPutBatch(p, 1, 3);
  std::vector<uint64_t> before(kKeys, kAbsent);
  ApplyPrefix(p, 1, torn, &before);
  std::vector<uint64_t> after = before;
  ApplyPrefix(p, 1, torn + 1, &after);
  // Keep exactly one of the keys the batch put at its old value.
  std::vector<uint64_t> state = after;
  for (uint32_t k = 0; k < kKeys; k++) {
    if (after[k] != before[k] && StampSeq(after[k]) == torn) {
      state[k] = before[k];
      break;
    }
  }
  ASSERT_NE(state, after);
  // Batch `torn` was in flight: all of it or none of it may be visible, not a part.
  std::vector<StreamBounds> bounds = {{0, 0, 1}, {torn, torn, torn + 1}};
  VerifyStats stats;
  EXPECT_TRUE(v.VerifyIteration(p, bounds, before, &stats).ok());
  Verifier v2(kKeys);
  EXPECT_TRUE(v2.VerifyIteration(p, bounds, after, &stats).ok());
  Verifier v3(kKeys);
  Status s = v3.VerifyIteration(p, bounds, state, &stats);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("not acknowledged"), std::string::npos) << s.ToString();
}

TEST(VerifierTest, ReportsABatchVisibleWithoutItsPredecessor) {
  Verifier v(kKeys);
  const IterationParams p = TwoThreads(1);
  const uint32_t hole = FindMultiPutBatch(p, 0, 5);
  std::vector<uint64_t> state(kKeys, kAbsent);
  ApplyPrefix(p, 0, hole, &state);
  // Apply the batch after `hole` but not `hole` itself.
  const Batch next = GenerateBatch(p, 0, hole + 1);
  std::vector<uint64_t> with_hole = state;
  for (const BatchOp& op : next.ops) {
    with_hole[op.key] = op.kind == BatchOp::kPut ? next.stamp : kAbsent;
  }
  std::vector<uint64_t> legal = state;
  ApplyPrefix(p, 0, hole + 2, &legal);
  if (legal == with_hole) GTEST_SKIP() << "batch hole+1 hides batch hole entirely";
  std::vector<StreamBounds> bounds = {{hole + 1, hole, hole + 2}, {0, 0, 1}};
  VerifyStats stats;
  EXPECT_TRUE(v.VerifyIteration(p, bounds, with_hole, &stats).IsCorruption());
}

TEST(VerifierTest, RejectsWrongStateSize) {
  Verifier v(kKeys);
  const IterationParams p = TwoThreads(1);
  VerifyStats stats;
  EXPECT_TRUE(
      v.VerifyIteration(p, {{0, 0, 1}}, std::vector<uint64_t>(kKeys), &stats).IsInvalidArgument());
}

TEST(ScanDBTest, ReadsStampsAndRejectsForeignOrDamagedData) {
  test::TempDir dir;
  Options options;
  options.create_if_missing = true;
  std::unique_ptr<DB> db;
  ASSERT_TRUE(DB::Open(options, dir.Join("db"), &db).ok());
  const uint64_t stamp = MakeStamp(3, 1, 0);
  ASSERT_TRUE(db->Put(WriteOptions(), KeyOf(5), Value(stamp, 5)).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), std::string(kProbePrefix) + "3", "probe").ok());
  std::vector<uint64_t> actual;
  ASSERT_TRUE(ScanDB(db.get(), 16, &actual).ok());
  EXPECT_EQ(actual[5], stamp);
  EXPECT_EQ(actual[4], kAbsent);

  Verifier v(16);
  uint32_t max_epoch = 0;
  ASSERT_TRUE(v.LoadFrom(db.get(), &max_epoch).ok());
  EXPECT_EQ(max_epoch, 3u);

  ASSERT_TRUE(db->Put(WriteOptions(), KeyOf(6), Value(stamp, 7)).ok());  // wrong key's value
  Status s = ScanDB(db.get(), 16, &actual);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("key00000006"), std::string::npos) << s.ToString();
  ASSERT_TRUE(db->Delete(WriteOptions(), KeyOf(6)).ok());
  ASSERT_TRUE(ScanDB(db.get(), 16, &actual).ok());
  ASSERT_TRUE(db->Put(WriteOptions(), "stranger", "x").ok());
  EXPECT_TRUE(ScanDB(db.get(), 16, &actual).IsCorruption());
}

}  // namespace
}  // namespace jadedb::crashtest
