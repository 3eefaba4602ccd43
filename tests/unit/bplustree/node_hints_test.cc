// NodeHints (sampled key heads that narrow a mapped page's binary search) and NodeHintCache.
#include "bplustree/node_hints.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "bplustree/mapped_node.h"
#include "bplustree/node.h"
#include "bplustree/page.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

constexpr size_t kPage = 16384;

// A page holding `keys` (sorted, distinct): a leaf with value "v" + key, or an internal node
// whose first key is empty (minus infinity) and whose children are 1000 + index.
std::string MakeNodePage(const std::vector<std::string>& keys, bool leaf) {
  std::string page(kPage, '\0');
  InitPage(page.data(), kPage, 9, leaf ? PageType::kLeaf : PageType::kInternal, leaf ? 0 : 1, 1);
  Node node(page.data() + PayloadBegin(), PayloadSize(kPage));
  Node::Init(node.data(), node.size(), leaf);
  for (size_t i = 0; i < keys.size(); i++) {
    const std::string cell = leaf ? Node::EncodeCell(0, keys[i], "v" + keys[i])
                                  : Node::EncodeInternalCell(0, keys[i], 1000 + i);
    EXPECT_TRUE(node.InsertCell(static_cast<int>(i), cell)) << i;
  }
  SealPage(page.data(), kPage);
  return page;
}

// Keys sharing a prefix of `shared` bytes (some with 0 bytes), then a random tail of 1..12
// bytes drawn from a small alphabet, so heads often tie.
std::vector<std::string> RandomKeys(Random* rnd, size_t n, size_t shared) {
  std::string prefix;
  for (size_t i = 0; i < shared; i++) prefix.push_back(static_cast<char>(rnd->Uniform(4)));
  std::set<std::string> keys;
  while (keys.size() < n) {
    std::string k = prefix;
    const size_t tail = 1 + rnd->Uniform(12);
    for (size_t i = 0; i < tail; i++) k.push_back(static_cast<char>("\0\1ab\xff"[rnd->Uniform(5)]));
    keys.insert(k);
  }
  return {keys.begin(), keys.end()};
}

// Targets around the keys: each key, its neighbours, keys cut short or extended, and strings
// before and after the shared prefix.
std::vector<std::string> Targets(Random* rnd, const std::vector<std::string>& keys) {
  std::vector<std::string> targets = {"", std::string(1, '\xff'), std::string(20, '\0')};
  for (const std::string& k : keys) {
    targets.push_back(k);
    targets.push_back(k + '\0');
    targets.push_back(k.substr(0, rnd->Uniform(static_cast<int>(k.size()) + 1)));
    if (k.empty()) continue;
    std::string bumped = k;
    bumped[rnd->Uniform(static_cast<int>(k.size()))] ^= 1;
    targets.push_back(bumped);
  }
  return targets;
}

TEST(NodeHintsTest, RangeAlwaysHoldsTheLowerAndUpperBound) {
  Random rnd(301);
  for (int round = 0; round < 60; round++) {
    const bool leaf = round % 2 == 0;
    const size_t n = NodeHints::kMinSlots + 1 + rnd.Uniform(200);
    std::vector<std::string> keys = RandomKeys(&rnd, n, round % 12);
    if (!leaf) keys[0].clear();  // minus infinity
    std::sort(keys.begin(), keys.end());
    const std::string page = MakeNodePage(keys, leaf);
    NodeHints hints;
    ASSERT_TRUE(ComputeNodeHints(page.data(), kPage, &hints)) << round;
    EXPECT_EQ(hints.count, n);
    EXPECT_EQ(hints.base, leaf ? 0 : 1);
    const size_t base = hints.base;
    size_t narrowed = 0;
    for (const std::string& t : Targets(&rnd, keys)) {
      size_t lo, hi;
      hints.Range(t, &lo, &hi);
      const auto first = keys.begin() + static_cast<ptrdiff_t>(base);
      const size_t lower = std::lower_bound(first, keys.end(), t) - keys.begin();
      const size_t upper = std::upper_bound(first, keys.end(), t) - keys.begin();
      ASSERT_LE(base, lo);
      ASSERT_LE(hi, n);
      ASSERT_LE(lo, lower) << round << " target size " << t.size();
      ASSERT_LE(lower, hi) << round;
      ASSERT_LE(lo, upper) << round;
      ASSERT_LE(upper, hi) << round;
      if (hi - lo <= (n - base) / 4) narrowed++;
    }
    EXPECT_GT(narrowed, 0u) << round;  // hints that never narrow would be useless
  }
}

TEST(NodeHintsTest, SearchesWithHintsMatchSearchesWithout) {
  Random rnd(302);
  for (int round = 0; round < 40; round++) {
    const bool leaf = round % 2 == 0;
    std::vector<std::string> keys = RandomKeys(&rnd, 150, round % 10);
    if (!leaf) keys[0].clear();
    std::sort(keys.begin(), keys.end());
    const std::string page = MakeNodePage(keys, leaf);
    NodeHints hints;
    ASSERT_TRUE(ComputeNodeHints(page.data(), kPage, &hints));
    for (const std::string& t : Targets(&rnd, keys)) {
      if (leaf) {
        std::string with, without;
        const MappedLeafResult a = FindInMappedLeaf(page.data(), kPage, t, &with, &hints);
        const MappedLeafResult b = FindInMappedLeaf(page.data(), kPage, t, &without);
        ASSERT_EQ(a, b);
        ASSERT_EQ(with, without);
      } else {
        uint64_t c1 = 0, c2 = 0;
        ASSERT_TRUE(FindChildInMapped(page.data(), kPage, t, &c1, &hints));
        ASSERT_TRUE(FindChildInMapped(page.data(), kPage, t, &c2));
        ASSERT_EQ(c1, c2);
      }
    }
  }
}

TEST(NodeHintsTest, SmallNodesAndOtherPagesGetNone) {
  std::vector<std::string> keys;
  for (size_t i = 0; i + 1 < NodeHints::kMinSlots; i++)
    keys.push_back("k" + std::to_string(100 + i));
  NodeHints hints;
  EXPECT_FALSE(ComputeNodeHints(MakeNodePage(keys, true).data(), kPage, &hints));
  keys.push_back("k999");
  EXPECT_TRUE(ComputeNodeHints(MakeNodePage(keys, true).data(), kPage, &hints));
  std::string meta(kPage, '\0');
  InitPage(meta.data(), kPage, 0, PageType::kMeta, 0, 1);
  EXPECT_FALSE(ComputeNodeHints(meta.data(), kPage, &hints));
}

TEST(NodeHintCacheTest, HintsAreKeptPerPageAndSequence) {
  NodeHintCache cache(1024);
  NodeHints h;
  h.count = 200;
  h.prefix_len = 3;
  h.prefix = 0x616263;
  for (size_t j = 0; j < NodeHints::kSamples; j++) h.heads[j] = j * 7;
  NodeHints out;
  EXPECT_FALSE(cache.Find(5, 2, &out));
  cache.Store(5, 2, h);
  ASSERT_TRUE(cache.Find(5, 2, &out));
  EXPECT_EQ(out.count, 200);
  EXPECT_EQ(out.prefix_len, 3);
  EXPECT_EQ(out.prefix, 0x616263u);
  EXPECT_EQ(out.heads[15], 105u);
  EXPECT_FALSE(cache.Find(5, 4, &out));  // another version of the page
  EXPECT_FALSE(cache.Find(6, 2, &out));  // another page
  // A page that maps to the same slot replaces the entry.
  PageId other = 6;
  while (true) {
    cache.Store(other, 2, h);
    if (!cache.Find(5, 2, &out)) break;
    other++;
  }
  EXPECT_TRUE(cache.Find(other, 2, &out));
}

}  // namespace
}  // namespace jadedb::bplustree
