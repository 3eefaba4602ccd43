// Fuzz target for the RESP request parser (libFuzzer entry point). The input is split at a
// position taken from its first byte, fed in two pieces with a Compact in between (as a
// connection does), and parsed until it needs more bytes or fails. Checks: no crash, no
// undefined behaviour, limits respected, and errors are sticky.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "server/resp/resp_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using jadedb::server::RespLimits;
  using jadedb::server::RespParser;
  if (size == 0) return 0;
  RespLimits limits;
  limits.max_bulk_len = 1 << 16;
  limits.max_args = 64;
  limits.max_inline_len = 1 << 12;
  RespParser parser(limits);
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  std::vector<std::string_view> args;
  for (std::string_view piece : {input.substr(0, split), input.substr(split)}) {
    parser.Append(piece);
    while (true) {
      RespParser::Result r = parser.Next(&args);
      if (r == RespParser::Result::kCommand) {
        if (args.size() > limits.max_args) std::abort();
        for (std::string_view a : args) {
          if (a.size() > limits.max_bulk_len && a.size() > limits.max_inline_len) std::abort();
        }
        continue;
      }
      if (r == RespParser::Result::kError) {
        if (parser.Next(&args) != RespParser::Result::kError) std::abort();
        return 0;
      }
      break;
    }
    parser.Compact();
  }
  return 0;
}
