#include "bplustree/adaptive_hash_index.h"

#include <gtest/gtest.h>

#include <string>

namespace jadedb::bplustree {
namespace {

TEST(AdaptiveHashIndexTest, BuildsEntriesFromRepeatedLookups) {
  AdaptiveHashIndex ahi(1000, /*build_threshold=*/2);
  PageId page;
  Lsn lsn;
  EXPECT_FALSE(ahi.Lookup("k", &page, &lsn));
  ahi.Record("k", 7, 100);
  EXPECT_FALSE(ahi.Lookup("k", &page, &lsn));  // seen once: not indexed yet
  ahi.Record("k", 7, 100);
  ASSERT_TRUE(ahi.Lookup("k", &page, &lsn));
  EXPECT_EQ(page, 7u);
  EXPECT_EQ(lsn, 100u);
  ahi.ReportHit();
  AhiStats s = ahi.GetStats();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_NEAR(ahi.HitRate(), 1.0 / 3, 1e-9);
}

TEST(AdaptiveHashIndexTest, InvalidateAndDisable) {
  AdaptiveHashIndex ahi(1000, 1);
  PageId page;
  Lsn lsn;
  ahi.Record("a", 3, 1);
  ASSERT_TRUE(ahi.Lookup("a", &page, &lsn));
  ahi.Invalidate("a");
  EXPECT_FALSE(ahi.Lookup("a", &page, &lsn));
  EXPECT_EQ(ahi.GetStats().invalidations, 1u);
  ahi.Record("a", 3, 2);
  ahi.SetEnabled(false);
  EXPECT_FALSE(ahi.enabled());
  EXPECT_FALSE(ahi.Lookup("a", &page, &lsn));
  ahi.Record("b", 4, 1);
  EXPECT_EQ(ahi.GetStats().entries, 0u);
  ahi.SetEnabled(true);
  ahi.Record("b", 4, 1);
  EXPECT_TRUE(ahi.Lookup("b", &page, &lsn));
}

TEST(AdaptiveHashIndexTest, CapacityIsBounded) {
  AdaptiveHashIndex ahi(64, 1);
  for (int i = 0; i < 10000; i++) ahi.Record("key" + std::to_string(i), i + 2, 1);
  EXPECT_LE(ahi.GetStats().entries, 64u + 16u);
}

}  // namespace
}  // namespace jadedb::bplustree
