#include "bplustree/tree.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bplustree/storage_engine.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

// A store with 4 KiB pages and a small pool, so splits, merges and evictions happen early.
class TreeTest : public testing::Test {
 protected:
  TreeTest() { Open(); }

  void Open() {
    tree_.reset();
    engine_.reset();
    BPlusTreeOptions o;
    o.env = Env::Default();
    o.page_size = 4096;
    o.buffer_pool_bytes = 4 << 20;
    o.buffer_pool_partitions = 4;
    o.flusher_interval_ms = 0;
    o.checkpoint_interval_ms = 0;
    Status s = StorageEngine::Open(o, dir_.path(), &engine_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    tree_ = std::make_unique<Tree>(engine_.get(), nullptr, nullptr);
    ASSERT_TRUE(tree_->Init().ok());
  }
  void Reopen() {
    tree_.reset();
    ASSERT_TRUE(engine_->Close().ok());
    Open();
  }

  void Put(std::string_view k, std::string_view v) {
    MiniTxn mtr = engine_->Begin();
    Status s = tree_->Put(&mtr, k, v);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Status c = mtr.Commit(false);
    ASSERT_TRUE(c.ok()) << c.ToString();
  }
  void Del(std::string_view k) {
    MiniTxn mtr = engine_->Begin();
    Status s = tree_->Delete(&mtr, k);
    ASSERT_TRUE(s.ok()) << s.ToString();
    Status c = mtr.Commit(false);
    ASSERT_TRUE(c.ok()) << c.ToString();
  }
  std::string Get(std::string_view k) {
    std::string v;
    Status s = tree_->Get(k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return v;
  }
  void CheckTree(TreeStats* stats = nullptr) {
    std::string report;
    Status s = tree_->Check(&report, stats);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // All entries by forward leaf walk.
  std::map<std::string, std::string> Scan() {
    std::map<std::string, std::string> out;
    std::string last;
    bool first = true;
    while (true) {
      LeafSnapshot leaf;
      size_t pos = 0;
      EXPECT_TRUE(tree_->SeekForward(last, !first, &leaf, &pos).ok());
      if (leaf.id == kInvalidPageId) break;
      for (; pos < leaf.size(); pos++) out.emplace(leaf.key(pos), leaf.value(pos));
      last = leaf.key(leaf.size() - 1);
      first = false;
    }
    return out;
  }
  static std::string Key(int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "key%08d", i);
    return buf;
  }

  test::TempDir dir_;
  std::unique_ptr<StorageEngine> engine_;
  std::unique_ptr<Tree> tree_;
};

TEST_F(TreeTest, EmptyTree) {
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(tree_->Height(), 1u);
  CheckTree();
  Del("absent");
  EXPECT_TRUE(Scan().empty());
}

TEST_F(TreeTest, SequentialInsertsFillPagesAndSplitRoot) {
  const int n = 5000;
  for (int i = 0; i < n; i++) Put(Key(i), "value" + std::to_string(i));
  TreeStats stats;
  CheckTree(&stats);
  EXPECT_EQ(stats.entries, static_cast<uint64_t>(n));
  EXPECT_GE(stats.height, 2u);
  // Right-most splits leave pages nearly full: ~ (11 + 9 + 4) bytes per entry in 4 KiB.
  uint64_t per_leaf = n / stats.leaf_pages;
  EXPECT_GT(per_leaf, 130u) << stats.leaf_pages << " leaves";
  for (int i = 0; i < n; i += 97) EXPECT_EQ(Get(Key(i)), "value" + std::to_string(i));
  EXPECT_EQ(Scan().size(), static_cast<size_t>(n));
}

TEST_F(TreeTest, RandomInsertDeleteAgainstMapWithReopen) {
  Random rnd(301);
  std::map<std::string, std::string> model;
  for (int round = 0; round < 4; round++) {
    for (int op = 0; op < 4000; op++) {
      std::string k = Key(static_cast<int>(rnd.Uniform(3000)));
      if (rnd.OneIn(3)) {
        Del(k);
        model.erase(k);
      } else {
        std::string v(rnd.Skewed(9), static_cast<char>('a' + rnd.Uniform(26)));
        Put(k, v);
        model[k] = v;
      }
    }
    CheckTree();
    ASSERT_EQ(Scan(), model);
    Reopen();
    CheckTree();
    ASSERT_EQ(Scan(), model);
  }
  for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v);
}

TEST_F(TreeTest, DeleteEverythingCollapsesRootAndReusesPages) {
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(50, 'x'));
  TreeStats full;
  CheckTree(&full);
  ASSERT_GE(full.height, 2u);
  uint64_t pages_after_fill = engine_->PageCount();
  // Delete from both ends and the middle.
  for (int i = 0; i < 3000; i++) {
    int k = i % 3 == 0 ? i / 3 : (i % 3 == 1 ? 2999 - i / 3 : 1000 + i / 3);
    Del(Key(k));
    if (i % 500 == 0) CheckTree();
  }
  TreeStats empty;
  CheckTree(&empty);
  EXPECT_EQ(empty.entries, 0u);
  EXPECT_EQ(empty.height, 1u);
  EXPECT_GT(tree_->merges(), 0u);
  // Refill: the freed pages are reused, the store does not grow.
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(50, 'x'));
  CheckTree();
  EXPECT_LE(engine_->PageCount(), pages_after_fill + 2);
}

// Long keys make internal nodes hold ~20 children, so deleting a run of keys empties the
// leaves under one internal node while its neighbour stays too full to merge with: the two
// must rotate children through their parent.
TEST_F(TreeTest, InternalNodesBorrowFromSiblingsWhenTheyCannotMerge) {
  auto long_key = [](int i) { return std::string(150, 'p') + Key(i); };
  Random rnd(11);
  std::map<std::string, std::string> model;
  std::vector<int> order(3000);
  for (int i = 0; i < 3000; i++) order[i] = i;
  for (int i = 2999; i > 0; i--) std::swap(order[i], order[rnd.Uniform(i + 1)]);
  for (int i : order) {
    Put(long_key(i), "v" + std::to_string(i));
    model[long_key(i)] = "v" + std::to_string(i);
  }
  TreeStats before;
  CheckTree(&before);
  ASSERT_GE(before.height, 3u);
  // Delete runs of keys from the front, checking the whole tree after every run.
  for (int start = 0; start < 2400; start += 300) {
    for (int i = start; i < start + 250; i++) {
      Del(long_key(i));
      model.erase(long_key(i));
    }
    CheckTree();
    ASSERT_EQ(Scan(), model);
  }
  EXPECT_GT(tree_->internal_borrows(), 0u);
  Reopen();
  CheckTree();
  ASSERT_EQ(Scan(), model);
  for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v);
}

TEST_F(TreeTest, ChurnDoesNotGrowTheFile) {
  Random rnd(7);
  for (int i = 0; i < 2000; i++) Put(Key(i), std::string(100, 'v'));
  uint64_t base = engine_->PageCount();
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 2000; i++) Del(Key(i));
    for (int i = 0; i < 2000; i++) Put(Key(i), std::string(100, 'w'));
  }
  CheckTree();
  EXPECT_LE(engine_->PageCount(), base + base / 10 + 2);
}

TEST_F(TreeTest, OverflowValuesAndKeysRoundTrip) {
  Random rnd(11);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 60; i++) {
    std::string k = i % 5 == 0 ? std::string(3000 + i, 'k') + std::to_string(i) : Key(i);
    std::string v = test::RandomBytes(&rnd, i % 2 ? 20000 + i * 100 : 1000 + i);
    Put(k, v);
    model[k] = v;
  }
  CheckTree();
  for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v) << k.size();
  ASSERT_EQ(Scan(), model);
  uint64_t pages = engine_->PageCount();
  // Overwrite with small values and back: chains are freed and reused.
  for (int r = 0; r < 3; r++) {
    for (auto& [k, v] : model) Put(k, "small");
    for (auto& [k, v] : model) Put(k, v);
  }
  EXPECT_LE(engine_->PageCount(), pages + 4);
  Reopen();
  for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v);
  for (const auto& [k, v] : model) Del(k);
  CheckTree();
  EXPECT_TRUE(Scan().empty());
}

TEST_F(TreeTest, EdgeSizesNearTheInlineLimits) {
  const size_t max_v = tree_->max_inline_value();
  const size_t max_k = tree_->max_inline_key();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 200; i++) {
    std::string k = Key(i);
    k.resize(i % 4 == 0 ? max_k : (i % 4 == 1 ? max_k + 1 : 12), 'a' + i % 26);
    k += std::to_string(i);
    std::string v(i % 3 == 0 ? max_v : (i % 3 == 1 ? max_v + 1 : max_v - 1), 'v');
    Put(k, v);
    model[k] = v;
  }
  CheckTree();
  ASSERT_EQ(Scan(), model);
  Put("", "empty key");  // the smallest key
  EXPECT_EQ(Get(""), "empty key");
  Put(std::string(5, '\xff'), "largest");
  EXPECT_EQ(Get(std::string(5, '\xff')), "largest");
  CheckTree();
}

TEST_F(TreeTest, ReverseSeek) {
  for (int i = 0; i < 2000; i += 2) Put(Key(i), "v");
  LeafSnapshot leaf;
  size_t pos;
  std::string t = Key(1001);
  ASSERT_TRUE(tree_->SeekBackward(&t, false, &leaf, &pos).ok());
  EXPECT_EQ(leaf.key(pos), Key(1000));
  t = Key(1000);
  ASSERT_TRUE(tree_->SeekBackward(&t, true, &leaf, &pos).ok());
  EXPECT_EQ(leaf.key(pos), Key(998));
  ASSERT_TRUE(tree_->SeekBackward(nullptr, false, &leaf, &pos).ok());
  EXPECT_EQ(leaf.key(pos), Key(1998));
  t = Key(0);
  ASSERT_TRUE(tree_->SeekBackward(&t, true, &leaf, &pos).ok());
  EXPECT_EQ(leaf.id, kInvalidPageId);
}

}  // namespace
}  // namespace jadedb::bplustree
