#include "lsm/sstable/two_level_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

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

// A two-level structure like a level's file list: blocks (files) of sorted entries, and an
// index whose keys are each block's largest key and whose values name the block.
class TwoLevelIteratorTest : public ::testing::Test {
 protected:
  // Adds a block; an empty block gets index key `largest`.
  void AddBlock(Entries entries, std::string largest = "") {
    if (largest.empty()) largest = entries.back().first;
    index_.emplace_back(largest, std::to_string(blocks_.size()));
    blocks_.push_back(std::move(entries));
  }

  std::unique_ptr<InternalIterator> NewIterator() {
    return NewTwoLevelIterator(
        std::make_unique<VectorIterator>(index_), [this](std::string_view value) {
          opened_++;
          size_t n = std::stoul(std::string(value));
          if (failing_.count(n)) {
            return std::unique_ptr<InternalIterator>(std::make_unique<VectorIterator>(
                Entries{}, Status::Corruption("block " + std::to_string(n))));
          }
          return std::unique_ptr<InternalIterator>(std::make_unique<VectorIterator>(blocks_[n]));
        });
  }

  Entries All() const {
    Entries all;
    for (const auto& b : blocks_) all.insert(all.end(), b.begin(), b.end());
    return all;
  }

  Entries index_;
  std::vector<Entries> blocks_;
  std::set<size_t> failing_;
  int opened_ = 0;
};

TEST_F(TwoLevelIteratorTest, EmptyIndex) {
  auto it = NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_FALSE(it->Valid());
  it->Seek("x");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TwoLevelIteratorTest, ConcatenatesBothWaysSkippingEmptyBlocks) {
  AddBlock({}, "a0");
  AddBlock({{"a1", "1"}, {"a2", "2"}});
  AddBlock({}, "b");
  AddBlock({}, "b1");
  AddBlock({{"c1", "3"}});
  AddBlock({{"d1", "4"}, {"d2", "5"}, {"d3", "6"}});
  AddBlock({}, "z");
  const Entries all = All();

  auto it = NewIterator();
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_EQ(all[i].first, it->key());
    ASSERT_EQ(all[i].second, it->value());
  }
  EXPECT_EQ(all.size(), i);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    ASSERT_EQ(all[--i].first, it->key());
  }
  EXPECT_EQ(0u, i);

  // Seek to every key and between keys, then step both ways.
  for (size_t pos = 0; pos < all.size(); pos++) {
    it->Seek(all[pos].first);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(all[pos].first, it->key());
    it->Prev();
    if (pos == 0) {
      EXPECT_FALSE(it->Valid());
    } else {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(all[pos - 1].first, it->key());
      it->Next();
      EXPECT_EQ(all[pos].first, it->key());
    }
    it->Seek(all[pos].first + "~");
    if (pos + 1 < all.size()) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(all[pos + 1].first, it->key());
    } else {
      EXPECT_FALSE(it->Valid());
    }
  }
  it->Seek("0");
  EXPECT_EQ("a1", it->key());
  it->Seek("zz");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(TwoLevelIteratorTest, ReusesTheOpenBlock) {
  AddBlock({{"a", "1"}, {"b", "2"}, {"c", "3"}});
  AddBlock({{"d", "4"}});
  auto it = NewIterator();
  it->Seek("a");
  it->Seek("b");
  it->Seek("c");
  it->Next();
  it->Prev();
  it->Prev();
  // Block 0, block 1, block 0 again: three opens for five moves.
  EXPECT_EQ(3, opened_);
  EXPECT_EQ("b", it->key());
}

TEST_F(TwoLevelIteratorTest, BlockErrorsAreReportedAndSkipped) {
  AddBlock({{"a", "1"}});
  AddBlock({{"b", "2"}});
  AddBlock({{"c", "3"}});
  failing_.insert(1);
  auto it = NewIterator();
  it->SeekToFirst();
  EXPECT_TRUE(it->status().ok());
  it->Next();  // passes over the failed block
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("c", it->key());
  EXPECT_TRUE(it->status().IsCorruption());
  EXPECT_EQ("block 1", it->status().message());
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());  // sticky after the block is closed
}

TEST_F(TwoLevelIteratorTest, IndexErrorIsReported) {
  auto it =
      NewTwoLevelIterator(std::make_unique<VectorIterator>(Entries{}, Status::IOError("index")),
                          [](std::string_view) { return NewEmptyIterator(); });
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsIOError());
}

TEST_F(TwoLevelIteratorTest, RandomWalkAgainstModel) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 300; i++) model[test::RandomPrintable(&rnd, 1 + rnd.Uniform(4))] = "v";
  Entries block;
  for (auto& kv : model) {
    block.push_back(kv);
    if (rnd.OneIn(5)) {
      AddBlock(block);
      block.clear();
      if (rnd.OneIn(3)) AddBlock({}, kv.first + "\x01");
    }
  }
  if (!block.empty()) AddBlock(block);
  const Entries all = All();
  ASSERT_EQ(model.size(), all.size());

  auto it = NewIterator();
  size_t pos = all.size();
  for (int step = 0; step < 5000; step++) {
    switch (rnd.Uniform(5)) {
      case 0: {
        std::string t = test::RandomPrintable(&rnd, 1 + rnd.Uniform(4));
        it->Seek(t);
        auto lb = model.lower_bound(t);
        pos = lb == model.end() ? all.size() : std::distance(model.begin(), lb);
        break;
      }
      case 1:
        if (rnd.OneIn(2)) {
          it->SeekToFirst();
          pos = 0;
        } else {
          it->SeekToLast();
          pos = all.size() - 1;
        }
        break;
      case 2:
      case 3:
        if (pos < all.size()) {
          it->Next();
          pos++;
        }
        break;
      default:
        if (pos < all.size()) {
          it->Prev();
          pos = pos == 0 ? all.size() : pos - 1;
        }
        break;
    }
    ASSERT_EQ(pos < all.size(), it->Valid()) << step;
    if (pos < all.size()) {
      ASSERT_EQ(all[pos].first, it->key()) << step;
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm
