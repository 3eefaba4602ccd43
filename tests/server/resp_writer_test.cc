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

}  // namespace
}  // namespace jadedb::server
