#include "util/coding.h"

#include <gtest/gtest.h>

#include <limits>

namespace jadedb {

TEST(CodingTest, FixedRoundTrip) {
  std::string s;
  PutFixed32(&s, 0xdeadbeef);
  PutFixed64(&s, 0x0123456789abcdefull);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0xef);  // little-endian on disk
  EXPECT_EQ(DecodeFixed32(s.data()), 0xdeadbeefu);
  EXPECT_EQ(DecodeFixed64(s.data() + 4), 0x0123456789abcdefull);
}

TEST(CodingTest, Varint64RoundTripAtEveryWidth) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16383, 16384};
  for (int shift = 0; shift < 64; shift++) {
    uint64_t v = uint64_t{1} << shift;
    values.push_back(v);
    values.push_back(v - 1);
    values.push_back(v + 1);
  }
  values.push_back(std::numeric_limits<uint64_t>::max());
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint32RejectsOverflowAndTruncation) {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 35);
  std::string_view in = s;
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
  std::string truncated("\x80\x80", 2);
  in = truncated;
  EXPECT_FALSE(GetVarint32(&in, &v));
}

TEST(CodingTest, LengthPrefixedRejectsShortInput) {
  std::string s;
  PutLengthPrefixed(&s, "hello");
  s.pop_back();
  std::string_view in = s;
  std::string_view out;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
}

}  // namespace jadedb
