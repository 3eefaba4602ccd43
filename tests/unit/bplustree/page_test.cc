#include "bplustree/page.h"

#include <gtest/gtest.h>

#include <string>

#include "bplustree/page_crc.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {

TEST(PageTest, InitSealVerifyRoundTripAllSizes) {
  for (uint32_t size = kMinPageSize; size <= kMaxPageSize; size *= 2) {
    ASSERT_TRUE(IsValidPageSize(size));
    std::string page(size, 'x');
    InitPage(page.data(), size, 42, PageType::kLeaf, 0, 7);
    PageMutator m(page.data(), size);
    m.set_record_count(3);
    m.set_next(43);
    m.set_prev(41);
    std::memset(m.mutable_payload(), 0xab, 100);
    SealPage(page.data(), size);
    EXPECT_TRUE(VerifyPage(page.data(), size, 42, "data-000000.jdb", 0).ok());
    PageView v(page.data(), size);
    EXPECT_EQ(v.id(), 42u);
    EXPECT_EQ(v.type(), PageType::kLeaf);
    EXPECT_EQ(v.lsn(), 7u);
    EXPECT_EQ(v.record_count(), 3);
    EXPECT_EQ(v.next(), 43u);
    EXPECT_EQ(v.prev(), 41u);
    EXPECT_EQ(v.free_start(), PayloadBegin());
    EXPECT_EQ(v.free_end(), size - kPageTrailerSize);
    EXPECT_EQ(v.payload_size(), size - kPageHeaderSize - kPageTrailerSize);
  }
  EXPECT_FALSE(IsValidPageSize(2048));
  EXPECT_FALSE(IsValidPageSize(12288));
  EXPECT_FALSE(IsValidPageSize(128 * 1024));
}

TEST(PageTest, DetectsFlippedBitTornWriteAndMisdirectedWrite) {
  const size_t n = 8192;
  std::string page(n, '\0');
  InitPage(page.data(), n, 9, PageType::kInternal, 1, 100);
  SealPage(page.data(), n);

  std::string flipped = page;
  flipped[3000] ^= 1;
  Status s = VerifyPage(flipped.data(), n, 9, "data-000001.jdb", 8192 * 9);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("checksum"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("data-000001.jdb"), std::string::npos);
  EXPECT_NE(s.ToString().find("page 9"), std::string::npos);

  // Torn: the first half is a newer version (higher LSN), the trailer is the old one.
  std::string newer = page;
  PageMutator(newer.data(), n).set_lsn(200);
  SealPage(newer.data(), n);
  std::string torn = page;
  std::memcpy(torn.data(), newer.data(), n / 2);
  s = VerifyPage(torn.data(), n, 9, "f", 0);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("torn"), std::string::npos) << s.ToString();

  s = VerifyPage(page.data(), n, 10, "f", 0);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("misdirected"), std::string::npos) << s.ToString();

  std::string zero(n, '\0');
  EXPECT_TRUE(IsZeroPage(zero.data(), n));
  EXPECT_TRUE(VerifyPage(zero.data(), n, 9, "f", 0).IsCorruption());
}

// The three-chain page CRC must equal the plain CRC32C for every length (below, at and past
// whole rounds of three blocks, with odd tails) and every starting CRC.
TEST(PageCrcTest, MatchesPlainCrc32c) {
  std::string buf(70000, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (char& c : buf) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{3071}, size_t{3072}, size_t{3073},
                   size_t{4064}, size_t{6144 + 5}, size_t{16352}, size_t{65504}, size_t{70000}}) {
    for (uint32_t init : {0u, 1u, 0xdeadbeefu}) {
      for (size_t off : {size_t{0}, size_t{3}}) {
        if (off + n > buf.size()) continue;
        EXPECT_EQ(PageCrcExtend(init, buf.data() + off, n),
                  crc32c::Extend(init, buf.data() + off, n))
            << "n=" << n << " init=" << init << " off=" << off;
      }
    }
  }
}

}  // namespace
}  // namespace jadedb::bplustree
