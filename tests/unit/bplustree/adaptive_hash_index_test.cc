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

TEST(AdaptiveHashIndexTest, SamplesKeysWhileTheHitRateIsLowAndComesBack) {
  AdaptiveHashIndex ahi(1 << 20, /*build_threshold=*/2);
  PageId page;
  Lsn lsn;
  // Every key read once (uniformly random reads of a large key set): no entry is ever used.
  for (uint32_t i = 0; i < AdaptiveHashIndex::kWindow; i++) {
    const std::string k = "once" + std::to_string(i);
    EXPECT_FALSE(ahi.Lookup(k, &page, &lsn));
    ahi.Record(k, 5, 1);
  }
  ASSERT_TRUE(ahi.GetStats().sampling);

  // Now only keys in the 1/kSampleDivisor sample are recorded and looked up.
  const int kKeys = 2000;
  for (int r = 0; r < 2; r++) {
    for (int i = 0; i < kKeys; i++) ahi.Record("s" + std::to_string(i), 7, 1);
  }
  int indexed = 0;
  for (int i = 0; i < kKeys; i++) indexed += ahi.Lookup("s" + std::to_string(i), &page, &lsn);
  EXPECT_GT(indexed, kKeys / AdaptiveHashIndex::kSampleDivisor / 2);
  EXPECT_LT(indexed, kKeys / AdaptiveHashIndex::kSampleDivisor * 2);

  // A small hot set read over and over: the sampled keys hit, and their hit rate brings the
  // index back for every key.
  bool back = false;
  for (int round = 0; round < 2000 && !back; round++) {
    for (int i = 0; i < 200; i++) {
      const std::string k = "hot" + std::to_string(i);
      if (ahi.Lookup(k, &page, &lsn)) {
        ahi.ReportHit();
      } else {
        ahi.Record(k, 9, 1);
      }
    }
    back = !ahi.GetStats().sampling;
  }
  ASSERT_TRUE(back);
  for (int r = 0; r < 2; r++) {
    for (int i = 0; i < 100; i++) ahi.Record("all" + std::to_string(i), 3, 1);
  }
  for (int i = 0; i < 100; i++) EXPECT_TRUE(ahi.Lookup("all" + std::to_string(i), &page, &lsn));
}

}  // namespace
}  // namespace jadedb::bplustree
