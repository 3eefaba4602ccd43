#include "jadedb-crashtest/workload.h"

#include <gtest/gtest.h>

#include <set>

namespace jadedb::crashtest {
namespace {

TEST(WorkloadTest, StampFieldsRoundTrip) {
  const uint64_t s = MakeStamp(12345, 987654, 7);
  EXPECT_EQ(StampEpoch(s), 12345u);
  EXPECT_EQ(StampSeq(s), 987654u);
  EXPECT_EQ(StampThread(s), 7u);
  EXPECT_EQ(StampString(s), "e12345/t7/s987654");
  // Same epoch: the sequence orders; a later epoch beats any sequence of an earlier one.
  EXPECT_LT(MakeStamp(3, 5, 1), MakeStamp(3, 6, 1));
  EXPECT_LT(MakeStamp(3, 0xffffffff, 1), MakeStamp(4, 0, 0));
  EXPECT_NE(MakeStamp(1, 0, 0), kAbsent);
}

TEST(WorkloadTest, KeysParseAndSortInIndexOrder) {
  uint32_t index;
  ASSERT_TRUE(ParseKey(KeyOf(42), &index));
  EXPECT_EQ(index, 42u);
  EXPECT_LT(KeyOf(9), KeyOf(10));
  EXPECT_FALSE(ParseKey("key0000004x", &index));
  EXPECT_FALSE(ParseKey("~probe1", &index));
  EXPECT_FALSE(ParseKey("key42", &index));
}

TEST(WorkloadTest, ValuesCheckAndDetectDamage) {
  int large = 0;
  for (uint32_t seq = 0; seq < 600; seq++) {
    const uint64_t stamp = MakeStamp(2, seq, 1);
    const std::string v = Value(stamp, seq % 50);
    EXPECT_GE(v.size(), 12u);
    EXPECT_LE(v.size(), kMaxLargeValue);
    large += v.size() >= 4096;
    uint64_t got = 0;
    std::string why;
    ASSERT_TRUE(CheckValue(v, seq % 50, &got, &why)) << why;
    EXPECT_EQ(got, stamp);
  }
  EXPECT_GT(large, 0);

  const uint64_t stamp = MakeStamp(1, 3, 0);
  std::string v = Value(stamp, 7);
  uint64_t got;
  std::string why;
  EXPECT_FALSE(CheckValue(v, 8, &got, &why));  // another key's value
  std::string flipped = v;
  flipped[flipped.size() - 1] ^= 1;
  EXPECT_FALSE(CheckValue(flipped, 7, &got, &why));
  EXPECT_NE(why.find("differs at byte"), std::string::npos) << why;
  EXPECT_FALSE(CheckValue(v.substr(0, v.size() - 1), 7, &got, &why));
  EXPECT_FALSE(CheckValue("short", 7, &got, &why));
}

TEST(WorkloadTest, ParamsAndBatchesAreAFunctionOfTheSeed) {
  const IterationParams a = MakeIterationParams(99, 4, 1000, 4);
  const IterationParams b = MakeIterationParams(99, 4, 1000, 4);
  EXPECT_EQ(ParamsString(a), ParamsString(b));
  EXPECT_GE(a.threads, 1);
  EXPECT_LE(a.threads, 4);
  EXPECT_GE(a.lsm.write_buffer_size, 64u << 10);
  EXPECT_LE(a.lsm.write_buffer_size, 256u << 10);
  for (uint32_t seq = 0; seq < 50; seq++) {
    const Batch x = GenerateBatch(a, 0, seq);
    const Batch y = GenerateBatch(b, 0, seq);
    ASSERT_EQ(x.ops.size(), y.ops.size());
    EXPECT_EQ(x.sync, y.sync);
    for (size_t i = 0; i < x.ops.size(); i++) EXPECT_EQ(x.ops[i].key, y.ops[i].key);
  }
  // Another seed gives other batches.
  const IterationParams c = MakeIterationParams(100, 4, 1000, 4);
  int same = 0;
  for (uint32_t seq = 0; seq < 50; seq++) {
    same += GenerateBatch(a, 0, seq).ops[0].key == GenerateBatch(c, 0, seq).ops[0].key;
  }
  EXPECT_LT(same, 10);
}

TEST(WorkloadTest, ThreadsWriteDisjointSlicesCoveringTheKeySpace) {
  IterationParams p = MakeIterationParams(7, 1, 1001, 1);
  p.threads = 3;
  EXPECT_EQ(p.Begin(0), 0u);
  EXPECT_EQ(p.End(2), 1001u);
  for (int t = 0; t < 3; t++) {
    EXPECT_EQ(p.End(t), p.Begin(t + 1));
    for (uint32_t seq = 0; seq < 200; seq++) {
      const Batch b = GenerateBatch(p, t, seq);
      EXPECT_EQ(StampThread(b.stamp), static_cast<uint32_t>(t));
      ASSERT_FALSE(b.ops.empty());
      for (const BatchOp& op : b.ops) {
        EXPECT_GE(op.key, p.Begin(t));
        EXPECT_LT(op.key, p.End(t));
        EXPECT_NE(op.kind, BatchOp::kDeleteRange);  // only with range_deletes
      }
    }
  }
}

TEST(WorkloadTest, RangeDeletesOnlyWhenAskedAndInsideTheSlice) {
  IterationParams p = MakeIterationParams(11, 1, 512, 1);
  p.threads = 2;
  p.range_deletes = true;
  int ranges = 0;
  for (uint32_t seq = 0; seq < 500; seq++) {
    for (const BatchOp& op : GenerateBatch(p, 1, seq).ops) {
      if (op.kind != BatchOp::kDeleteRange) continue;
      ranges++;
      EXPECT_LT(op.key, op.key_end);
      EXPECT_LE(op.key_end, p.End(1));
      EXPECT_GE(op.key, p.Begin(1));
    }
  }
  EXPECT_GT(ranges, 0);
}

}  // namespace
}  // namespace jadedb::crashtest
