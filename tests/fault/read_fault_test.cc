// Read faults: EIO or a flipped bit while reading a table (LSM) or a page (B+tree) makes Get and
// iterators return a non-OK Status (IOError / Corruption naming the file and offset), never
// wrong data.
#include <gtest/gtest.h>

#include "fault/fault_test_util.h"

namespace jadedb::test {
namespace {

class ReadFaultTest : public FaultTest {
 protected:
  static constexpr int kKeys = 200;
  // kKeys keys in tables or pages only (the DB is reopened so no block or leaf is cached).
  void Fill() {
    ASSERT_NO_FATAL_FAILURE(Open());
    for (int i = 0; i < kKeys; i++) ASSERT_TRUE(Put(Key(i), Value(i, 500)).ok());
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }
};

TEST_P(ReadFaultTest, EioOnTableReadFailsGetAndIterator) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  fenv_.FailAlways(FaultOp::kRead, DataFileSuffix());
  std::string value;
  Status s = db_->Get(ReadOptions(), Key(7), &value);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find(DataFileSuffix()), std::string::npos) << s.ToString();

  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    EXPECT_EQ(it->value(), Value(std::stoi(std::string(it->key()).substr(3)), 500));
    seen++;
  }
  EXPECT_TRUE(it->status().IsIOError()) << it->status().ToString() << " after " << seen;
  it.reset();

  // The fault gone, the same DB object reads everything again.
  fenv_.ClearFaults();
  for (int i = 0; i < kKeys; i++) ASSERT_EQ(Get(Key(i)), Value(i, 500)) << i;
}

TEST_P(ReadFaultTest, EioOnTableOpen) {
  JADEDB_SKIP_UNLESS_LSM();
  ASSERT_NO_FATAL_FAILURE(Fill());
  fenv_.FailAlways(FaultOp::kOpenRead, DataFileSuffix());
  std::string value;
  Status s = db_->Get(ReadOptions(), Key(3), &value);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  fenv_.ClearFaults();
  // A failed table open must not be cached as a permanent error.
  EXPECT_EQ(Get(Key(3)), Value(3, 500));
}

TEST_P(ReadFaultTest, IntermittentEioNeverGivesWrongData) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  FaultRule rule;
  rule.op = FaultOp::kRead;
  rule.file_filter = DataFileSuffix();
  rule.trigger = FaultTrigger::kProbability;
  rule.p = 0.3;
  rule.seed = 99;
  fenv_.AddFault(rule);
  int errors = 0;
  for (int i = 0; i < kKeys; i++) {
    std::string value;
    ReadOptions ro;
    ro.fill_cache = false;
    Status s = db_->Get(ro, Key(i), &value);
    if (s.ok()) {
      EXPECT_EQ(value, Value(i, 500)) << i;
    } else {
      EXPECT_TRUE(s.IsIOError()) << i << ": " << s.ToString();
      errors++;
    }
  }
  // The B+tree may serve every read from its buffer pool; the LSM reads its tables.
  if (IsLsm()) {
    EXPECT_GT(errors, 0);
    EXPECT_GT(fenv_.FaultCount(FaultOp::kRead), 0u);
  }
}

TEST_P(ReadFaultTest, BitFlipReportsCorruptionWithFileAndOffset) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  fenv_.FailAlways(FaultOp::kRead, DataFileSuffix(), FaultKind::kCorruptRead);
  ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  for (int i = 0; i < 20; i++) {
    std::string value;
    Status s = db_->Get(ro, Key(i * 10), &value);
    ASSERT_FALSE(s.ok()) << i << " read " << Escape(value);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find(DataFileSuffix()), std::string::npos) << s.ToString();
    EXPECT_NE(s.ToString().find("offset"), std::string::npos) << s.ToString();
    // The B+tree names the page too.
    if (IsBPlusTree()) {
      EXPECT_NE(s.ToString().find("page "), std::string::npos) << s.ToString();
    }
  }
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST_P(ReadFaultTest, BitFlipInDataBlockWithChecksums) {
  ASSERT_NO_FATAL_FAILURE(Fill());
  // Warm the table (index, filter) so that only data-block reads see the flips.
  for (int i = 0; i < kKeys; i += 50) ASSERT_EQ(Get(Key(i)), Value(i, 500));
  fenv_.FailAlways(FaultOp::kRead, DataFileSuffix(), FaultKind::kCorruptRead);
  ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  for (int i = 1; i < kKeys; i += 37) {
    std::string value;
    Status s = db_->Get(ro, Key(i), &value);
    if (s.ok()) {
      EXPECT_EQ(value, Value(i, 500)) << i << ": served from the block cache or it is wrong";
    } else {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.ToString().find("offset"), std::string::npos) << s.ToString();
    }
  }
}

JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(ReadFaultTest);

}  // namespace
}  // namespace jadedb::test
