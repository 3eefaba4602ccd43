// RespWriter: appends replies in the Redis protocol to an output buffer, in RESP2 or RESP3
// (chosen per connection by HELLO). Types RESP2 lacks are mapped the way Redis maps them:
// null -> $-1, map -> flat array, double -> bulk string.
//
// Not thread-safe: one writer per connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jadedb::server {

class RespWriter {
 public:
  explicit RespWriter(std::string* out) : out_(out) {}

  void set_protocol(int version) { resp3_ = version >= 3; }
  bool resp3() const { return resp3_; }
  std::string* buffer() { return out_; }

  void Simple(std::string_view s);    // +s
  void Error(std::string_view s);     // -s (s starts with the error code, e.g. "ERR ...")
  void Integer(int64_t v);            // :v
  void Bulk(std::string_view s);      // $len s
  void Null();                        // $-1 or _
  void NullArray();                   // *-1 or _
  void ArrayHeader(int64_t n);        // *n
  void MapHeader(int64_t n);          // %n, or *2n in RESP2
  void SetHeader(int64_t n);          // ~n, or *n in RESP2
  void Double(double v);              // ,v or a bulk string
  void Verbatim(std::string_view s);  // =len txt:s, or a bulk string in RESP2
  void Ok() { Simple("OK"); }

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  bool resp3_ = false;
};

}  // namespace jadedb::server
