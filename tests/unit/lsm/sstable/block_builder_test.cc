#include "lsm/sstable/block_builder.h"

#include <gtest/gtest.h>

#include "util/coding.h"

namespace jadedb::lsm {
namespace {

TEST(BlockBuilderTest, EmptyBlockIsOneRestart) {
  BlockBuilder b(16);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(8u, b.CurrentSizeEstimate());
  std::string_view block = b.Finish();
  ASSERT_EQ(8u, block.size());
  EXPECT_EQ(0u, DecodeFixed32(block.data()));      // restart[0] = 0
  EXPECT_EQ(1u, DecodeFixed32(block.data() + 4));  // one restart
}

TEST(BlockBuilderTest, PrefixCompressionAndRestarts) {
  BlockBuilder b(2);
  b.Add("apple", "1");
  b.Add("apply", "22");
  b.Add("banana", "");
  EXPECT_FALSE(b.empty());
  const size_t estimate = b.CurrentSizeEstimate();
  std::string block(b.Finish());
  EXPECT_EQ(estimate, block.size());

  std::string expected;
  // entry 0: restart, whole key
  expected += std::string("\x00\x05\x01", 3) + "apple" + "1";
  // entry 1: shares "appl"
  expected += std::string("\x04\x01\x02", 3) + "y" + "22";
  const uint32_t restart1 = static_cast<uint32_t>(expected.size());
  // entry 2: restart (interval 2), whole key
  expected += std::string("\x00\x06\x00", 3) + "banana";
  PutFixed32(&expected, 0);
  PutFixed32(&expected, restart1);
  PutFixed32(&expected, 2);
  EXPECT_EQ(expected, block);
}

TEST(BlockBuilderTest, ResetStartsOver) {
  BlockBuilder b(16);
  b.Add("k1", "v1");
  std::string first(b.Finish());
  b.Reset();
  EXPECT_TRUE(b.empty());
  b.Add("k1", "v1");
  EXPECT_EQ(first, b.Finish());
}

TEST(BlockBuilderTest, LongLengthsUseMultiByteVarints) {
  BlockBuilder b(16);
  std::string key(300, 'k');
  std::string value(200, 'v');
  b.Add(key, value);
  std::string_view block = b.Finish();
  std::string expected;
  PutVarint32(&expected, 0);
  PutVarint32(&expected, 300);
  PutVarint32(&expected, 200);
  EXPECT_EQ(expected, block.substr(0, expected.size()));
  EXPECT_EQ(expected.size() + 500 + 8, block.size());
}

}  // namespace
}  // namespace jadedb::lsm
