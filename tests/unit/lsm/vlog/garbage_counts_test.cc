// The VLOGGARBAGE file's codec: round trips, and every damaged variant is rejected (the DB
// side is in tests/unit/lsm/vlog_garbage_counts_test.cc).
#include "lsm/vlog/garbage_counts.h"

#include <gtest/gtest.h>

#include <string>

#include "lsm/base/filename.h"

namespace jadedb::lsm::vlog {
namespace {

TEST(GarbageCountsCodecTest, RoundTrips) {
  for (const GarbageCounts& counts :
       {GarbageCounts{}, GarbageCounts{{7, 123}}, GarbageCounts{{1, 0}, {42, 1ull << 40}}}) {
    GarbageCounts decoded{{99, 99}};
    std::string why;
    ASSERT_TRUE(DecodeGarbageCounts(EncodeGarbageCounts(counts), &decoded, &why)) << why;
    EXPECT_EQ(decoded, counts);
  }
}

TEST(GarbageCountsCodecTest, RejectsEveryFlippedBitAndEveryTruncation) {
  const std::string good = EncodeGarbageCounts({{3, 1000}, {5, 2000}});
  GarbageCounts decoded;
  std::string why;
  for (size_t i = 0; i < good.size() * 8; i++) {
    std::string bad = good;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    EXPECT_FALSE(DecodeGarbageCounts(bad, &decoded, &why)) << "bit " << i;
    EXPECT_FALSE(why.empty());
    EXPECT_TRUE(decoded.empty());
  }
  for (size_t n = 0; n < good.size(); n++) {
    EXPECT_FALSE(DecodeGarbageCounts(std::string_view(good).substr(0, n), &decoded, &why)) << n;
  }
  EXPECT_FALSE(DecodeGarbageCounts(good + "x", &decoded, &why));
}

TEST(GarbageCountsFileTest, NameIsAnLsmFileSoDestroyDbRemovesIt) {
  uint64_t number;
  FileType type;
  ASSERT_TRUE(ParseFileName("VLOGGARBAGE", &number, &type));
  EXPECT_EQ(type, FileType::kValueLogGarbageFile);
  ASSERT_TRUE(ParseFileName("VLOGGARBAGE.tmp", &number, &type));
  EXPECT_EQ(type, FileType::kValueLogGarbageFile);
  EXPECT_FALSE(ParseFileName("VLOGGARBAGEX", &number, &type));
}

}  // namespace
}  // namespace jadedb::lsm::vlog
