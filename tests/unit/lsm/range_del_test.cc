// DeleteRange in the LSM engine: range tombstones respected by Get, MultiGet and iterators in
// both directions, under snapshots, across flushes, compactions and reopen.
#include <gtest/gtest.h>

#include <map>

#include "lsm_test_util.h"

namespace jadedb::lsm_test {
namespace {

class RangeDelTest : public LsmFixture {
 protected:
  RangeDelTest() {
    options_.lsm.write_buffer_size = 64 << 10;
    options_.lsm.target_file_size = 16 << 10;
    options_.lsm.max_bytes_for_level_base = 64 << 10;
  }
  void PutLetters(const std::string& letters, const std::string& suffix = "") {
    for (char c : letters) Put(std::string(1, c), std::string(1, c) + suffix);
  }
  Status DeleteRange(const std::string& b, const std::string& e) {
    return db_->DeleteRange(WriteOptions(), b, e);
  }
};

TEST_F(RangeDelTest, GetAndIterateBothDirections) {
  Open();
  PutLetters("abcdefgh");
  ASSERT_TRUE(DeleteRange("c", "f").ok());
  EXPECT_EQ("b", Get("b"));
  EXPECT_EQ("NOT_FOUND", Get("c"));
  EXPECT_EQ("NOT_FOUND", Get("e"));
  EXPECT_EQ("f", Get("f"));  // end is exclusive
  EXPECT_EQ("a=a b=b f=f g=g h=h", Scan());
  EXPECT_EQ("h=h g=g f=f b=b a=a", Scan(ReadOptions(), /*reverse=*/true));

  auto it = db_->NewIterator(ReadOptions());
  it->Seek("c");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("f", it->key());
  it->Prev();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("b", it->key());
  it->SeekForPrev("e");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("b", it->key());
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ("f", it->key());
}

TEST_F(RangeDelTest, SnapshotsSeeWhatWasThere) {
  Open();
  PutLetters("abcdef");
  const Snapshot* before = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&before).ok());
  ASSERT_TRUE(DeleteRange("b", "e").ok());
  const Snapshot* after = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&after).ok());
  Put("c", "c2");  // written after the deletion: visible

  auto check = [&](const char* stage) {
    SCOPED_TRACE(stage);
    EXPECT_EQ("c", Get("c", before));
    EXPECT_EQ("NOT_FOUND", Get("c", after));
    EXPECT_EQ("c2", Get("c"));
    EXPECT_EQ("NOT_FOUND", Get("d"));
    ReadOptions ro;
    ro.snapshot = before;
    EXPECT_EQ("a=a b=b c=c d=d e=e f=f", Scan(ro));
    EXPECT_EQ("f=f e=e d=d c=c b=b a=a", Scan(ro, true));
    ro.snapshot = after;
    EXPECT_EQ("a=a e=e f=f", Scan(ro));
    EXPECT_EQ("f=f e=e a=a", Scan(ro, true));
    EXPECT_EQ("a=a c=c2 e=e f=f", Scan());
  };
  check("memtable");
  FlushMem();
  check("flushed");
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  check("compacted");
  db_->ReleaseSnapshot(before);
  db_->ReleaseSnapshot(after);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ("a=a c=c2 e=e f=f", Scan());
}

TEST_F(RangeDelTest, SurvivesFlushCompactionAndReopen) {
  Open();
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; i++) {
    char k[16];
    std::snprintf(k, sizeof(k), "key%05d", i);
    std::string v(100, static_cast<char>('a' + i % 26));
    Put(k, v);
    model[k] = v;
  }
  FlushMem();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());  // several L1+ tables
  ASSERT_TRUE(DeleteRange("key00500", "key02500").ok());
  model.erase(model.lower_bound("key00500"), model.lower_bound("key02500"));
  auto verify = [&](const char* stage) {
    SCOPED_TRACE(stage);
    std::string want;
    for (const auto& [k, v] : model) want += (want.empty() ? "" : " ") + k + "=" + v;
    EXPECT_EQ(want, Scan());
    EXPECT_EQ("NOT_FOUND", Get("key00500"));
    EXPECT_EQ("NOT_FOUND", Get("key02499"));
    EXPECT_EQ(model["key00499"], Get("key00499"));
    EXPECT_EQ(model["key02500"], Get("key02500"));
    std::vector<std::string> values;
    std::vector<std::string_view> keys = {"key02600", "key01000", "key00499", "zzz"};
    std::vector<Status> st = db_->MultiGet(ReadOptions(), keys, &values);
    EXPECT_TRUE(st[0].ok());
    EXPECT_TRUE(st[1].IsNotFound());
    EXPECT_TRUE(st[2].ok());
    EXPECT_TRUE(st[3].IsNotFound());
  };
  verify("tombstone in memtable over tables");
  FlushMem();
  verify("tombstone in an L0 table");
  Close();
  Open();
  verify("reopened");
  const uint64_t before_size = NumberProperty("jadedb.approximate-size");
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  verify("compacted");
  // The covered entries (and, at the bottom, the tombstone) are gone from the files.
  EXPECT_LT(NumberProperty("jadedb.approximate-size"), before_size * 3 / 4);
  Close();
  Open();
  verify("compacted and reopened");
}

TEST_F(RangeDelTest, OverlappingRangesAndLaterPuts) {
  Open();
  PutLetters("abcdefghij");
  ASSERT_TRUE(DeleteRange("b", "e").ok());
  Put("c", "c2");
  ASSERT_TRUE(DeleteRange("d", "h").ok());
  Put("e", "e2");
  FlushMem();
  ASSERT_TRUE(DeleteRange("a", "c").ok());
  EXPECT_EQ("c=c2 e=e2 h=h i=i j=j", Scan());
  EXPECT_EQ("j=j i=i h=h e=e2 c=c2", Scan(ReadOptions(), true));
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ("c=c2 e=e2 h=h i=i j=j", Scan());
  Close();
  Open();
  EXPECT_EQ("c=c2 e=e2 h=h i=i j=j", Scan());
  EXPECT_EQ("NOT_FOUND", Get("g"));
}

TEST_F(RangeDelTest, EmptyAndInvertedRangesDeleteNothing) {
  Open();
  PutLetters("abc");
  ASSERT_TRUE(DeleteRange("b", "b").ok());
  ASSERT_TRUE(DeleteRange("c", "a").ok());
  FlushMem();
  EXPECT_EQ("a=a b=b c=c", Scan());
  Close();
  Open();
  EXPECT_EQ("a=a b=b c=c", Scan());
}

TEST_F(RangeDelTest, BatchAppliesRecordsInOrder) {
  Open();
  PutLetters("abc");
  WriteBatch batch;
  batch.Put("d", "d");
  batch.DeleteRange("a", "z");
  batch.Put("e", "e");
  ASSERT_TRUE(db_->Write(WriteOptions(), &batch).ok());
  EXPECT_EQ("e=e", Scan());
  Close();
  Open();  // replayed from the WAL
  EXPECT_EQ("e=e", Scan());
}

TEST_F(RangeDelTest, BoundedIteratorsAndTombstonesInOtherFiles) {
  Open();
  for (char c = 'a'; c <= 'z'; c++) Put(std::string(1, c), "old");
  FlushMem();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ASSERT_TRUE(DeleteRange("f", "t").ok());
  FlushMem();  // tombstone in an L0 file, the keys deeper
  ReadOptions ro;
  ro.lower_bound = "d";
  ro.upper_bound = "v";
  EXPECT_EQ("d=old e=old t=old u=old", Scan(ro));
  EXPECT_EQ("u=old t=old e=old d=old", Scan(ro, true));
}

TEST_F(RangeDelTest, CheckedFacadeLimits) {
  Open();
  std::string huge(kMaxKeySize + 1, 'x');
  EXPECT_TRUE(DeleteRange(huge, "z").IsInvalidArgument());
  EXPECT_TRUE(DeleteRange("a", huge).IsInvalidArgument());
}

}  // namespace
}  // namespace jadedb::lsm_test
