#include "server/value_codec.h"

#include <gtest/gtest.h>

namespace jadedb::server {
namespace {

TEST(ValueCodecTest, RoundTrip) {
  std::string enc = EncodeString("payload");
  ASSERT_EQ(enc.size(), 2u + 7u);
  EXPECT_EQ(static_cast<uint8_t>(enc[0]), 0xA1);
  EXPECT_EQ(enc[1], 0);
  ValueView v;
  ASSERT_TRUE(DecodeValue(enc, &v));
  EXPECT_EQ(v.payload, "payload");
  EXPECT_EQ(v.expire_at_ms, 0);

  enc = EncodeString(std::string("a\0b", 3), 1700000000123);
  ASSERT_EQ(enc.size(), 10u + 3u);
  EXPECT_EQ(static_cast<uint8_t>(enc[1]), 0x80);
  ASSERT_TRUE(DecodeValue(enc, &v));
  EXPECT_EQ(v.expire_at_ms, 1700000000123);
  EXPECT_EQ(v.payload, std::string_view("a\0b", 3));
}

TEST(ValueCodecTest, MatchesTheDocumentedExample) {
  // docs/formats/server-value.md
  const uint8_t expect[] = {0xA1, 0x80, 0xE8, 0x6B, 0xE5, 0xCF, 0x8B, 0x01, 0x00, 0x00, 'h', 'i'};
  EXPECT_EQ(EncodeString("hi", 1700000001000),
            std::string(reinterpret_cast<const char*>(expect), sizeof(expect)));
  EXPECT_EQ(EncodeString("hello"), "\xA1" + std::string(1, '\0') + "hello");
}

TEST(ValueCodecTest, RejectsForeignOrDamagedValues) {
  ValueView v;
  EXPECT_FALSE(DecodeValue("", &v));
  EXPECT_FALSE(DecodeValue("plain value", &v));
  std::string enc = EncodeString("x", 5);
  EXPECT_FALSE(DecodeValue(enc.substr(0, 9), &v));  // truncated expiry
  enc[1] = 0x03;                                    // unknown type
  EXPECT_FALSE(DecodeValue(enc, &v));
  enc[1] = 0x40;  // unknown flag
  EXPECT_FALSE(DecodeValue(enc, &v));
}

}  // namespace
}  // namespace jadedb::server
