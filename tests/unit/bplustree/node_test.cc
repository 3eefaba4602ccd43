#include "bplustree/node.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "util/random.h"

namespace jadedb::bplustree {
namespace {

class NodeTest : public testing::Test {
 protected:
  explicit NodeTest(size_t size = 4096) : buf_(size, '\0'), node_(buf_.data(), size) {
    Node::Init(buf_.data(), size, /*leaf=*/true);
  }

  // Inserts key at its sorted position; false when it does not fit.
  bool Put(const std::string& key, const std::string& value) {
    Status s;
    bool found;
    int pos = node_.LowerBound(key, nullptr, &found, &s);
    EXPECT_TRUE(s.ok());
    std::string cell = Node::EncodeCell(0, key, value);
    if (found) return node_.ReplaceCell(pos, cell);
    return node_.InsertCell(pos, cell);
  }
  std::string Get(const std::string& key) {
    Status s;
    bool found;
    int pos = node_.LowerBound(key, nullptr, &found, &s);
    if (!found) return "NOT_FOUND";
    return std::string(node_.raw_value(pos));
  }
  bool Del(const std::string& key) {
    Status s;
    bool found;
    int pos = node_.LowerBound(key, nullptr, &found, &s);
    if (!found) return false;
    node_.RemoveCell(pos);
    return true;
  }

  std::string buf_;
  Node node_;
};

TEST_F(NodeTest, EmptyNode) {
  EXPECT_TRUE(node_.is_leaf());
  EXPECT_EQ(node_.count(), 0);
  EXPECT_EQ(node_.FreeSpace(), 4096 - Node::kHeaderSize);
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_TRUE(node_.Validate("test").ok());
}

TEST_F(NodeTest, InsertSearchDeleteKeepsOrder) {
  ASSERT_TRUE(Put("m", "1"));
  ASSERT_TRUE(Put("a", "2"));
  ASSERT_TRUE(Put("z", "3"));
  ASSERT_TRUE(Put("", "empty key"));
  EXPECT_EQ(node_.count(), 4);
  EXPECT_EQ(node_.raw_key(0), "");
  EXPECT_EQ(node_.raw_key(1), "a");
  EXPECT_EQ(node_.raw_key(3), "z");
  EXPECT_EQ(Get("m"), "1");
  EXPECT_EQ(Get(""), "empty key");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  ASSERT_TRUE(Put("m", "longer value replaces"));
  EXPECT_EQ(Get("m"), "longer value replaces");
  EXPECT_TRUE(Del("a"));
  EXPECT_FALSE(Del("a"));
  EXPECT_EQ(node_.count(), 3);
  EXPECT_EQ(Get("z"), "3");
  EXPECT_TRUE(node_.Validate("test").ok());
}

TEST_F(NodeTest, FullNodeRejectsInsertAndCompactionReclaimsFragments) {
  std::string value(100, 'v');
  int n = 0;
  while (Put("key" + std::to_string(1000 + n), value)) n++;
  ASSERT_GT(n, 30);
  size_t free_full = node_.FreeSpace();
  EXPECT_LT(free_full, Node::EncodedSize(7, 100) + 2);
  // Delete every other key: space becomes fragments, and inserts reuse it by compaction.
  for (int i = 0; i < n; i += 2) ASSERT_TRUE(Del("key" + std::to_string(1000 + i)));
  EXPECT_GT(node_.FreeSpace(), free_full);
  for (int i = 0; i < n; i += 2) {
    ASSERT_TRUE(Put("key" + std::to_string(1000 + i), value)) << i;
  }
  EXPECT_EQ(node_.count(), n);
  for (int i = 0; i < n; i++) EXPECT_EQ(Get("key" + std::to_string(1000 + i)), value);
  EXPECT_TRUE(node_.Validate("test").ok());
}

TEST_F(NodeTest, ReplaceThatDoesNotFitLeavesNodeUnchanged) {
  std::string value(1000, 'v');
  while (Put("k" + std::to_string(node_.count()), value)) {
  }
  int n = node_.count();
  EXPECT_FALSE(Put("k0", std::string(3000, 'x')));
  EXPECT_EQ(node_.count(), n);
  EXPECT_EQ(Get("k0"), value);
}

TEST_F(NodeTest, RandomAgainstMap) {
  Random rnd(42);
  std::map<std::string, std::string> model;
  for (int op = 0; op < 20000; op++) {
    std::string key = "k" + std::to_string(rnd.Uniform(200));
    if (rnd.OneIn(3)) {
      EXPECT_EQ(Del(key), model.erase(key) == 1);
    } else {
      std::string value(rnd.Uniform(60), static_cast<char>('a' + rnd.Uniform(26)));
      if (Put(key, value)) model[key] = value;
    }
  }
  ASSERT_EQ(node_.count(), static_cast<int>(model.size()));
  int i = 0;
  for (const auto& [k, v] : model) {
    EXPECT_EQ(node_.raw_key(i), k);
    EXPECT_EQ(node_.raw_value(i), v);
    i++;
  }
  EXPECT_TRUE(node_.Validate("test").ok());
  node_.Compact();
  EXPECT_EQ(node_.FreeSpace() + node_.UsedSpace(), 4096 - Node::kHeaderSize);
  EXPECT_EQ(Get(model.begin()->first), model.begin()->second);
}

TEST(NodeInternalTest, ChildIndexUsesMinusInfinityFirstCell) {
  std::string buf(1024, '\0');
  Node::Init(buf.data(), buf.size(), /*leaf=*/false);
  Node node(buf.data(), buf.size());
  ASSERT_TRUE(node.InsertCell(0, Node::EncodeInternalCell(0, "", 10)));
  ASSERT_TRUE(node.InsertCell(1, Node::EncodeInternalCell(0, "g", 11)));
  ASSERT_TRUE(node.InsertCell(2, Node::EncodeInternalCell(0, "p", 12)));
  EXPECT_FALSE(node.is_leaf());
  Status s;
  EXPECT_EQ(node.child(node.ChildIndex("", nullptr, &s)), 10u);
  EXPECT_EQ(node.child(node.ChildIndex("a", nullptr, &s)), 10u);
  EXPECT_EQ(node.child(node.ChildIndex("g", nullptr, &s)), 11u);
  EXPECT_EQ(node.child(node.ChildIndex("o", nullptr, &s)), 11u);
  EXPECT_EQ(node.child(node.ChildIndex("p", nullptr, &s)), 12u);
  EXPECT_EQ(node.child(node.ChildIndex("zzz", nullptr, &s)), 12u);
  node.set_child(1, 99);
  EXPECT_EQ(node.child(1), 99u);
  EXPECT_TRUE(s.ok());
  EXPECT_TRUE(node.Validate("test").ok());
}

TEST(NodeOverflowKeyTest, ComparesPrefixThenLoadsFullKey) {
  std::string buf(1024, '\0');
  Node::Init(buf.data(), buf.size(), /*leaf=*/true);
  Node node(buf.data(), buf.size());
  std::string big(500, 'b');
  big += "tail";
  std::string inline_key = big.substr(0, kInlineKeyPrefix);
  OverflowRef ref{77, static_cast<uint32_t>(big.size())};
  char enc[OverflowRef::kEncodedSize];
  ref.EncodeTo(enc);
  inline_key.append(enc, sizeof(enc));
  ASSERT_TRUE(node.InsertCell(0, Node::EncodeCell(kKeyOverflow, inline_key, "v")));
  int loads = 0;
  KeyLoader loader = [&](const OverflowRef& r, std::string* out) {
    loads++;
    EXPECT_EQ(r.first_page, 77u);
    *out = big;
    return Status::OK();
  };
  Status s;
  EXPECT_LT(node.Compare(0, "c", loader, &s), 0);  // decided by the prefix
  EXPECT_GT(node.Compare(0, "a", loader, &s), 0);
  EXPECT_EQ(loads, 0);
  EXPECT_EQ(node.Compare(0, big, loader, &s), 0);
  EXPECT_GT(node.Compare(0, std::string(500, 'b'), loader, &s), 0);
  EXPECT_EQ(loads, 2);
  EXPECT_TRUE(s.ok());
  std::string full;
  ASSERT_TRUE(node.FullKey(0, loader, &full).ok());
  EXPECT_EQ(full, big);
  EXPECT_EQ(node.KeyRef(0).length, big.size());
  EXPECT_TRUE(node.Validate("test").ok());
}

TEST(NodeValidateTest, DamagedNodesAreCorruption) {
  std::string buf(512, '\0');
  Node::Init(buf.data(), buf.size(), /*leaf=*/true);
  Node node(buf.data(), buf.size());
  ASSERT_TRUE(node.InsertCell(0, Node::EncodeCell(0, "key", "value")));
  std::string good = buf;
  buf[0] = 9;  // kind
  EXPECT_TRUE(node.Validate("p1").IsCorruption());
  buf = good;
  buf[2] = 100;  // count beyond the heap
  EXPECT_TRUE(node.Validate("p1").IsCorruption());
  buf = good;
  buf[Node::kHeaderSize] = 1;  // slot offset into the header
  buf[Node::kHeaderSize + 1] = 0;
  EXPECT_TRUE(node.Validate("p1").IsCorruption());
  buf = good;
  buf[510] = static_cast<char>(0xff);  // key length overruns the page
  buf[509] = static_cast<char>(0xff);
  Status s = Node(buf.data(), buf.size()).Validate("file X page 7");
  EXPECT_TRUE(s.ok() || s.IsCorruption());
  EXPECT_TRUE(Node(good.data(), good.size()).Validate("p1").ok());
}

// Two slots naming the same cell: the byte totals still add up (two equal cells' worth of
// heap), so only the per-byte overlap check catches it.
TEST(NodeValidateTest, OverlappingCellsAreCorruption) {
  for (size_t size : {size_t{512}, size_t{16384 - 80}, size_t{65536 - 80}}) {
    std::string buf(size, '\0');
    Node::Init(buf.data(), buf.size(), /*leaf=*/true);
    Node node(buf.data(), buf.size());
    ASSERT_TRUE(node.InsertCell(0, Node::EncodeCell(0, "k1", std::string(70, 'x'))));
    ASSERT_TRUE(node.InsertCell(1, Node::EncodeCell(0, "k2", std::string(70, 'y'))));
    EXPECT_TRUE(node.Validate("p1").ok());
    std::string good = buf;
    // Slot 1 := slot 0.
    buf[Node::kHeaderSize + 2] = buf[Node::kHeaderSize];
    buf[Node::kHeaderSize + 3] = buf[Node::kHeaderSize + 1];
    Status s = node.Validate("p1");
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find("overlap"), std::string::npos) << s.ToString();
    // Slot 1 naming a small cell that starts inside cell 0's value bytes overlaps as well.
    buf = good;
    const uint16_t first =
        static_cast<uint16_t>(static_cast<uint8_t>(good[Node::kHeaderSize]) |
                              static_cast<uint8_t>(good[Node::kHeaderSize + 1]) << 8);
    const uint16_t inside = static_cast<uint16_t>(first + 40);
    buf[inside] = 0;      // flags
    buf[inside + 1] = 1;  // key length 1
    buf[inside + 2] = 1;  // value length 1
    buf[Node::kHeaderSize + 2] = static_cast<char>(inside & 0xff);
    buf[Node::kHeaderSize + 3] = static_cast<char>(inside >> 8);
    EXPECT_TRUE(node.Validate("p1").IsCorruption());
  }
}

// Cells spanning one, two, three and more bitmap words (Validate marks up to three words
// without a loop): a small cell placed anywhere inside a big one is an overlap, and a node
// whose cells fill the heap to its very end (the last bitmap words) validates.
TEST(NodeValidateTest, OverlapsAreFoundWhateverTheCellSpan) {
  for (size_t value_len : {size_t{5}, size_t{60}, size_t{120}, size_t{400}}) {
    std::string buf(16384 - 80, '\0');
    Node::Init(buf.data(), buf.size(), /*leaf=*/true);
    Node node(buf.data(), buf.size());
    // Fill the node: cells are placed downward from the node's end, so cell 0 ends at its last
    // byte (the last bitmap word) and the last cell starts at the heap top.
    int n = 0;
    while (node.InsertCell(
        n, Node::EncodeCell(0, "key" + std::to_string(1000 + n), std::string(value_len, 'v')))) {
      n++;
    }
    ASSERT_GT(n, 2);
    ASSERT_TRUE(node.Validate("full").ok()) << value_len;
    const std::string good = buf;
    auto slot_of = [&](int i) {
      return static_cast<uint16_t>(static_cast<uint8_t>(good[Node::kHeaderSize + 2 * i]) |
                                   static_cast<uint8_t>(good[Node::kHeaderSize + 2 * i + 1]) << 8);
    };
    for (int victim : {0, n - 1}) {
      const uint16_t start = slot_of(victim);
      const size_t cell = node.CellSize(victim);
      const int other = victim == 0 ? 1 : 0;
      for (size_t at = 1; at + 3 <= cell; at++) {
        buf = good;
        const uint16_t inside = static_cast<uint16_t>(start + at);
        buf[inside] = 0;      // flags
        buf[inside + 1] = 0;  // empty key
        buf[inside + 2] = 0;  // empty value: a 3-byte cell
        buf[Node::kHeaderSize + 2 * other] = static_cast<char>(inside & 0xff);
        buf[Node::kHeaderSize + 2 * other + 1] = static_cast<char>(inside >> 8);
        Status s = node.Validate("p");
        ASSERT_TRUE(s.IsCorruption()) << "value_len " << value_len << " at " << at;
      }
    }
  }
}

}  // namespace
}  // namespace jadedb::bplustree
