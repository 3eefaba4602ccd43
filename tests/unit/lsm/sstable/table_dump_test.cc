#include "lsm/sstable/table_dump.h"

#include <gtest/gtest.h>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/bloom.h"
#include "lsm/sstable/table_builder.h"
#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

class TableDumpTest : public ::testing::Test {
 protected:
  std::string Write(const TableOptions& options,
                    const std::vector<std::pair<std::string, std::string>>& kvs) {
    std::string path = dir_.Join("000001.sst");
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(Env::Default()->NewWritableFile(path, &file).ok());
    TableBuilder builder(options, file.get());
    for (const auto& [k, v] : kvs) builder.Add(k, v);
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(file->Close().ok());
    return path;
  }

  test::TempDir dir_;
};

TEST_F(TableDumpTest, InternalKeysAreDecoded) {
  InternalKeyComparator icmp(BytewiseComparator());
  auto bloom = NewBloomFilterPolicy(10);
  InternalFilterPolicy ipolicy(bloom.get());
  TableOptions options;
  options.comparator = &icmp;
  options.filter_policy = &ipolicy;
  auto ikey = [](std::string_view u, SequenceNumber s, ValueType t) {
    std::string k;
    AppendInternalKey(&k, ParsedInternalKey(u, s, t));
    return k;
  };
  std::string path =
      Write(options, {{ikey("apple", 7, kTypeValue), "red"},
                      {ikey("apple", 3, kTypeDeletion), ""},
                      {ikey(std::string("b\x01\xff", 3), 9, kTypeValue), std::string("v\n", 2)}});
  std::string out = "existing\n";
  ASSERT_TRUE(DumpTableFile(Env::Default(), path, &out).ok());
  EXPECT_EQ(0u, out.find("existing\n"));  // appends
  EXPECT_NE(std::string::npos, out.find("'apple' @ 7 : 1 => 'red'")) << out;
  EXPECT_NE(std::string::npos, out.find("'apple' @ 3 : 0 => ''")) << out;
  EXPECT_NE(std::string::npos, out.find("'b\\x01\\xff' @ 9 : 1 => 'v\\x0a'")) << out;
  EXPECT_NE(std::string::npos, out.find("format version: 1")) << out;
  EXPECT_NE(std::string::npos, out.find("magic: 0x545342444544414a")) << out;
  EXPECT_NE(std::string::npos, out.find("num entries: 3")) << out;
  EXPECT_NE(std::string::npos, out.find("filter.jadedb.BuiltinBloomFilter -> offset")) << out;
  EXPECT_NE(std::string::npos, out.find("jadedb.properties -> offset")) << out;
  EXPECT_NE(std::string::npos, out.find("index:\n  '")) << out;
  EXPECT_NE(std::string::npos, out.find("data block 0 (offset 0 size ")) << out;
}

TEST_F(TableDumpTest, PlainKeysAndManyBlocks) {
  TableOptions options;
  options.block_size = 128;
  std::vector<std::pair<std::string, std::string>> kvs;
  for (int i = 0; i < 100; i++) kvs.emplace_back("key" + std::to_string(1000 + i), "value");
  std::string path = Write(options, kvs);
  std::string out;
  ASSERT_TRUE(DumpTableFile(Env::Default(), path, &out).ok());
  for (const auto& [k, v] : kvs) {
    EXPECT_NE(std::string::npos, out.find("'" + k + "' => 'value'")) << k;
  }
  EXPECT_NE(std::string::npos, out.find("data block 5 ")) << out;
}

TEST_F(TableDumpTest, DamageIsCorruptionNamingFileAndOffset) {
  TableOptions options;
  std::string path = Write(options, {{"a", "1"}, {"b", "2"}});
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), path, &contents).ok());
  contents[3] ^= 0x20;  // the first data block
  ASSERT_TRUE(WriteStringToFile(Env::Default(), contents, path, false).ok());
  std::string out;
  Status s = DumpTableFile(Env::Default(), path, &out);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find(path + ": block at offset 0 size")) << s.ToString();
  EXPECT_NE(std::string::npos, out.find("data block 0")) << out;  // dump up to the damage

  ASSERT_TRUE(WriteStringToFile(Env::Default(), "not a table", path, false).ok());
  s = DumpTableFile(Env::Default(), path, &out);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find(path)) << s.ToString();

  EXPECT_FALSE(DumpTableFile(Env::Default(), dir_.Join("missing.sst"), &out).ok());
}

}  // namespace
}  // namespace jadedb::lsm
