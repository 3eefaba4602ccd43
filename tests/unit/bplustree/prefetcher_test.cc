#include "bplustree/prefetcher.h"

#include <gtest/gtest.h>

#include <vector>

namespace jadedb::bplustree {
namespace {

TEST(PrefetcherTest, ForwardRunTriggersReadAheadOfNextLeaf) {
  std::vector<PageId> asked;
  Prefetcher p([&](PageId id) { asked.push_back(id); }, /*trigger_run=*/2);
  Prefetcher::ScanState st;
  // Leaves 10 -> 11 -> 12 -> 13 linked forward.
  p.OnLeafAccess(&st, 10, 0, 11);
  p.OnLeafAccess(&st, 11, 10, 12);
  EXPECT_TRUE(asked.empty());  // one step is not a run yet
  p.OnLeafAccess(&st, 12, 11, 13);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], 13u);
  p.OnLeafAccess(&st, 13, 12, 0);  // last leaf: nothing to prefetch
  EXPECT_EQ(asked.size(), 1u);
  EXPECT_EQ(p.requests(), 1u);
  EXPECT_EQ(p.sequential_runs(), 1u);
}

TEST(PrefetcherTest, BackwardRunPrefetchesPreviousLeaf) {
  std::vector<PageId> asked;
  Prefetcher p([&](PageId id) { asked.push_back(id); }, 2);
  Prefetcher::ScanState st;
  p.OnLeafAccess(&st, 13, 12, 0);
  p.OnLeafAccess(&st, 12, 11, 13);
  p.OnLeafAccess(&st, 11, 10, 12);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], 10u);
}

TEST(PrefetcherTest, RandomAccessAndDisabledDoNotPrefetch) {
  std::vector<PageId> asked;
  Prefetcher p([&](PageId id) { asked.push_back(id); }, 2);
  Prefetcher::ScanState st;
  for (PageId id : {50, 7, 33, 12, 90, 4}) p.OnLeafAccess(&st, id, id - 1, id + 1);
  EXPECT_TRUE(asked.empty());
  p.SetEnabled(false);
  Prefetcher::ScanState st2;
  for (PageId id = 20; id < 30; id++) p.OnLeafAccess(&st2, id, id - 1, id + 1);
  EXPECT_TRUE(asked.empty());
}

}  // namespace
}  // namespace jadedb::bplustree
