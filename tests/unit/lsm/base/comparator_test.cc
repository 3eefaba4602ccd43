#include "lsm/base/comparator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "util/random.h"

namespace jadedb::lsm {
namespace {

int Sign(int v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// Strings that share long prefixes and differ in every byte position, including bytes >= 0x80
// (which must sort above 0x7f: unsigned order).
std::vector<std::string> Corpus() {
  Random rnd(17);
  std::vector<std::string> out = {"", std::string(1, '\0'), "\x7f", "\x80", "\xff"};
  for (int i = 0; i < 300; i++) {
    std::string s(rnd.Uniform(40), 'a');
    for (char& c : s) c = static_cast<char>(rnd.OneIn(4) ? rnd.Uniform(256) : 'a');
    out.push_back(s);
    std::string t = s;
    if (!t.empty()) t[rnd.Uniform(static_cast<uint32_t>(t.size()))] ^= static_cast<char>(0x81);
    out.push_back(t);
    out.push_back(s + "b");
  }
  return out;
}

TEST(ComparatorTest, CompareBytesMatchesMemcmp) {
  const auto corpus = Corpus();
  for (const auto& a : corpus) {
    for (const auto& b : corpus) {
      const size_t n = std::min(a.size(), b.size());
      const int expected = n == 0 ? 0 : Sign(std::memcmp(a.data(), b.data(), n));
      ASSERT_EQ(Sign(CompareBytes(a.data(), b.data(), n)), expected);
      ASSERT_EQ(Sign(CompareBytewise(a, b)), Sign(a.compare(b)));
      ASSERT_EQ(Sign(BytewiseComparator()->Compare(a, b)), Sign(a.compare(b)));
    }
  }
}

// A user comparator with the bytewise order that is not BytewiseComparator(): the internal
// comparator over it takes the general path, which the fast path must agree with.
class OtherBytewise final : public Comparator {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return a.compare(b); }
  const char* Name() const override { return "test.OtherBytewise"; }
  void FindShortestSeparator(std::string*, std::string_view) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

TEST(ComparatorTest, InternalKeyFastPathMatchesGeneralPath) {
  OtherBytewise other;
  const InternalKeyComparator fast(BytewiseComparator());
  const InternalKeyComparator general(&other);
  EXPECT_TRUE(fast.is_bytewise_internal());
  EXPECT_FALSE(general.is_bytewise_internal());
  EXPECT_FALSE(BytewiseComparator()->is_bytewise_internal());

  std::vector<std::string> keys;
  for (const auto& user : Corpus()) {
    for (SequenceNumber seq : {SequenceNumber{0}, SequenceNumber{7}, kMaxSequenceNumber}) {
      for (ValueType t : {kTypeDeletion, kTypeValue}) {
        keys.emplace_back(InternalKey(user, seq, t).Encode());
      }
    }
  }
  for (size_t i = 0; i < keys.size(); i += 3) {
    for (size_t j = 0; j < keys.size(); j += 5) {
      const int expected = Sign(general.Compare(keys[i], keys[j]));
      ASSERT_EQ(Sign(fast.Compare(keys[i], keys[j])), expected);
      ASSERT_EQ(Sign(CompareBytewiseInternalKeys(keys[i], keys[j])), expected);
      ASSERT_EQ(Sign(CompareKeys(&fast, keys[i], keys[j])), expected);
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm
