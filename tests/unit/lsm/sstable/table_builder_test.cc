#include "lsm/sstable/table_builder.h"

#include <gtest/gtest.h>

#include "lsm/sstable/bloom.h"
#include "lsm/sstable/format.h"
#include "sstable_test_util.h"

namespace jadedb::lsm {
namespace {

TEST(TableBuilderTest, CountsAndSizes) {
  TableOptions options;
  options.block_size = 256;
  sst_test::StringSink sink;
  TableBuilder builder(options, &sink);
  EXPECT_EQ(0u, builder.NumEntries());
  for (int i = 0; i < 100; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%04d", i);
    builder.Add(key, std::string(50, 'v'));
  }
  EXPECT_EQ(100u, builder.NumEntries());
  EXPECT_GT(builder.FileSize(), 0u);  // full blocks were written as they filled
  EXPECT_EQ(builder.FileSize(), sink.contents().size());
  ASSERT_TRUE(builder.Finish().ok());
  EXPECT_EQ(builder.FileSize(), sink.contents().size());
  EXPECT_EQ("JADEDBST", sink.contents().substr(sink.contents().size() - 8));
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());  // only once
}

TEST(TableBuilderTest, OutOfOrderKeysAreRejected) {
  TableOptions options;
  sst_test::StringSink sink;
  TableBuilder builder(options, &sink);
  builder.Add("b", "1");
  builder.Add("a", "2");
  EXPECT_TRUE(builder.status().IsInvalidArgument());
  builder.Add("c", "3");  // ignored after an error
  EXPECT_EQ(1u, builder.NumEntries());
  EXPECT_TRUE(builder.Finish().IsInvalidArgument());

  TableBuilder dup(options, &sink);
  dup.Add("a", "1");
  dup.Add("a", "2");
  EXPECT_TRUE(dup.status().IsInvalidArgument());
  dup.Abandon();
}

TEST(TableBuilderTest, EmptyTableOpens) {
  TableOptions options;
  auto policy = NewBloomFilterPolicy(10);
  options.filter_policy = policy.get();
  std::string contents = sst_test::BuildTableContents(options, {});
  ASSERT_FALSE(contents.empty());
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(options, contents, &table).ok());
  EXPECT_EQ(0u, table->NumEntries());
  auto it = table->NewIterator({});
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

// A WritableFile that fails after a number of appends.
class FailingSink final : public WritableFile {
 public:
  explicit FailingSink(int ok_appends) : ok_appends_(ok_appends) {}
  Status Append(std::string_view) override {
    return ok_appends_-- > 0 ? Status::OK() : Status::IOError("disk full");
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

 private:
  int ok_appends_;
};

TEST(TableBuilderTest, WriteErrorsAreReported) {
  TableOptions options;
  options.block_size = 64;
  for (int ok_appends = 0; ok_appends < 12; ok_appends++) {
    FailingSink sink(ok_appends);
    TableBuilder builder(options, &sink);
    for (int i = 0; i < 20; i++) builder.Add("key" + std::to_string(100 + i), "value");
    Status s = builder.Finish();
    EXPECT_TRUE(s.IsIOError()) << ok_appends << " " << s.ToString();
  }
}

}  // namespace
}  // namespace jadedb::lsm

namespace jadedb::lsm {
namespace {

// The example table of docs/formats/sstable.md ("Example"), checked where the page shows
// bytes: a change to the format must change the page too.
TEST(TableBuilderTest, DocumentedExample) {
  auto bloom = NewBloomFilterPolicy(10);
  TableOptions options;
  options.filter_policy = bloom.get();
  const std::string t =
      sst_test::BuildTableContents(options, {{"apple", "red"}, {"apricot", "orange"}});
  auto bytes = [&](size_t offset, size_t n) { return t.substr(offset, n); };
  using std::string_literals::operator""s;
  ASSERT_EQ(t.size(), 506u);
  EXPECT_EQ(bytes(0, 25),
            "\x00\x05\x03"
            "applered\x02\x05\x06"
            "ricotorange"s);
  EXPECT_EQ(bytes(25, 13), "\x00\x00\x00\x00\x01\x00\x00\x00\x00\xe0\x7f\xd9\x92"s);
  // The filter: one 64-byte line, k = 6, the cache-local marker, then its trailer.
  EXPECT_EQ(bytes(102, 7), "\x06\xcb\x00\xb6\x8d\x24\xa4"s);
  EXPECT_EQ(bytes(109, 19),
            "\x00\x01\x02"
            "b\x00\x21\x00\x00\x00\x00\x01\x00\x00\x00\x00\xcc\x69\x30\x31"s);
  EXPECT_EQ(bytes(376, 3) + bytes(379, 32) + bytes(411, 2),
            "\x00\x20\x02"
            "filter.jadedb.BuiltinBloomFilter\x26\x42"s);
  EXPECT_EQ(bytes(413, 3) + bytes(416, 17) + bytes(433, 4),
            "\x00\x11\x04"
            "jadedb.properties\x80\x01\xf3\x01"s);
  EXPECT_EQ(bytes(454, 5), "\xf8\x02\x49\x6d\x0e"s);  // metaindex (376, 73), index (109, 14)
  EXPECT_EQ(bytes(459, 35), std::string(35, '\0'));
  EXPECT_EQ(bytes(494, 12), "\x01\x00\x00\x00JADEDBST"s);
}

}  // namespace
}  // namespace jadedb::lsm
