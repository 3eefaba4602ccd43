#include "lsm/sstable/table_properties.h"

#include <gtest/gtest.h>

#include <cstring>

#include "lsm/sstable/block.h"
#include "lsm/sstable/block_builder.h"

namespace jadedb::lsm {
namespace {

std::unique_ptr<Block> MakeBlock(std::string_view bytes) {
  BlockContents c;
  c.owned.reset(new char[bytes.size()]);
  std::memcpy(c.owned.get(), bytes.data(), bytes.size());
  c.data = std::string_view(c.owned.get(), bytes.size());
  return std::make_unique<Block>(std::move(c));
}

TEST(TablePropertiesTest, RoundTrip) {
  TableProperties p;
  p.num_entries = 12345;
  p.num_data_blocks = 17;
  p.raw_key_size = 1 << 20;
  p.raw_value_size = uint64_t{1} << 40;
  p.data_size = 99999;
  p.index_size = 512;
  p.filter_size = 2048;
  p.comparator_name = "jadedb.InternalKeyComparator";
  p.filter_policy_name = "jadedb.BuiltinBloomFilter";
  auto block = MakeBlock(p.Encode());

  TableProperties d;
  ASSERT_TRUE(d.DecodeFrom(*block, "t.sst", 0).ok());
  EXPECT_EQ(p.num_entries, d.num_entries);
  EXPECT_EQ(p.num_data_blocks, d.num_data_blocks);
  EXPECT_EQ(p.raw_key_size, d.raw_key_size);
  EXPECT_EQ(p.raw_value_size, d.raw_value_size);
  EXPECT_EQ(p.data_size, d.data_size);
  EXPECT_EQ(p.index_size, d.index_size);
  EXPECT_EQ(p.filter_size, d.filter_size);
  EXPECT_EQ(p.comparator_name, d.comparator_name);
  EXPECT_EQ(p.filter_policy_name, d.filter_policy_name);

  std::string text = d.ToString("  ");
  EXPECT_NE(std::string::npos, text.find("  num entries: 12345\n")) << text;
  EXPECT_NE(std::string::npos, text.find("comparator: jadedb.InternalKeyComparator")) << text;
}

TEST(TablePropertiesTest, UnknownNamesAreSkipped) {
  BlockBuilder b(1);
  b.Add("jadedb.future.thing", "whatever");
  b.Add("jadedb.num.entries", std::string("\x07", 1));
  b.Add("zzz", "also unknown");
  auto block = MakeBlock(b.Finish());
  TableProperties d;
  ASSERT_TRUE(d.DecodeFrom(*block, "t.sst", 0).ok());
  EXPECT_EQ(7u, d.num_entries);
}

TEST(TablePropertiesTest, BadNumberIsCorruption) {
  BlockBuilder b(1);
  b.Add("jadedb.num.entries", std::string("\x80", 1));  // unfinished varint
  auto block = MakeBlock(b.Finish());
  TableProperties d;
  Status s = d.DecodeFrom(*block, "t.sst", 777);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("t.sst: block at offset 777")) << s.ToString();

  BlockBuilder b2(1);
  b2.Add("jadedb.num.entries", std::string("\x01\x02", 2));  // trailing bytes
  auto block2 = MakeBlock(b2.Finish());
  EXPECT_TRUE(d.DecodeFrom(*block2, "t.sst", 0).IsCorruption());
}

}  // namespace
}  // namespace jadedb::lsm
