#include "server/glob.h"

#include <gtest/gtest.h>

namespace jadedb::server {
namespace {

TEST(GlobTest, RedisSemantics) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("user:*:name", "user:42:name"));
  EXPECT_FALSE(GlobMatch("user:*:name", "user:42:names"));
  EXPECT_TRUE(GlobMatch("KEY", "key", /*nocase=*/true));
}

TEST(GlobTest, HostilePatternIsFast) {
  // Exponential in a naive backtracking matcher.
  std::string pattern;
  for (int i = 0; i < 30; i++) pattern += "*a";
  pattern += "b";
  EXPECT_FALSE(GlobMatch(pattern, std::string(2000, 'a')));
}

TEST(GlobTest, LiteralPrefix) {
  EXPECT_EQ(GlobLiteralPrefix("user:*"), "user:");
  EXPECT_EQ(GlobLiteralPrefix("*"), "");
  EXPECT_EQ(GlobLiteralPrefix("ab?c"), "ab");
  EXPECT_EQ(GlobLiteralPrefix("abc"), "abc");
}

}  // namespace
}  // namespace jadedb::server
