#include "server/resp/resp_writer.h"

#include <gtest/gtest.h>

namespace jadedb::server {
namespace {

TEST(RespWriterTest, Resp2) {
  std::string out;
  RespWriter w(&out);
  w.Ok();
  w.Error("ERR bad\r\nthing");
  w.Integer(-42);
  w.Bulk("hi");
  w.Null();
  w.MapHeader(1);
  w.Double(1.5);
  w.Verbatim("txt");
  EXPECT_EQ(
      out, "+OK\r\n-ERR bad  thing\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n*2\r\n$3\r\n1.5\r\n$3\r\ntxt\r\n");
}

TEST(RespWriterTest, Resp3) {
  std::string out;
  RespWriter w(&out);
  w.set_protocol(3);
  w.Null();
  w.MapHeader(2);
  w.SetHeader(1);
  w.Double(2);
  w.Verbatim("ab");
  EXPECT_EQ(out, "_\r\n%2\r\n~1\r\n,2\r\n=6\r\ntxt:ab\r\n");
}

TEST(RespWriterTest, BulkLengthsAroundTheSmallPath) {
  // Short values are framed on the stack, long ones appended in parts: same bytes.
  for (size_t n : {0, 1, 9, 10, 11, 63, 64, 65, 99, 100, 1000, 100000}) {
    std::string out = "x";  // appends after what is there
    RespWriter w(&out);
    const std::string v(n, 'v');
    w.Bulk(v);
    EXPECT_EQ(out, "x$" + std::to_string(n) + "\r\n" + v + "\r\n") << n;
  }
  std::string out;
  RespWriter w(&out);
  w.Bulk(std::string_view("a\0\r\n", 4));  // binary-safe
  EXPECT_EQ(out, std::string("$4\r\na\0\r\n\r\n", 10));
}

}  // namespace
}  // namespace jadedb::server
