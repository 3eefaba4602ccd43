// Unit tests of tools/jadedb/escaping.cc (linked through jadedb_cli_lib).
#include "jadedb/escaping.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace jadedb::cli {
namespace {

std::string MustUnescape(const std::string& s) {
  std::string out, error;
  EXPECT_TRUE(Unescape(s, &out, &error)) << s << ": " << error;
  return out;
}

std::vector<std::string> MustSplit(const std::string& line) {
  std::vector<std::string> words;
  std::string error;
  EXPECT_TRUE(SplitWords(line, &words, &error)) << line << ": " << error;
  return words;
}

TEST(EscapingTest, EveryByteRoundTripsAlone) {
  for (int b = 0; b < 256; ++b) {
    std::string s(1, static_cast<char>(b));
    std::string e = Escape(s);
    bool plain = b >= 0x20 && b <= 0x7e && b != '\\';
    if (plain) {
      EXPECT_EQ(s, e) << b;
    } else {
      char want[5];
      std::snprintf(want, sizeof(want), "\\x%02x", b);
      EXPECT_EQ(want, e) << b;
    }
    // The text form never holds a byte that would break a KEY<TAB>VALUE line.
    EXPECT_EQ(std::string::npos, e.find_first_of(std::string("\t\n\r\0", 4))) << b;
    EXPECT_EQ(s, MustUnescape(e)) << b;
  }
}

TEST(EscapingTest, AllBytesInOneStringRoundTrip) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  all += all;  // and every byte after every other kind of byte at least once more
  std::string e = Escape(all);
  EXPECT_EQ(all, MustUnescape(e));
  // Through the shell's word splitter too, as one word: Escape leaves space and '"' as they
  // are, so the word is quoted and its quotes escaped.
  std::string word = "\"";
  for (char c : e) word += (c == '"') ? std::string("\\\"") : std::string(1, c);
  word += "\"";
  std::vector<std::string> words = MustSplit("put " + word + " ");
  ASSERT_EQ(2u, words.size());
  words.erase(words.begin());
  ASSERT_EQ(1u, words.size());
  EXPECT_EQ(all, words[0]);
}

TEST(EscapingTest, KnownForms) {
  EXPECT_EQ("", Escape(""));
  EXPECT_EQ("a\\x09b", Escape("a\tb"));
  EXPECT_EQ("\\x5c", Escape("\\"));
  EXPECT_EQ("\\x00\\xff", Escape(std::string("\0\xff", 2)));
  EXPECT_EQ("say \"hi\"", Escape("say \"hi\""));
  EXPECT_EQ(std::string("\xab\xcd", 2), MustUnescape("\\xAB\\xcD"));
  EXPECT_EQ("a\\b\"c", MustUnescape("a\\\\b\\\"c"));
}

TEST(EscapingTest, BadEscapesAreRejected) {
  for (const char* bad : {"\\", "abc\\", "\\x", "\\x4", "\\xg0", "\\x0g", "\\n", "\\t", "a\\yb"}) {
    std::string out, error;
    EXPECT_FALSE(Unescape(bad, &out, &error)) << bad;
    EXPECT_NE(std::string::npos, error.find("bad escape")) << bad << ": " << error;
  }
}

TEST(EscapingTest, SplitWordsOnSpacesAndTabs) {
  EXPECT_EQ((std::vector<std::string>{"put", "k", "v"}), MustSplit("  put k\t v  "));
  EXPECT_TRUE(MustSplit("").empty());
  EXPECT_TRUE(MustSplit("   \t ").empty());
}

TEST(EscapingTest, SplitWordsWithQuotesAndEscapes) {
  EXPECT_EQ((std::vector<std::string>{"put", "a key", "a value"}),
            MustSplit("put \"a key\" \"a value\""));
  EXPECT_EQ((std::vector<std::string>{"a bc"}), MustSplit("\"a b\"c"));
  EXPECT_EQ((std::vector<std::string>{"get", ""}), MustSplit("get \"\""));
  EXPECT_EQ((std::vector<std::string>{"a b", "\"q\""}), MustSplit("a\\x20b \\\"q\\\""));
  EXPECT_EQ((std::vector<std::string>{std::string("\0\t", 2)}), MustSplit("\"\\x00\\x09\""));
}

TEST(EscapingTest, SplitWordsErrors) {
  std::vector<std::string> words;
  std::string error;
  EXPECT_FALSE(SplitWords("put \"unterminated", &words, &error));
  EXPECT_NE(std::string::npos, error.find("quote"));
  EXPECT_FALSE(SplitWords("put k \\q", &words, &error));
  EXPECT_NE(std::string::npos, error.find("bad escape"));
}

}  // namespace
}  // namespace jadedb::cli
