// Runs the RESP parser fuzz target (resp_parser_fuzz.cc) under gtest, for builds without
// libFuzzer: over a seed corpus of valid and broken requests, then mutated seeds and random
// bytes for about two seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "util/random.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace jadedb::server {
namespace {

int RunInput(const std::string& s) {
  return LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> seeds = {
      std::string("\x07*2\r\n$3\r\nGET\r\n$1\r\na\r\n"),
      std::string("\x03*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n"),
      std::string("\x01PING\r\nset a \"b c\" 'd'\r\n"),
      std::string("\x00*0\r\n*-1\r\n", 10),
      std::string("\x05*1\r\n$99999999\r\n"),
      std::string("\x02*99\r\n"),
      std::string("\x09*1\r\n$3\r\nfooXX"),
      std::string("\x04\"unbalanced\r\n"),
      std::string("\x00\x01\x02\xff\xfe garbage", 13),
  };
  return seeds;
}

TEST(RespParserFuzzTest, SeedCorpus) {
  for (const std::string& s : Seeds()) EXPECT_EQ(RunInput(s), 0);
}

TEST(RespParserFuzzTest, RandomAndMutatedInputsForTwoSeconds) {
  Random rnd(static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  const std::string alphabet = "*$+-:\r\n0123456789-abcXYZ \"'\\";
  size_t runs = 0;
  while (std::chrono::steady_clock::now() < end) {
    std::string s;
    if (rnd.OneIn(2)) {
      s = Seeds()[rnd.Uniform(static_cast<int>(Seeds().size()))];
      const int edits = 1 + static_cast<int>(rnd.Uniform(4));
      for (int e = 0; e < edits && !s.empty(); e++) {
        const size_t pos = rnd.Uniform(static_cast<int>(s.size()));
        switch (rnd.Uniform(3)) {
          case 0:
            s[pos] = alphabet[rnd.Uniform(static_cast<int>(alphabet.size()))];
            break;
          case 1:
            s.erase(pos, 1);
            break;
          default:
            s.insert(pos, 1, static_cast<char>(rnd.Uniform(256)));
        }
      }
    } else {
      const size_t len = rnd.Uniform(200);
      for (size_t i = 0; i < len; i++) {
        s.push_back(rnd.OneIn(3) ? static_cast<char>(rnd.Uniform(256))
                                 : alphabet[rnd.Uniform(static_cast<int>(alphabet.size()))]);
      }
    }
    ASSERT_EQ(RunInput(s), 0);
    runs++;
  }
  EXPECT_GT(runs, 1000u);
}

}  // namespace
}  // namespace jadedb::server
