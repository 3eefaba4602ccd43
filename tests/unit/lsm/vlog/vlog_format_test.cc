#include "lsm/vlog/vlog_format.h"

#include <gtest/gtest.h>

namespace jadedb::lsm::vlog {
namespace {

TEST(VlogFormatTest, RecordRoundTrip) {
  std::string buf;
  const size_t n = AppendRecord(&buf, "key", "value");
  EXPECT_EQ(n, RecordSize(3, 5));
  EXPECT_EQ(buf.size(), n);
  std::string_view k, v;
  ASSERT_TRUE(DecodeRecord(buf, "f.vlog", 16, &k, &v).ok());
  EXPECT_EQ(k, "key");
  EXPECT_EQ(v, "value");
}

TEST(VlogFormatTest, EmptyKeyAndValue) {
  std::string buf;
  AppendRecord(&buf, "", "");
  std::string_view k, v;
  ASSERT_TRUE(DecodeRecord(buf, "f", 0, &k, &v).ok());
  EXPECT_TRUE(k.empty());
  EXPECT_TRUE(v.empty());
}

TEST(VlogFormatTest, CorruptionNamesFileAndOffset) {
  std::string buf;
  AppendRecord(&buf, "key", "value");
  buf[buf.size() - 1] ^= 1;
  std::string_view k, v;
  Status s = DecodeRecord(buf, "000007.vlog", 4242, &k, &v);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("000007.vlog"), std::string::npos);
  EXPECT_NE(s.ToString().find("offset 4242"), std::string::npos);
  // Truncated and length mismatch.
  EXPECT_TRUE(DecodeRecord(std::string_view(buf).substr(0, 5), "f", 0, &k, &v).IsCorruption());
  EXPECT_TRUE(DecodeRecord(buf + "x", "f", 0, &k, &v).IsCorruption());
}

TEST(VlogFormatTest, PointerRoundTrip) {
  ValuePointer p{123456, 1ull << 40, 16396};
  std::string enc;
  p.EncodeTo(&enc);
  ValuePointer q;
  ASSERT_TRUE(q.DecodeFrom(enc));
  EXPECT_EQ(p, q);
  EXPECT_FALSE(q.DecodeFrom(enc + "x"));
  EXPECT_FALSE(q.DecodeFrom(std::string_view(enc).substr(0, enc.size() - 1)));
}

TEST(VlogFormatTest, SegmentHeader) {
  std::string h;
  AppendSegmentHeader(&h);
  ASSERT_EQ(h.size(), kSegmentHeaderSize);
  EXPECT_TRUE(CheckSegmentHeader(h, "f").ok());
  std::string bad = h;
  bad[0] = 'X';
  Status s = CheckSegmentHeader(bad, "000009.vlog");
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("magic"), std::string::npos);
  bad = h;
  bad[8] = 2;  // version, CRC now wrong too
  EXPECT_TRUE(CheckSegmentHeader(bad, "f").IsCorruption());
  EXPECT_TRUE(CheckSegmentHeader(h.substr(0, 10), "f").IsCorruption());
}

}  // namespace
}  // namespace jadedb::lsm::vlog
