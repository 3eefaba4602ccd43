// RespClient: a small blocking Redis-protocol client for the server tests: sends commands as
// multibulk arrays (or raw bytes) and reads typed replies (RESP2 and RESP3).
//
// Not thread-safe: one client per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jadedb::server::test {

struct Reply {
  enum class Type {
    kStatus,
    kError,
    kInteger,
    kBulk,
    kNull,
    kArray,
    kMap,
    kSet,
    kDouble,
    kBool,
    kVerbatim,
    kClosed
  };
  Type type = Type::kClosed;
  std::string str;  // status, error, bulk, verbatim (without "txt:"), double text
  int64_t integer = 0;
  std::vector<Reply> elements;  // array/set; map: key, value, key, value...

  bool is_error() const { return type == Type::kError; }
  bool is_null() const { return type == Type::kNull; }
  // A compact rendering for assertions: "+OK", "-ERR ...", ":1", "$abc", "(nil)", "[a,b]".
  std::string ToString() const;
};

class RespClient {
 public:
  RespClient() = default;
  ~RespClient();
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  bool Connect(int port, int timeout_ms = 5000);
  void Close();

  bool SendRaw(const std::string& bytes);
  bool Send(const std::vector<std::string>& args);
  Reply Read();
  Reply Cmd(const std::vector<std::string>& args) {
    Send(args);
    return Read();
  }
  // True when the server closed the connection (a read returns EOF within timeout_ms).
  bool WaitClosed(int timeout_ms = 2000);

  static std::string Encode(const std::vector<std::string>& args);

 private:
  bool Fill();
  bool ReadLine(std::string* line);
  bool ReadN(size_t n, std::string* out);

  int fd_ = -1;
  std::string buf_;
  size_t pos_ = 0;
};

}  // namespace jadedb::server::test
