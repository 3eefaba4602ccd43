#include "lsm/sstable/filter_block.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lsm/sstable/bloom.h"

namespace jadedb::lsm {
namespace {

// A transparent policy: the "filter" is the keys joined by '|', so the test can see exactly
// which keys the builder handed over.
class RecordingPolicy final : public FilterPolicy {
 public:
  const char* Name() const override { return "test.Recording"; }
  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const override {
    for (std::string_view k : keys) {
      dst->append(k);
      dst->push_back('|');
    }
  }
  bool KeyMayMatch(std::string_view key, std::string_view filter) const override {
    return filter.find(std::string(key) + "|") != std::string_view::npos;
  }
};

TEST(FilterBlockTest, HandsEveryKeyToThePolicyInOrder) {
  RecordingPolicy policy;
  FilterBlockBuilder builder(&policy);
  builder.AddKey("foo");
  builder.AddKey("");
  builder.AddKey("bar");
  builder.AddKey("box");
  EXPECT_EQ(4u, builder.NumKeys());
  std::string filter(builder.Finish());
  EXPECT_EQ("foo||bar|box|", filter);

  FilterBlockReader reader(&policy, filter);
  EXPECT_TRUE(reader.KeyMayMatch("foo"));
  EXPECT_TRUE(reader.KeyMayMatch("box"));
  EXPECT_FALSE(reader.KeyMayMatch("missing"));
}

TEST(FilterBlockTest, EmptyBuilder) {
  RecordingPolicy policy;
  FilterBlockBuilder builder(&policy);
  EXPECT_EQ("", builder.Finish());
}

TEST(FilterBlockTest, WithBloomPolicy) {
  auto policy = NewBloomFilterPolicy(10);
  FilterBlockBuilder builder(policy.get());
  for (int i = 0; i < 1000; i++) builder.AddKey("key" + std::to_string(i));
  std::string filter(builder.Finish());
  FilterBlockReader reader(policy.get(), filter);
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(reader.KeyMayMatch("key" + std::to_string(i)));
  int fp = 0;
  for (int i = 0; i < 1000; i++) fp += reader.KeyMayMatch("other" + std::to_string(i));
  EXPECT_LT(fp, 30);
}

}  // namespace
}  // namespace jadedb::lsm
