#include "lsm/db_iter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "testutil/test_util.h"

namespace jadedb::lsm {
namespace {

// An InternalIterator over a sorted vector of (internal key, value).
class VectorIterator final : public InternalIterator {
 public:
  explicit VectorIterator(std::vector<std::pair<std::string, std::string>> entries)
      : entries_(std::move(entries)) {
    InternalKeyComparator icmp(BytewiseComparator());
    std::sort(entries_.begin(), entries_.end(),
              [&](const auto& a, const auto& b) { return icmp.Compare(a.first, b.first) < 0; });
  }
  bool Valid() const override { return pos_ < entries_.size(); }
  void SeekToFirst() override { pos_ = 0; }
  void SeekToLast() override { pos_ = entries_.empty() ? entries_.size() : entries_.size() - 1; }
  void Seek(std::string_view target) override {
    InternalKeyComparator icmp(BytewiseComparator());
    pos_ = 0;
    while (pos_ < entries_.size() && icmp.Compare(entries_[pos_].first, target) < 0) pos_++;
  }
  void Next() override { pos_++; }
  void Prev() override { pos_ = pos_ == 0 ? entries_.size() : pos_ - 1; }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return Status::OK(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
  size_t pos_ = 0;
};

struct Entry {
  std::string user_key;
  SequenceNumber seq;
  ValueType type;
  std::string value;
};

std::unique_ptr<Iterator> MakeIter(const std::vector<Entry>& entries, SequenceNumber seq,
                                   std::optional<std::string> lower = std::nullopt,
                                   std::optional<std::string> upper = std::nullopt) {
  std::vector<std::pair<std::string, std::string>> v;
  for (const Entry& e : entries) {
    std::string ikey;
    AppendInternalKey(&ikey, ParsedInternalKey(e.user_key, e.seq, e.type));
    v.emplace_back(ikey, e.value);
  }
  return NewDBIterator(BytewiseComparator(), std::make_unique<VectorIterator>(std::move(v)), seq,
                       std::move(lower), std::move(upper));
}

// What a reader at sequence seq must see.
std::map<std::string, std::string> Visible(const std::vector<Entry>& entries, SequenceNumber seq) {
  std::map<std::string, std::pair<SequenceNumber, const Entry*>> newest;
  for (const Entry& e : entries) {
    if (e.seq > seq) continue;
    auto it = newest.find(e.user_key);
    if (it == newest.end() || it->second.first < e.seq) newest[e.user_key] = {e.seq, &e};
  }
  std::map<std::string, std::string> out;
  for (const auto& [k, p] : newest) {
    if (p.second->type == kTypeValue) out[k] = p.second->value;
  }
  return out;
}

TEST(DBIterTest, HidesDeletedAndShadowedEntries) {
  std::vector<Entry> entries = {{"a", 1, kTypeValue, "a1"}, {"a", 3, kTypeValue, "a3"},
                                {"b", 2, kTypeValue, "b2"}, {"b", 4, kTypeDeletion, ""},
                                {"c", 5, kTypeValue, "c5"}};
  auto it = MakeIter(entries, 10);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_EQ(it->value(), "a3");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Next();
  EXPECT_FALSE(it->Valid());

  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_EQ(it->value(), "a3");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(DBIterTest, ReadsAsOfSequence) {
  std::vector<Entry> entries = {{"a", 1, kTypeValue, "a1"}, {"a", 3, kTypeValue, "a3"},
                                {"b", 2, kTypeValue, "b2"}, {"b", 4, kTypeDeletion, ""}};
  auto it = MakeIter(entries, 2);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "a1");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "b");
  EXPECT_EQ(it->value(), "b2");
}

TEST(DBIterTest, SeekForPrevAndBounds) {
  std::vector<Entry> entries = {{"b", 1, kTypeValue, "b"}, {"d", 2, kTypeValue, "d"},
                                {"f", 3, kTypeValue, "f"}};
  auto it = MakeIter(entries, 10);
  it->SeekForPrev("d");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->SeekForPrev("e");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "d");
  it->SeekForPrev("a");
  EXPECT_FALSE(it->Valid());

  auto bounded = MakeIter(entries, 10, "c", "f");
  bounded->SeekToFirst();
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), "d");
  bounded->Next();
  EXPECT_FALSE(bounded->Valid());
  bounded->SeekToLast();
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), "d");
  bounded->Prev();
  EXPECT_FALSE(bounded->Valid());
  bounded->Seek("a");
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), "d");
  bounded->SeekForPrev("z");
  ASSERT_TRUE(bounded->Valid());
  EXPECT_EQ(bounded->key(), "d");
}

// More hidden versions of one key than the iterator steps over before it seeks past them.
TEST(DBIterTest, ManyVersionsOfOneKeyAreSkippedBySeeking) {
  std::vector<Entry> entries;
  for (SequenceNumber s = 1; s <= 100; s++) {
    entries.push_back({"a", s, kTypeValue, "a" + std::to_string(s)});
  }
  entries.push_back({"a", 60, kTypeDeletion, ""});  // replaces the value at 60
  entries.erase(entries.begin() + 59);
  for (SequenceNumber s = 101; s <= 130; s++) {
    entries.push_back({"b", s, kTypeValue, "b" + std::to_string(s)});
  }
  entries.push_back({"c", 5, kTypeValue, "c5"});

  struct Case {
    SequenceNumber seq;
    std::vector<std::pair<std::string, std::string>> want;
  };
  for (const Case& c : std::vector<Case>{
           {50, {{"a", "a50"}, {"c", "c5"}}},
           {70, {{"a", "a70"}, {"c", "c5"}}},
           {110, {{"a", "a100"}, {"b", "b110"}, {"c", "c5"}}},
           {1000, {{"a", "a100"}, {"b", "b130"}, {"c", "c5"}}}}) {
    auto it = MakeIter(entries, c.seq);
    std::vector<std::pair<std::string, std::string>> got;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      got.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_EQ(got, c.want) << "sequence " << c.seq;
    got.clear();
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      got.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    std::reverse(got.begin(), got.end());
    EXPECT_EQ(got, c.want) << "reverse, sequence " << c.seq;
  }
  // Deleted at 60: a reader at 65 does not see "a" at all.
  auto it = MakeIter(entries, 60);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "c");
}

// Random entries, sequences and bounds; every operation compared with the model.
TEST(DBIterTest, RandomAgainstModel) {
  const uint64_t seed = test::TestSeed();
  std::cout << "seed=" << seed << "\n";
  Random rnd(seed);
  for (int round = 0; round < 200; round++) {
    std::vector<Entry> entries;
    const int n = static_cast<int>(rnd.Uniform(round % 4 == 0 ? 80 : 40));
    for (int i = 0; i < n; i++) {
      // Some rounds use two keys only, so long runs of hidden versions occur.
      const uint64_t alphabet = round % 4 == 0 ? 2 : 8;
      std::string key(1, static_cast<char>('a' + rnd.Uniform(alphabet)));
      ValueType type = rnd.OneIn(3) ? kTypeDeletion : kTypeValue;
      entries.push_back({key, static_cast<SequenceNumber>(i + 1), type, "v" + std::to_string(i)});
    }
    const SequenceNumber seq = rnd.Uniform(n + 2);
    std::optional<std::string> lower;
    std::optional<std::string> upper;
    if (rnd.OneIn(2)) lower = std::string(1, static_cast<char>('a' + rnd.Uniform(9)));
    if (rnd.OneIn(2)) upper = std::string(1, static_cast<char>('a' + rnd.Uniform(9)));
    std::map<std::string, std::string> model = Visible(entries, seq);
    for (auto it = model.begin(); it != model.end();) {
      bool out = (lower && it->first < *lower) || (upper && it->first >= *upper);
      it = out ? model.erase(it) : std::next(it);
    }

    auto it = MakeIter(entries, seq, lower, upper);
    auto mit = model.end();
    bool valid = false;
    for (int step = 0; step < 30; step++) {
      std::string target(1, static_cast<char>('a' + rnd.Uniform(9)));
      switch (rnd.Uniform(6)) {
        case 0:
          it->SeekToFirst();
          mit = model.begin();
          break;
        case 1:
          it->SeekToLast();
          mit = model.empty() ? model.end() : std::prev(model.end());
          break;
        case 2:
          it->Seek(target);
          mit = model.lower_bound(target);
          break;
        case 3:
          it->SeekForPrev(target);
          mit = model.upper_bound(target);
          mit = mit == model.begin() ? model.end() : std::prev(mit);
          break;
        case 4:
          if (!valid) continue;
          it->Next();
          ++mit;
          break;
        case 5:
          if (!valid) continue;
          it->Prev();
          mit = mit == model.begin() ? model.end() : std::prev(mit);
          break;
      }
      valid = mit != model.end();
      ASSERT_EQ(it->Valid(), valid) << "round " << round << " step " << step;
      if (valid) {
        ASSERT_EQ(it->key(), mit->first) << "round " << round << " step " << step;
        ASSERT_EQ(it->value(), mit->second) << "round " << round << " step " << step;
      }
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm
