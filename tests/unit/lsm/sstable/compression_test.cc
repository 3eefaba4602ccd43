// Block compression: every codec round-trips, blocks that do not shrink by 1/8 stay raw, and
// damaged compressed blocks are Corruption naming the file and offset.
#include "lsm/sstable/compression.h"

#include <gtest/gtest.h>

#include <string>

#include "lsm/sstable/format.h"
#include "lsm/sstable/table.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

// Half-compressible text: repeated words with a random tail.
std::string Compressible(size_t n) {
  std::string s;
  while (s.size() < n) s += "jadedb block compression ";
  s.resize(n);
  return s;
}

class CodecTest : public ::testing::TestWithParam<CompressionType> {};

TEST_P(CodecTest, RoundTrip) {
  for (size_t n : {size_t{64}, size_t{4096}, size_t{100000}}) {
    const std::string raw = Compressible(n);
    std::string compressed;
    ASSERT_TRUE(CompressBlock(GetParam(), 0, raw, &compressed)) << n;
    EXPECT_LT(compressed.size(), raw.size() - raw.size() / 8);
    std::unique_ptr<char[]> out;
    size_t out_size = 0;
    std::string error;
    ASSERT_TRUE(UncompressBlock(GetParam(), compressed, &out, &out_size, &error)) << error;
    EXPECT_EQ(raw, std::string(out.get(), out_size));
  }
}

TEST_P(CodecTest, IncompressibleDataIsRejected) {
  Random rnd(301);
  const std::string raw = test::RandomBytes(&rnd, 4096);
  std::string compressed;
  EXPECT_FALSE(CompressBlock(GetParam(), 0, raw, &compressed));
}

TEST_P(CodecTest, DamagedDataIsAnErrorNotACrash) {
  std::string compressed;
  ASSERT_TRUE(CompressBlock(GetParam(), 0, Compressible(4096), &compressed));
  Random rnd(7);
  for (int trial = 0; trial < 200; trial++) {
    std::string bad = compressed;
    // Truncations and flipped bytes, including the length header.
    if (trial % 2 == 0) {
      bad.resize(rnd.Uniform(static_cast<uint32_t>(bad.size())));
    } else {
      bad[rnd.Uniform(static_cast<uint32_t>(bad.size()))] ^=
          static_cast<char>(1 + rnd.Uniform(255));
    }
    std::unique_ptr<char[]> out;
    size_t out_size = 0;
    std::string error;
    // Either detected, or (a flip the codec cannot notice) some output: never a crash. The
    // block checksum catches the second case in real reads.
    if (!UncompressBlock(GetParam(), bad, &out, &out_size, &error)) {
      EXPECT_FALSE(error.empty());
    }
  }
}

// A table written with the codec: data blocks compressed, contents identical, and the
// properties record the codec.
TEST_P(CodecTest, TableRoundTrip) {
  TableOptions options;
  options.compression = GetParam();
  sst_test::KVMap kvs;
  for (int i = 0; i < 2000; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%06d", i);
    kvs[key] = Compressible(100 + i % 50);
  }
  const std::string contents = sst_test::BuildTableContents(options, kvs);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(options, contents, &table).ok());
  EXPECT_EQ(CompressionTypeName(GetParam()), table->Properties().compression_name);
  EXPECT_EQ(table->Properties().num_data_blocks, table->Properties().num_compressed_blocks);
  EXPECT_LT(table->Properties().data_size, table->Properties().raw_value_size / 2);
  auto it = table->NewIterator(TableReadOptions());
  auto want = kvs.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++want) {
    ASSERT_NE(want, kvs.end());
    EXPECT_EQ(want->first, it->key());
    EXPECT_EQ(want->second, it->value());
  }
  EXPECT_EQ(want, kvs.end());
  EXPECT_TRUE(it->status().ok());
  EXPECT_TRUE(table->VerifyChecksums(nullptr).ok());
}

// Random values do not shrink: every block is stored raw although a codec is configured.
TEST_P(CodecTest, IncompressibleTableStaysUncompressed) {
  TableOptions options;
  options.compression = GetParam();
  Random rnd(11);
  sst_test::KVMap kvs;
  for (int i = 0; i < 300; i++) kvs["k" + std::to_string(1000 + i)] = test::RandomBytes(&rnd, 200);
  const std::string contents = sst_test::BuildTableContents(options, kvs);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(options, contents, &table).ok());
  EXPECT_GT(table->Properties().num_data_blocks, 5u);
  EXPECT_EQ(0u, table->Properties().num_compressed_blocks);
  EXPECT_GE(table->Properties().data_size, table->Properties().raw_value_size);
  // The first data block's trailer says "none" (type byte right after its contents).
  auto index_first = table->ApproximateOffsetOf("");
  EXPECT_EQ(0u, index_first);
}

// A compressed block whose bytes were damaged after the checksum was computed (so only the
// codec can notice): Corruption naming the file and offset, without verify_checksum too.
TEST_P(CodecTest, CorruptedCompressedBlockIsCorruption) {
  std::string compressed;
  ASSERT_TRUE(CompressBlock(GetParam(), 0, Compressible(4096), &compressed));
  std::string bad = compressed.substr(0, compressed.size() / 2);  // truncated payload
  std::string file(100, 'x');                                     // the block sits at 100
  file += bad;
  AppendBlockTrailer(bad, GetParam(), &file);
  sst_test::StringSource src(file);
  BlockContents c;
  for (bool verify : {true, false}) {
    Status s = ReadBlock(&src, "c.sst", file.size(), BlockHandle(100, bad.size()), verify, &c);
    ASSERT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(std::string::npos, s.message().find("c.sst: block at offset 100")) << s.ToString();
    EXPECT_NE(std::string::npos, s.message().find("decompress")) << s.ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, CodecTest,
                         ::testing::Values(CompressionType::kSnappy, CompressionType::kLz4,
                                           CompressionType::kZstd),
                         [](const auto& info) { return CompressionTypeName(info.param); });

TEST(CompressionTest, NoneNeverCompresses) {
  std::string out;
  EXPECT_FALSE(CompressBlock(CompressionType::kNone, 0, Compressible(4096), &out));
}

TEST(CompressionTest, ZstdLevelsAllRoundTrip) {
  const std::string raw = Compressible(20000);
  for (int level : {1, 3, 9, 19}) {
    std::string compressed;
    ASSERT_TRUE(CompressBlock(CompressionType::kZstd, level, raw, &compressed)) << level;
    std::unique_ptr<char[]> out;
    size_t n = 0;
    std::string error;
    ASSERT_TRUE(UncompressBlock(CompressionType::kZstd, compressed, &out, &n, &error));
    EXPECT_EQ(raw, std::string(out.get(), n));
  }
}

}  // namespace
}  // namespace jadedb::lsm
