// RespParser: an incremental parser of client requests in the Redis protocol (RESP2 multibulk
// arrays of bulk strings, and inline commands). Feed bytes with Append, then call Next until
// it returns kIncomplete. Limits (bulk length, argument count, inline length) are enforced
// before any memory is reserved for the claimed size, so a hostile length cannot exhaust memory.
//
// Not thread-safe: one parser per connection. The argument views returned by Next stay valid
// until the next call to Append, Next or Compact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/resp/read_buffer.h"

namespace jadedb::server {

struct RespLimits {
  // Largest bulk string accepted (Redis proto-max-bulk-len).
  uint64_t max_bulk_len = 512ull << 20;
  // Most arguments in one request (Redis accepts 1024*1024).
  uint64_t max_args = 1024 * 1024;
  // Longest inline command line.
  size_t max_inline_len = 64 << 10;
};

class RespParser {
 public:
  enum class Result {
    kCommand,     // *args holds one request (possibly empty: a blank inline line)
    kIncomplete,  // more bytes needed
    kError,       // protocol error; error() says why; framing is lost, close the connection
  };

  explicit RespParser(const RespLimits& limits = RespLimits()) : limits_(limits) {}

  void Append(std::string_view data) { buf_.Append(data); }
  // Room to read into directly: returns a pointer to `n` writable bytes at the end of the
  // buffer; call Commit with the bytes actually read.
  char* Prepare(size_t n) { return buf_.Prepare(n); }
  void Commit(size_t n) { buf_.Commit(n); }

  Result Next(std::vector<std::string_view>* args);
  // Drops the bytes of requests already returned (invalidates their views).
  void Compact();

  const std::string& error() const { return error_; }
  // Bytes buffered but not yet parsed into a request.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  Result ParseInline(std::vector<std::string_view>* args);
  // Saves the arguments of a request not yet complete (or failed) and returns r.
  Result Suspend(std::vector<std::string_view>* args, Result r);
  Result Fail(std::string msg);
  // Out of line and cold: keeps string building out of ReadLength's hot path.
  [[gnu::cold, gnu::noinline]] Result FailInvalid(const char* what);
  [[gnu::cold, gnu::noinline]] Result FailExpected(char want, char got);
  // Reads an integer line "<prefix><digits>\r\n" at off; kIncomplete/kError/kCommand(ok).
  Result ReadLength(size_t* off, char prefix, int64_t* value, const char* what);

  RespLimits limits_;
  ReadBuffer buf_;
  size_t pos_ = 0;  // first unparsed byte
  std::string error_;
  std::vector<std::string> inline_storage_;
  // A multibulk request parsed in part: offsets relative to pos_ so Compact keeps them valid.
  int64_t pending_count_ = -1;                           // -1: no request in progress
  size_t pending_off_ = 0;                               // next element's header, relative to pos_
  std::vector<std::pair<size_t, size_t>> pending_args_;  // (offset from pos_, length)
};

// Splits an inline command line into arguments with Redis's quoting rules ("..." with
// escapes, '...'). False on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace jadedb::server
