#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "jadedb/write_batch.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/memtable/memtable.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {
namespace {

class BatchInserterTest : public testing::Test {
 protected:
  BatchInserterTest() : icmp_(BytewiseComparator()), mem_(new MemTable(icmp_)) { mem_->Ref(); }
  ~BatchInserterTest() override { mem_->Unref(); }

  // Every entry as "user_key@seq:type=value" in iteration order.
  std::vector<std::string> Contents() {
    std::vector<std::string> out;
    auto iter = mem_->NewIterator();
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      ParsedInternalKey parsed;
      EXPECT_TRUE(ParseInternalKey(iter->key(), &parsed));
      out.push_back(std::string(parsed.user_key) + "@" + std::to_string(parsed.sequence) + ":" +
                    std::to_string(static_cast<int>(parsed.type)) + "=" +
                    std::string(iter->value()));
    }
    return out;
  }

  InternalKeyComparator icmp_;
  MemTable* mem_;
};

TEST_F(BatchInserterTest, RecordsGetConsecutiveSequences) {
  WriteBatch batch;
  batch.Put("foo", "bar");
  batch.Delete("box");
  batch.Put("baz", "boo");
  batch.Put("foo", "bar2");  // a later Put of the same key wins
  ASSERT_TRUE(InsertBatchIntoMemTable(&batch, 100, mem_).ok());
  EXPECT_EQ(mem_->NumEntries(), 4u);
  std::vector<std::string> expected = {"baz@102:1=boo", "box@101:0=", "foo@103:1=bar2",
                                       "foo@100:1=bar"};
  EXPECT_EQ(Contents(), expected);

  LookupKey lkey("foo", kMaxSequenceNumber);
  std::string value;
  Status s;
  ASSERT_TRUE(mem_->Get(lkey, &value, &s));
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(value, "bar2");
}

TEST_F(BatchInserterTest, BatchSequenceHeaderIsNotUsed) {
  // The caller's sequence decides, whatever the batch header holds.
  WriteBatch batch;
  WriteBatchInternal::SetSequence(&batch, 999);
  batch.Put("k", "v");
  ASSERT_TRUE(InsertBatchIntoMemTable(&batch, 7, mem_).ok());
  EXPECT_EQ(Contents(), std::vector<std::string>{"k@7:1=v"});
}

TEST_F(BatchInserterTest, EmptyBatch) {
  WriteBatch batch;
  ASSERT_TRUE(InsertBatchIntoMemTable(&batch, 1, mem_).ok());
  EXPECT_EQ(mem_->NumEntries(), 0u);
}

TEST_F(BatchInserterTest, MalformedBatchInsertsNothing) {
  WriteBatch good;
  good.Put("a", "1");
  good.Put("b", "2");
  std::string data(good.Data());

  // Count says 3, two records present.
  std::string wrong_count = data;
  wrong_count[8] = 3;
  // Second record cut short.
  std::string truncated = data.substr(0, data.size() - 1);
  // Unknown tag on the second record.
  std::string bad_tag = data;
  bad_tag[WriteBatchInternal::kHeaderSize + 5] = 0x7f;

  for (const std::string& bad : {wrong_count, truncated, bad_tag}) {
    WriteBatch batch;
    ASSERT_TRUE(batch.SetData(bad).ok());
    Status s = InsertBatchIntoMemTable(&batch, 1, mem_);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_EQ(mem_->NumEntries(), 0u);  // all or nothing
  }
}

TEST_F(BatchInserterTest, SequenceOverflowIsRejected) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  EXPECT_TRUE(InsertBatchIntoMemTable(&batch, kMaxSequenceNumber, mem_).IsCorruption());
  EXPECT_EQ(mem_->NumEntries(), 0u);
  // Exactly reaching the last sequence is fine.
  ASSERT_TRUE(InsertBatchIntoMemTable(&batch, kMaxSequenceNumber - 1, mem_).ok());
  EXPECT_EQ(mem_->NumEntries(), 2u);
}

}  // namespace
}  // namespace jadedb::lsm
