#include "jadedb/write_batch.h"

#include <gtest/gtest.h>

#include "util/write_batch_internal.h"

namespace jadedb {
namespace {

// Renders a batch as "Put(k,v)Delete(k)..." for comparisons.
class Printer final : public WriteBatch::Handler {
 public:
  void Put(std::string_view k, std::string_view v) override {
    out += "Put(" + std::string(k) + "," + std::string(v) + ")";
  }
  void Delete(std::string_view k) override { out += "Delete(" + std::string(k) + ")"; }
  std::string out;
};

std::string Print(const WriteBatch& b) {
  Printer p;
  Status s = b.Iterate(&p);
  return s.ok() ? p.out : s.ToString();
}

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch b;
  EXPECT_EQ(b.Count(), 0u);
  EXPECT_EQ(b.Data().size(), WriteBatchInternal::kHeaderSize);
  EXPECT_EQ(Print(b), "");
}

TEST(WriteBatchTest, RecordsInOrder) {
  WriteBatch b;
  b.Put("foo", "bar");
  b.Delete("box");
  b.Put(std::string_view("\0k", 2), "");
  EXPECT_EQ(b.Count(), 3u);
  EXPECT_EQ(Print(b), std::string("Put(foo,bar)Delete(box)Put(\0k,)", 31));
}

TEST(WriteBatchTest, SequenceLivesInTheHeader) {
  WriteBatch b;
  b.Put("a", "1");
  WriteBatchInternal::SetSequence(&b, 0x123456789ull);
  EXPECT_EQ(WriteBatchInternal::Sequence(&b), 0x123456789ull);
  EXPECT_EQ(Print(b), "Put(a,1)");
}

TEST(WriteBatchTest, AppendConcatenates) {
  WriteBatch a;
  WriteBatch b;
  a.Put("a", "1");
  b.Delete("b");
  b.Put("c", "3");
  a.Append(b);
  EXPECT_EQ(a.Count(), 3u);
  EXPECT_EQ(Print(a), "Put(a,1)Delete(b)Put(c,3)");
  a.Clear();
  EXPECT_EQ(a.Count(), 0u);
}

TEST(WriteBatchTest, DataRoundTripsAndBadDataIsCorruption) {
  WriteBatch a;
  a.Put("key", "value");
  a.Delete("other");
  WriteBatch b;
  ASSERT_TRUE(b.SetData(a.Data()).ok());
  EXPECT_EQ(Print(b), Print(a));
  EXPECT_TRUE(b.SetData("short").IsInvalidArgument());

  // Every truncation of a valid batch is detected.
  std::string data(a.Data());
  for (size_t len = WriteBatchInternal::kHeaderSize; len < data.size(); len++) {
    EXPECT_TRUE(WriteBatchInternal::Validate(data.substr(0, len)).IsCorruption()) << len;
  }
  // An unknown tag and a wrong count are detected.
  std::string bad_tag = data;
  bad_tag[WriteBatchInternal::kHeaderSize] = 0x7f;
  EXPECT_TRUE(WriteBatchInternal::Validate(bad_tag).IsCorruption());
  std::string bad_count = data;
  bad_count[8] = 5;
  EXPECT_TRUE(WriteBatchInternal::Validate(bad_count).IsCorruption());
  EXPECT_TRUE(WriteBatchInternal::Validate(data).ok());
}

// Also handles range deletions.
class RangePrinter final : public WriteBatch::Handler {
 public:
  void Put(std::string_view k, std::string_view v) override {
    out += "Put(" + std::string(k) + "," + std::string(v) + ")";
  }
  void Delete(std::string_view k) override { out += "Delete(" + std::string(k) + ")"; }
  void DeleteRange(std::string_view b, std::string_view e) override {
    out += "DeleteRange(" + std::string(b) + "," + std::string(e) + ")";
  }
  std::string out;
};

TEST(WriteBatchTest, DeleteRangeRecord) {
  WriteBatch b;
  b.Put("a", "1");
  b.DeleteRange("b", "d");
  b.Delete("e");
  EXPECT_EQ(3u, b.Count());
  EXPECT_TRUE(b.HasDeleteRange());
  RangePrinter p;
  ASSERT_TRUE(b.Iterate(&p).ok());
  EXPECT_EQ("Put(a,1)DeleteRange(b,d)Delete(e)", p.out);
  EXPECT_TRUE(WriteBatchInternal::Validate(b.Data()).ok());
  // Byte layout: tag 0x02, begin and end as varstrings.
  const std::string_view data = b.Data();
  const std::string want = std::string("\x02\x01" "b" "\x01" "d", 5);
  EXPECT_NE(std::string_view::npos, data.find(want));

  WriteBatch plain;
  plain.Put("a", "1");
  EXPECT_FALSE(plain.HasDeleteRange());
}

TEST(WriteBatchTest, HandlerWithoutDeleteRangeFailsLoudly) {
  WriteBatch b;
  b.Put("a", "1");
  b.DeleteRange("b", "d");
  b.Put("z", "2");
  Printer p;  // does not override DeleteRange
  Status s = b.Iterate(&p);
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
  EXPECT_EQ("Put(a,1)", p.out);  // stopped at the range deletion
}

TEST(WriteBatchTest, TruncatedDeleteRangeIsCorruption) {
  WriteBatch b;
  b.DeleteRange("begin", "end");
  std::string data(b.Data());
  data.resize(data.size() - 2);
  EXPECT_TRUE(WriteBatchInternal::Validate(data).IsCorruption());
}

}  // namespace
}  // namespace jadedb
