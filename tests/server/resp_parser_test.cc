#include "server/resp/resp_parser.h"

#include <gtest/gtest.h>

#include <cstring>

namespace jadedb::server {
namespace {

std::vector<std::string> Strings(const std::vector<std::string_view>& v) {
  return std::vector<std::string>(v.begin(), v.end());
}

TEST(RespParserTest, MultibulkAndPipelining) {
  RespParser p;
  p.Append("*2\r\n$3\r\nGET\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$0\r\n\r\n");
  std::vector<std::string_view> args;
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"GET", "a"}));
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"SET", "b", ""}));
  EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete);
}

TEST(RespParserTest, ByteAtATime) {
  static const char kReq[] = "*3\r\n$3\r\nSET\r\n$5\r\nk\r\ney\r\n$4\r\n\0\1\2\3\r\n";
  const std::string full(kReq, sizeof(kReq) - 1);
  RespParser p;
  std::vector<std::string_view> args;
  for (size_t i = 0; i + 1 < full.size(); i++) {
    p.Append(full.substr(i, 1));
    ASSERT_EQ(p.Next(&args), RespParser::Result::kIncomplete) << i;
    p.Compact();
  }
  p.Append(full.substr(full.size() - 1));
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[1], "k\r\ney");  // binary-safe
  EXPECT_EQ(args[2].size(), 4u);
}

TEST(RespParserTest, Inline) {
  RespParser p;
  p.Append("PING\r\nset a \"x y\\n\" 'q'\n\r\n");
  std::vector<std::string_view> args;
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"PING"}));
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"set", "a", "x y\n", "q"}));
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);  // blank line
  EXPECT_TRUE(args.empty());
}

TEST(RespParserTest, UnbalancedQuotes) {
  RespParser p;
  p.Append("set \"a\r\n");
  std::vector<std::string_view> args;
  EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
  EXPECT_NE(p.error().find("unbalanced"), std::string::npos);
}

TEST(RespParserTest, EmptyArraysAreSkipped) {
  RespParser p;
  p.Append("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
  std::vector<std::string_view> args;
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"PING"}));
}

TEST(RespParserTest, Limits) {
  RespLimits limits;
  limits.max_bulk_len = 10;
  limits.max_args = 3;
  limits.max_inline_len = 16;
  std::vector<std::string_view> args;
  {
    RespParser p(limits);
    p.Append("*1\r\n$11\r\n");
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
    EXPECT_EQ(p.error(), "Protocol error: invalid bulk length");
  }
  {
    RespParser p(limits);
    p.Append("*4\r\n");
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
    EXPECT_EQ(p.error(), "Protocol error: invalid multibulk length");
  }
  {
    RespParser p(limits);
    p.Append(std::string(17, 'a'));
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
    EXPECT_EQ(p.error(), "Protocol error: too big inline request");
  }
  {
    // A huge claimed length is rejected before any allocation.
    RespParser p;
    p.Append("*1\r\n$999999999999\r\n");
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
  }
}

TEST(RespParserTest, MalformedFraming) {
  const char* cases[] = {"*1\r\nx3\r\nfoo\r\n", "*x\r\n", "*1\r\n$3\r\nfooXX",
                         "*1\r\n$-3\r\n",       "*1\n",   "*1\r\n$3x\r\n"};
  for (const char* c : cases) {
    RespParser p;
    p.Append(c);
    std::vector<std::string_view> args;
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError) << c;
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError) << "errors are sticky";
  }
  RespParser p;
  p.Append("*1\r\n$3\r\nfoo\r\n");
  std::vector<std::string_view> args;
  EXPECT_EQ(p.Next(&args), RespParser::Result::kCommand);
}

TEST(RespParserTest, ExpectedDollarMessage) {
  RespParser p;
  p.Append("*1\r\n:3\r\n");
  std::vector<std::string_view> args;
  EXPECT_EQ(p.Next(&args), RespParser::Result::kError);
  EXPECT_EQ(p.error(), "Protocol error: expected '$', got ':'");
}

TEST(RespParserTest, PrepareCommitAndCompactKeepPartialState) {
  RespParser p;
  const std::string part1 = "*2\r\n$3\r\nGET\r\n$5\r\nhe";
  char* buf = p.Prepare(100);
  std::copy(part1.begin(), part1.end(), buf);
  p.Commit(part1.size());
  std::vector<std::string_view> args;
  EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete);
  p.Compact();
  p.Append("llo\r\n");
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"GET", "hello"}));
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(RespParserTest, PartialRequestSurvivesGrowthWithoutCompact) {
  // The first request is returned and not compacted away; the second arrives in parts, and
  // the buffer is reallocated between them: the parsed arguments of the unfinished request
  // must be kept relative to the unparsed data, not as pointers into the old buffer.
  RespParser p;
  p.Append("*1\r\n$1\r\na\r\n*3\r\n$3\r\nSET\r\n$5\r\nhe");
  std::vector<std::string_view> args;
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(Strings(args), (std::vector<std::string>{"a"}));
  EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete);
  EXPECT_TRUE(args.empty());
  p.Append("llo\r\n$");
  EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete);
  const std::string big(1 << 20, 'v');  // forces the buffer to grow (move)
  p.Append(std::to_string(big.size()) + "\r\n" + big + "\r\n");
  ASSERT_EQ(p.Next(&args), RespParser::Result::kCommand);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], "SET");
  EXPECT_EQ(args[1], "hello");
  EXPECT_EQ(args[2], big);
  EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete);
}

TEST(SplitInlineArgsTest, Escapes) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitInlineArgs("a \"\\x41\\t\" 'it\\'s'", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"a", "A\t", "it's"}));
  out.clear();
  EXPECT_FALSE(SplitInlineArgs("\"abc\"def", &out));
}

TEST(ReadBufferTest, PrepareCommitConsumeAndShrink) {
  ReadBuffer b;
  char* room = b.Prepare(5);
  std::memcpy(room, "hello", 5);
  b.Commit(3);  // only "hel" was read
  EXPECT_EQ(b.view(), "hel");
  b.Append("lo world");
  b.Consume(6);
  EXPECT_EQ(b.view(), "world");
  // A large request grows the buffer; once consumed, the memory is given back.
  std::string big(8 << 20, 'x');
  b.Append(big);
  EXPECT_GE(b.capacity(), big.size());
  b.Consume(b.size() - 3);
  EXPECT_EQ(b.view(), "xxx");
  EXPECT_LE(b.capacity(), 1u << 20);
}

TEST(RespParserTest, LengthLinesSplitAnywhere) {
  // Every split point of a request with negative, zero and multi-digit lengths.
  const std::string full = "*3\r\n$3\r\nSET\r\n$10\r\n0123456789\r\n$0\r\n\r\n*-1\r\n";
  for (size_t cut = 0; cut <= full.size(); cut++) {
    RespParser p;
    std::vector<std::string_view> args;
    p.Append(full.substr(0, cut));
    RespParser::Result r = p.Next(&args);
    if (r == RespParser::Result::kIncomplete) {
      p.Append(full.substr(cut));
      r = p.Next(&args);
    }
    ASSERT_EQ(r, RespParser::Result::kCommand) << cut;
    EXPECT_EQ(Strings(args), (std::vector<std::string>{"SET", "0123456789", ""})) << cut;
    EXPECT_EQ(p.Next(&args), RespParser::Result::kIncomplete) << cut;
  }
  for (const char* bad : {"*1x\r\n", "*\r\n", "*-\r\n", "*1\rx", "*1234567890123456789\r\n"}) {
    RespParser p;
    std::vector<std::string_view> args;
    p.Append(bad);
    EXPECT_EQ(p.Next(&args), RespParser::Result::kError) << bad;
  }
}

}  // namespace
}  // namespace jadedb::server
