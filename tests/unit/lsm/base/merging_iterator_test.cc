#include "lsm/base/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

// An iterator over a sorted vector (duplicates allowed), optionally failing with a status.
class VectorIterator final : public InternalIterator {
 public:
  explicit VectorIterator(Entries entries, Status status = Status::OK())
      : entries_(std::move(entries)), pos_(entries_.size()), status_(std::move(status)) {}
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_.empty() ? 0 : entries_.size() - 1; }
  void Seek(std::string_view target) override {
    pos_ = std::lower_bound(entries_.begin(), entries_.end(), target,
                            [](const auto& e, std::string_view t) { return e.first < t; }) -
           entries_.begin();
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? entries_.size() : pos_ - 1; }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  Entries entries_;
  size_t pos_;
  Status status_;
};

std::unique_ptr<InternalIterator> Merge(const std::vector<Entries>& children) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (const auto& c : children) iters.push_back(std::make_unique<VectorIterator>(c));
  return NewMergingIterator(BytewiseComparator(), std::move(iters));
}

std::string Forward(InternalIterator* it) {
  std::string out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) out += std::string(it->value()) + " ";
  return out;
}

std::string Backward(InternalIterator* it) {
  std::string out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) out += std::string(it->value()) + " ";
  return out;
}

TEST(MergingIteratorTest, Empty) {
  auto it = Merge({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  auto it2 = Merge({{}, {}});
  it2->SeekToLast();
  EXPECT_FALSE(it2->Valid());
  it2->Seek("a");
  EXPECT_FALSE(it2->Valid());
}

TEST(MergingIteratorTest, MergesInOrder) {
  auto it = Merge({{{"a", "a0"}, {"d", "d0"}}, {{"b", "b1"}, {"c", "c1"}, {"e", "e1"}}, {}});
  EXPECT_EQ("a0 b1 c1 d0 e1 ", Forward(it.get()));
  EXPECT_EQ("e1 d0 c1 b1 a0 ", Backward(it.get()));
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("c", it->key());
  it->Seek("cc");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("d", it->key());
  it->Seek("z");
  EXPECT_FALSE(it->Valid());
}

TEST(MergingIteratorTest, DirectionChanges) {
  auto it = Merge({{{"a", "a0"}, {"c", "c0"}, {"e", "e0"}}, {{"b", "b1"}, {"d", "d1"}}});
  it->Seek("c");
  it->Prev();
  EXPECT_EQ("b", it->key());
  it->Next();
  EXPECT_EQ("c", it->key());
  it->Next();
  EXPECT_EQ("d", it->key());
  it->Prev();
  EXPECT_EQ("c", it->key());
  it->Prev();
  it->Prev();
  EXPECT_EQ("a", it->key());
  it->Prev();
  EXPECT_FALSE(it->Valid());
}

TEST(MergingIteratorTest, DuplicateKeysAreAllYieldedInBothDirections) {
  // Equal keys come out in child order going forward and reversed going backward.
  auto it = Merge({{{"k", "0"}}, {{"j", "j"}, {"k", "1"}}, {{"k", "2"}, {"l", "l"}}});
  EXPECT_EQ("j 0 1 2 l ", Forward(it.get()));
  EXPECT_EQ("l 2 1 0 j ", Backward(it.get()));
  // Switch direction in the middle of the run of equal keys.
  it->Seek("k");
  EXPECT_EQ("0", it->value());
  it->Next();
  EXPECT_EQ("1", it->value());
  it->Prev();
  EXPECT_EQ("0", it->value());
  it->Next();
  EXPECT_EQ("1", it->value());
  it->Next();
  EXPECT_EQ("2", it->value());
  it->Prev();
  EXPECT_EQ("1", it->value());
  it->Prev();
  EXPECT_EQ("0", it->value());
  it->Prev();
  EXPECT_EQ("j", it->value());
}

TEST(MergingIteratorTest, StatusIsFirstChildError) {
  std::vector<std::unique_ptr<InternalIterator>> iters;
  iters.push_back(std::make_unique<VectorIterator>(Entries{{"a", "1"}}));
  iters.push_back(std::make_unique<VectorIterator>(Entries{}, Status::Corruption("first")));
  iters.push_back(std::make_unique<VectorIterator>(Entries{}, Status::IOError("second")));
  auto it = NewMergingIterator(BytewiseComparator(), std::move(iters));
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_EQ("first", it->status().message());
}

// A random walk compared step by step with a model: the sorted multiset of all entries,
// where equal keys are ordered by child index.
TEST(MergingIteratorTest, RandomAgainstModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  for (int round = 0; round < 200; round++) {
    const int num_children = 1 + static_cast<int>(rnd.Uniform(8));
    const bool allow_duplicates = round % 2 == 1;
    std::vector<Entries> children(num_children);
    std::map<std::string, std::string> unique;  // model when keys are unique
    std::vector<std::pair<std::string, std::string>> model;
    for (int c = 0; c < num_children; c++) {
      std::map<std::string, std::string> child;
      const int n = static_cast<int>(rnd.Uniform(30));
      for (int i = 0; i < n; i++) {
        std::string k = test::RandomPrintable(&rnd, 1 + rnd.Uniform(3));
        if (!allow_duplicates && unique.count(k)) continue;
        std::string v = std::to_string(c) + ":" + k;
        child[k] = v;
        unique[k] = v;
      }
      for (auto& kv : child) children[c].push_back(kv);
    }
    for (int c = 0; c < num_children; c++) {
      for (auto& kv : children[c]) model.push_back(kv);
    }
    // Stable sort by key keeps child order among equal keys.
    std::stable_sort(model.begin(), model.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    auto it = Merge(children);
    size_t pos = model.size();  // model.size() = invalid
    for (int step = 0; step < 200; step++) {
      switch (rnd.Uniform(6)) {
        case 0:
          it->SeekToFirst();
          pos = 0;
          break;
        case 1:
          it->SeekToLast();
          pos = model.empty() ? 0 : model.size() - 1;
          break;
        case 2: {
          std::string target = test::RandomPrintable(&rnd, 1 + rnd.Uniform(3));
          it->Seek(target);
          pos = std::lower_bound(model.begin(), model.end(), target,
                                 [](const auto& e, const std::string& t) { return e.first < t; }) -
                model.begin();
          break;
        }
        case 3:
        case 4:
          if (pos < model.size()) {
            it->Next();
            pos++;
          }
          break;
        default:
          if (pos < model.size()) {
            it->Prev();
            pos = pos == 0 ? model.size() : pos - 1;
          }
          break;
      }
      ASSERT_EQ(pos < model.size(), it->Valid()) << "round " << round << " step " << step;
      if (pos < model.size()) {
        ASSERT_EQ(model[pos].first, it->key()) << "round " << round << " step " << step;
        ASSERT_EQ(model[pos].second, it->value()) << "round " << round << " step " << step;
      }
    }
  }
}

// Scans over many children (a heap several levels deep), with duplicates across children and
// runs of consecutive keys from one child, each compared with the model; every few steps a
// Prev/Next pair switches direction and back.
TEST(MergingIteratorTest, LongScansOverManyChildren) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  for (int round = 0; round < 50; round++) {
    const int num_children = 2 + static_cast<int>(rnd.Uniform(23));
    std::vector<Entries> children(num_children);
    std::vector<std::pair<std::string, std::string>> model;
    for (int c = 0; c < num_children; c++) {
      std::map<std::string, std::string> child;
      const int n = static_cast<int>(rnd.Uniform(60));
      for (int i = 0; i < n; i++) {
        // Runs: a random start then a few neighbouring keys in the same child.
        const uint64_t start = rnd.Uniform(1000);
        const uint64_t run = 1 + rnd.Uniform(rnd.OneIn(3) ? 20 : 2);
        for (uint64_t j = 0; j < run; j++) {
          char k[8];
          std::snprintf(k, sizeof(k), "%04llu", static_cast<unsigned long long>(start + j));
          child[k] = std::to_string(c) + ":" + k;
        }
      }
      for (auto& kv : child) children[c].push_back(kv);
      for (auto& kv : child) model.push_back(kv);
    }
    std::stable_sort(model.begin(), model.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    auto it = Merge(children);
    for (int scan = 0; scan < 5; scan++) {
      char target[8];
      std::snprintf(target, sizeof(target), "%04llu",
                    static_cast<unsigned long long>(rnd.Uniform(1100)));
      it->Seek(target);
      size_t pos =
          std::lower_bound(model.begin(), model.end(), std::string(target),
                           [](const auto& e, const std::string& t) { return e.first < t; }) -
          model.begin();
      for (int step = 0; pos < model.size(); step++) {
        ASSERT_TRUE(it->Valid()) << "round " << round << " pos " << pos;
        ASSERT_EQ(model[pos].first, it->key()) << "round " << round << " pos " << pos;
        ASSERT_EQ(model[pos].second, it->value()) << "round " << round << " pos " << pos;
        if (step % 37 == 36 && pos > 0) {
          it->Prev();
          ASSERT_TRUE(it->Valid());
          ASSERT_EQ(model[pos - 1].second, it->value()) << "round " << round << " pos " << pos;
          it->Next();
          continue;
        }
        it->Next();
        pos++;
      }
      ASSERT_FALSE(it->Valid()) << "round " << round;
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm
