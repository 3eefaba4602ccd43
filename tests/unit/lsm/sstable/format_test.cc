#include "lsm/sstable/format.h"

#include <gtest/gtest.h>

#include "sstable_test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm {
namespace {

TEST(BlockHandleTest, RoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{300}, uint64_t{1} << 40, ~uint64_t{0}}) {
    BlockHandle h(v, v / 3);
    std::string enc;
    h.EncodeTo(&enc);
    EXPECT_LE(enc.size(), BlockHandle::kMaxEncodedLength);
    enc.append("rest");
    std::string_view in = enc;
    BlockHandle d;
    ASSERT_TRUE(d.DecodeFrom(&in));
    EXPECT_EQ(v, d.offset());
    EXPECT_EQ(v / 3, d.size());
    EXPECT_EQ("rest", in);
  }
  std::string_view truncated("\x80", 1);
  BlockHandle d;
  EXPECT_FALSE(d.DecodeFrom(&truncated));
}

TEST(FooterTest, RoundTripAndLayout) {
  Footer f;
  f.set_metaindex_handle(BlockHandle(1000, 50));
  f.set_index_handle(BlockHandle(1055, 300));
  std::string enc;
  f.EncodeTo(&enc);
  ASSERT_EQ(Footer::kEncodedLength, enc.size());
  ASSERT_EQ(52u, enc.size());
  // The last 8 bytes spell the magic; the 4 before them the version.
  EXPECT_EQ("JADEDBST", enc.substr(44));
  EXPECT_EQ(1u, DecodeFixed32(enc.data() + 40));

  Footer d;
  ASSERT_TRUE(d.DecodeFrom(enc, "f.sst", 0).ok());
  EXPECT_EQ(1000u, d.metaindex_handle().offset());
  EXPECT_EQ(50u, d.metaindex_handle().size());
  EXPECT_EQ(1055u, d.index_handle().offset());
  EXPECT_EQ(300u, d.index_handle().size());
  EXPECT_EQ(kTableFormatVersion, d.version());
}

TEST(FooterTest, RejectsBadMagicVersionAndHandles) {
  Footer f;
  std::string enc;
  f.EncodeTo(&enc);

  std::string bad_magic = enc;
  bad_magic[51] ^= 1;
  Footer d;
  Status s = d.DecodeFrom(bad_magic, "f.sst", 1234);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.ToString().find("f.sst: footer at offset 1234: bad magic"))
      << s.ToString();

  std::string bad_version = enc;
  EncodeFixed32(bad_version.data() + 40, 2);
  s = d.DecodeFrom(bad_version, "f.sst", 0);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.ToString().find("version 2")) << s.ToString();

  std::string bad_handles = enc;
  std::memset(bad_handles.data(), 0xff, 40);  // varints that never end
  EXPECT_TRUE(d.DecodeFrom(bad_handles, "f.sst", 0).IsCorruption());

  EXPECT_TRUE(d.DecodeFrom(enc.substr(1), "f.sst", 0).IsCorruption());
}

std::string BlockWithTrailer(std::string_view contents, CompressionType type) {
  std::string file(contents);
  AppendBlockTrailer(contents, type, &file);
  return file;
}

TEST(ReadBlockTest, ReadsAndVerifies) {
  std::string file = "junk" + BlockWithTrailer("hello block", CompressionType::kNone);
  sst_test::StringSource src(file);
  BlockContents c;
  ASSERT_TRUE(ReadBlock(&src, "f.sst", file.size(), BlockHandle(4, 11), true, &c).ok());
  EXPECT_EQ("hello block", c.data);

  // The trailer's CRC covers the contents and the type byte.
  uint32_t crc = crc32c::Unmask(DecodeFixed32(file.data() + 4 + 11 + 1));
  EXPECT_EQ(crc32c::Value(file.data() + 4, 12), crc);
}

TEST(ReadBlockTest, ChecksumMismatchNamesFileAndOffset) {
  std::string file = "junk" + BlockWithTrailer("hello block", CompressionType::kNone);
  file[6] ^= 0x10;
  sst_test::StringSource src(file);
  BlockContents c;
  Status s = ReadBlock(&src, "f.sst", file.size(), BlockHandle(4, 11), true, &c);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ("f.sst: block at offset 4 size 11: checksum mismatch", s.message());
  // Without verification the damaged bytes come back.
  EXPECT_TRUE(ReadBlock(&src, "f.sst", file.size(), BlockHandle(4, 11), false, &c).ok());
}

TEST(ReadBlockTest, HandlesOutsideTheFileAreCorruption) {
  std::string file = BlockWithTrailer("abc", CompressionType::kNone);
  sst_test::StringSource src(file);
  BlockContents c;
  for (const BlockHandle& h :
       {BlockHandle(0, 4), BlockHandle(1, 3), BlockHandle(100, 0), BlockHandle(0, ~uint64_t{0}),
        BlockHandle(~uint64_t{0}, 2), BlockHandle(~uint64_t{0} - 2, 3)}) {
    Status s = ReadBlock(&src, "f.sst", file.size(), h, true, &c);
    EXPECT_TRUE(s.IsCorruption()) << h.offset() << " " << h.size();
    EXPECT_NE(std::string::npos, s.message().find("beyond end of file")) << s.ToString();
  }
  // The file claims to be longer than it is: a short read.
  Status s = ReadBlock(&src, "f.sst", file.size() + 10, BlockHandle(0, 10), true, &c);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("truncated")) << s.ToString();
}

TEST(ReadBlockTest, CompressionTypes) {
  BlockContents c;
  // A known codec over bytes it did not produce: Corruption naming file and offset.
  std::string snappy = BlockWithTrailer("abc", CompressionType::kSnappy);
  sst_test::StringSource src1(snappy);
  Status bad = ReadBlock(&src1, "f.sst", snappy.size(), BlockHandle(0, 3), true, &c);
  EXPECT_TRUE(bad.IsCorruption()) << bad.ToString();
  EXPECT_NE(std::string::npos, bad.message().find("f.sst: block at offset 0")) << bad.ToString();
  EXPECT_NE(std::string::npos, bad.message().find("decompress")) << bad.ToString();
  // Unknown codes are damage.
  std::string unknown = BlockWithTrailer("abc", static_cast<CompressionType>(0x7f));
  sst_test::StringSource src2(unknown);
  Status s = ReadBlock(&src2, "f.sst", unknown.size(), BlockHandle(0, 3), true, &c);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("compression type 127")) << s.ToString();
}

TEST(ReadFooterTest, ShortFile) {
  sst_test::StringSource src("tiny");
  Footer f;
  Status s = ReadFooter(&src, "f.sst", 4, &f);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("f.sst: file too short")) << s.ToString();
}

}  // namespace
}  // namespace jadedb::lsm
