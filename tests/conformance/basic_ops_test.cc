// Conformance: point reads and writes, batches, byte-transparency of keys and values, and the
// key/value size limits, for every engine.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "conformance/engines.h"
#include "jadedb/db.h"

namespace jadedb::test {
namespace {

class BasicOpsTest : public EngineTest {};

TEST_P(BasicOpsTest, PutGetDelete) {
  Open();
  ASSERT_TRUE(Put("apple", "red").ok());
  ASSERT_TRUE(Put("banana", "yellow").ok());
  EXPECT_EQ(Get("apple"), "red");
  EXPECT_EQ(Get("banana"), "yellow");
  ASSERT_TRUE(Delete("apple").ok());
  EXPECT_EQ(Get("apple"), "NOT_FOUND");
  EXPECT_EQ(Get("banana"), "yellow");
  // Deleting an absent key is not an error, and deleting twice neither.
  EXPECT_TRUE(Delete("apple").ok());
  EXPECT_TRUE(Delete("never-written").ok());
  EXPECT_EQ(Get("never-written"), "NOT_FOUND");
  // A deleted key can be written again.
  ASSERT_TRUE(Put("apple", "green").ok());
  EXPECT_EQ(Get("apple"), "green");
}

TEST_P(BasicOpsTest, OverwriteKeepsLatest) {
  Open();
  for (int i = 0; i < 100; i++) ASSERT_TRUE(Put("k", "v" + std::to_string(i)).ok());
  EXPECT_EQ(Get("k"), "v99");
  // Shorter value after a longer one must not leave stale bytes.
  ASSERT_TRUE(Put("k", std::string(1000, 'x')).ok());
  ASSERT_TRUE(Put("k", "y").ok());
  EXPECT_EQ(Get("k"), "y");
  EXPECT_EQ(Scan().size(), 1u);
}

TEST_P(BasicOpsTest, GetOfAbsentKeyIsNotFound) {
  Open();
  std::string value = "untouched";
  Status s = db_->Get(ReadOptions(), "missing", &value);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  ASSERT_TRUE(Put("b", "1").ok());
  ASSERT_TRUE(Put("d", "2").ok());
  for (const char* key : {"a", "c", "e", ""}) {
    s = db_->Get(ReadOptions(), key, &value);
    EXPECT_TRUE(s.IsNotFound()) << Escape(key) << ": " << s.ToString();
  }
  // A prefix or an extension of a present key is a different key.
  EXPECT_EQ(Get(std::string_view("b\0", 2)), "NOT_FOUND");
  EXPECT_EQ(Get("bb"), "NOT_FOUND");
}

TEST_P(BasicOpsTest, WriteBatchAppliesAllInOrder) {
  Open();
  ASSERT_TRUE(Put("existing", "old").ok());
  ASSERT_TRUE(Put("to-delete", "x").ok());
  WriteBatch batch;
  for (int i = 0; i < 10; i++) batch.Put("key" + std::to_string(i), "value" + std::to_string(i));
  batch.Put("existing", "new");
  batch.Delete("to-delete");
  // Same key several times: the later record wins.
  batch.Put("put-then-delete", "gone");
  batch.Delete("put-then-delete");
  batch.Delete("delete-then-put");
  batch.Put("delete-then-put", "here");
  batch.Put("put-twice", "first");
  batch.Put("put-twice", "second");
  ASSERT_EQ(batch.Count(), 18u);
  ASSERT_TRUE(Write(&batch).ok());

  for (int i = 0; i < 10; i++) {
    EXPECT_EQ(Get("key" + std::to_string(i)), "value" + std::to_string(i));
  }
  EXPECT_EQ(Get("existing"), "new");
  EXPECT_EQ(Get("to-delete"), "NOT_FOUND");
  EXPECT_EQ(Get("put-then-delete"), "NOT_FOUND");
  EXPECT_EQ(Get("delete-then-put"), "here");
  EXPECT_EQ(Get("put-twice"), "second");
  // The iterator agrees with Get.
  std::map<std::string, std::string> expected = {
      {"existing", "new"}, {"delete-then-put", "here"}, {"put-twice", "second"}};
  for (int i = 0; i < 10; i++) expected["key" + std::to_string(i)] = "value" + std::to_string(i);
  EXPECT_EQ(Scan(), ToVector(expected));
  // And the result survives a restart (the batch is replayed from the log in order).
  Reopen();
  EXPECT_EQ(Scan(), ToVector(expected));
}

TEST_P(BasicOpsTest, EmptyBatchIsOkAndChangesNothing) {
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  WriteBatch batch;
  ASSERT_TRUE(Write(&batch).ok());
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->Write(sync, &batch).ok());
  EXPECT_EQ(Scan(), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}}));
  Reopen();
  EXPECT_EQ(Scan(), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}}));
}

// 100k records, ~50 MB, in one atomic batch: far larger than the write buffer.
TEST_P(BasicOpsTest, HugeBatch) {
  Open();
  constexpr int kRecords = 100000;
  constexpr size_t kValueSize = 520;
  Random rnd(301);
  WriteBatch batch;
  auto key_of = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%08d", i);
    return std::string(buf);
  };
  std::string value_base = RandomBytes(&rnd, kValueSize + 64);
  auto value_of = [&](int i) { return value_base.substr(i % 64, kValueSize); };
  for (int i = 0; i < kRecords; i++) batch.Put(key_of(i), value_of(i));
  ASSERT_GE(batch.ApproximateSize(), size_t{50} << 20);
  ASSERT_TRUE(Write(&batch).ok());

  auto check = [&]() {
    for (int i : {0, 1, 4999, 50000, kRecords - 1}) {
      ASSERT_EQ(Get(key_of(i)), value_of(i)) << "key " << i;
    }
    EXPECT_EQ(Get(key_of(kRecords)), "NOT_FOUND");
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    int n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
      if (it->key() != key_of(n) || it->value() != value_of(n)) {
        FAIL() << "entry " << n << " is " << Escape(it->key());
      }
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_EQ(n, kRecords);
  };
  check();
  Reopen();
  check();
}

TEST_P(BasicOpsTest, KeysAndValuesAreArbitraryBytes) {
  Open();
  std::string all_bytes;
  for (int c = 0; c < 256; c++) all_bytes.push_back(static_cast<char>(c));
  std::map<std::string, std::string> expected;
  auto put = [&](const std::string& k, const std::string& v) {
    ASSERT_TRUE(Put(k, v).ok()) << Escape(k);
    expected[k] = v;
  };
  // Every single-byte key, each value holding every byte value.
  for (int c = 0; c < 256; c++) {
    put(std::string(1, static_cast<char>(c)), all_bytes.substr(c) + all_bytes.substr(0, c));
  }
  // Keys that differ only by embedded or trailing NULs.
  put(std::string("a\0b", 3), "a-nul-b");
  put(std::string("a\0", 2), "a-nul");
  put(std::string("a\0\0", 3), "a-nul-nul");
  put(std::string("\0\0\0", 3), std::string("\0\0\0\0", 4));
  put(all_bytes, all_bytes);

  auto check = [&]() {
    for (const auto& [k, v] : expected) ASSERT_EQ(Get(k), v) << Escape(k);
    // Ordering is bytewise unsigned: "\x7f" < "\x80" < "\xff", "a" < "a\0" < "a\0\0" < "a\0b".
    EXPECT_EQ(Scan(), ToVector(expected));
    EXPECT_EQ(ScanBackward(ReadOptions()), ToVector(expected));
  };
  check();
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  check();
  Reopen();
  check();
}

TEST_P(BasicOpsTest, EmptyKeyAndEmptyValue) {
  Open();
  ASSERT_TRUE(Put("", "empty-key").ok());
  ASSERT_TRUE(Put("k", "").ok());
  EXPECT_EQ(Get(""), "empty-key");
  // An empty value is found (OK), which is different from absent.
  std::string value = "untouched";
  Status s = db_->Get(ReadOptions(), "k", &value);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(value, "");
  // The empty key sorts first.
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "");
  it->Seek("");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "");
  it.reset();
  Reopen();
  EXPECT_EQ(Get(""), "empty-key");
  EXPECT_EQ(Get("k"), "");
  ASSERT_TRUE(Delete("").ok());
  EXPECT_EQ(Get(""), "NOT_FOUND");
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  EXPECT_EQ(Get(""), "NOT_FOUND");
  EXPECT_EQ(Get("k"), "");
}

TEST_P(BasicOpsTest, KeySizeLimit) {
  Open();
  const std::string max_key(kMaxKeySize, 'k');
  const std::string too_long(kMaxKeySize + 1, 'k');

  ASSERT_TRUE(Put(max_key, "v").ok());
  EXPECT_EQ(Get(max_key), "v");
  WriteBatch ok_batch;
  ok_batch.Put(max_key, "v2");
  ASSERT_TRUE(Write(&ok_batch).ok());
  EXPECT_EQ(Get(max_key), "v2");

  Status s = Put(too_long, "v");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = Delete(too_long);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  std::string value;
  s = db_->Get(ReadOptions(), too_long, &value);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();

  // A batch with one oversized key is rejected whole: its valid records are not applied.
  WriteBatch bad_batch;
  bad_batch.Put("valid", "1");
  bad_batch.Delete(max_key);
  bad_batch.Put(too_long, "v");
  s = Write(&bad_batch);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  WriteBatch bad_delete;
  bad_delete.Put("valid", "1");
  bad_delete.Delete(too_long);
  s = Write(&bad_delete);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(Get("valid"), "NOT_FOUND");
  EXPECT_EQ(Get(max_key), "v2");

  ASSERT_TRUE(Delete(max_key).ok());
  EXPECT_EQ(Get(max_key), "NOT_FOUND");
  Reopen();
  EXPECT_EQ(Scan().size(), 0u);
}

// Needs 1 GiB + 1 of memory (twice, for the batch copy); the machine the suite targets has
// plenty, and a string_view with a fake length would be undefined behaviour.
TEST_P(BasicOpsTest, ValueSizeLimit) {
  Open();
  std::string too_big(kMaxValueSize + 1, 'v');
  Status s = Put("k", too_big);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  {
    WriteBatch batch;
    batch.Put("other", "1");
    batch.Put("k", too_big);
    too_big = std::string();  // free one copy before the engine sees the batch
    s = Write(&batch);
    EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  }
  EXPECT_EQ(Get("k"), "NOT_FOUND");
  EXPECT_EQ(Get("other"), "NOT_FOUND");
  // The DB still works.
  ASSERT_TRUE(Put("k", "small").ok());
  EXPECT_EQ(Get("k"), "small");
}

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(BasicOpsTest);

}  // namespace
}  // namespace jadedb::test
