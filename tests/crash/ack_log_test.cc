#include "jadedb-crashtest/ack_log.h"

#include <gtest/gtest.h>

#include "jadedb/env.h"
#include "testutil/test_util.h"

namespace jadedb::crashtest {
namespace {

IterationParams Params(int threads) {
  IterationParams p = MakeIterationParams(5, 9, 100, 1);
  p.threads = threads;
  return p;
}

Ack MakeAck(uint32_t seq, uint32_t thread, bool sync, uint64_t start = 0, uint64_t end = 0) {
  Ack a;
  a.stamp = MakeStamp(9, seq, thread);
  a.sync = sync;
  a.start_tick = start;
  a.ack_tick = end;
  return a;
}

TEST(AckLogTest, WritesAndReadsRecords) {
  test::TempDir dir;
  const std::string path = dir.Join("acks");
  {
    AckLogWriter w;
    ASSERT_TRUE(w.Open(path).ok());
    w.Acked(MakeAck(0, 0, true));
    w.Acked(MakeAck(0, 1, false));
    w.Acked(MakeAck(1, 0, false));
  }
  std::vector<Ack> acks;
  ASSERT_TRUE(ReadAckLog(path, &acks).ok());
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].stamp, MakeStamp(9, 0, 0));
  EXPECT_TRUE(acks[0].sync);
  EXPECT_FALSE(acks[1].sync);
  EXPECT_EQ(acks[2].stamp, MakeStamp(9, 1, 0));

  // A torn last record is dropped.
  std::string data;
  ASSERT_TRUE(ReadFileToString(Env::Default(), path, &data).ok());
  ASSERT_TRUE(WriteStringToFile(Env::Default(), data.substr(0, 40), path, false).ok());
  ASSERT_TRUE(ReadAckLog(path, &acks).ok());
  EXPECT_EQ(acks.size(), 2u);

  // Damage before the last record is corruption.
  data[3] ^= 0x40;
  ASSERT_TRUE(WriteStringToFile(Env::Default(), data, path, false).ok());
  Status s = ReadAckLog(path, &acks);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  // No log: the child died before its first acknowledgement.
  ASSERT_TRUE(ReadAckLog(dir.Join("missing"), &acks).ok());
  EXPECT_TRUE(acks.empty());
}

TEST(AckLogTest, KillBoundsRequireEveryAcknowledgedBatch) {
  std::vector<Ack> acks = {MakeAck(0, 0, false), MakeAck(1, 0, false), MakeAck(0, 1, true)};
  std::vector<StreamBounds> b;
  ASSERT_TRUE(ComputeBounds(Params(3), acks, /*power_loss=*/false, &b).ok());
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].acked, 2u);
  EXPECT_EQ(b[0].min_batches, 2u);
  EXPECT_EQ(b[0].max_batches, 3u);
  EXPECT_EQ(b[1].min_batches, 1u);
  EXPECT_EQ(b[2].acked, 0u);
  EXPECT_EQ(b[2].min_batches, 0u);
  EXPECT_EQ(b[2].max_batches, 1u);
}

TEST(AckLogTest, PowerLossBoundsRequireSyncedBatchesAndWhatPrecededThem) {
  // Thread 0: s0 non-sync acked at tick 2, s1 sync (3..4), s2 non-sync (5..6).
  // Thread 1: s0 non-sync acked at tick 8, s1 non-sync (9..10).
  // Thread 2: s0 sync (7..12): submitted after t0/s2 and before t1/s0 was acknowledged.
  std::vector<Ack> acks = {MakeAck(0, 0, false, 1, 2),  MakeAck(1, 0, true, 3, 4),
                           MakeAck(2, 0, false, 5, 6),  MakeAck(0, 1, false, 7, 8),
                           MakeAck(1, 1, false, 9, 10), MakeAck(0, 2, true, 7, 12)};
  std::vector<StreamBounds> b;
  ASSERT_TRUE(ComputeBounds(Params(3), acks, /*power_loss=*/true, &b).ok());
  EXPECT_EQ(b[0].min_batches, 3u);  // s2 was acknowledged before t2/s0 (sync) was submitted
  EXPECT_EQ(b[0].max_batches, 4u);
  EXPECT_EQ(b[1].min_batches, 0u);  // nothing synced after t1's acknowledgements
  EXPECT_EQ(b[1].acked, 2u);
  EXPECT_EQ(b[2].min_batches, 1u);
}

TEST(AckLogTest, RejectsAGapOrAForeignBatch) {
  std::vector<StreamBounds> b;
  EXPECT_TRUE(ComputeBounds(Params(1), {MakeAck(1, 0, false)}, false, &b).IsCorruption());
  Ack foreign = MakeAck(0, 0, false);
  foreign.stamp = MakeStamp(8, 0, 0);
  EXPECT_TRUE(ComputeBounds(Params(1), {foreign}, false, &b).IsCorruption());
  EXPECT_TRUE(ComputeBounds(Params(1), {MakeAck(0, 3, false)}, false, &b).IsCorruption());
}

}  // namespace
}  // namespace jadedb::crashtest
