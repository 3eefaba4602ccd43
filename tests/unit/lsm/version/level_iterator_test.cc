#include "lsm/version/level_iterator.h"

#include <gtest/gtest.h>

#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

class LevelIteratorTest : public VersionTestBase {
 protected:
  // Three tables in level 1: [a c] [e g] [i k], values "<key>v".
  void SetUp() override {
    AddTable(1, 10, {{"a", 1, kTypeValue, "av"}, {"c", 1, kTypeValue, "cv"}});
    AddTable(1, 11, {{"e", 1, kTypeValue, "ev"}, {"g", 1, kTypeValue, "gv"}});
    AddTable(1, 12, {{"i", 1, kTypeValue, "iv"}, {"k", 1, kTypeValue, "kv"}});
  }

  const std::vector<FileMetaData*>& Files() { return vset_->current()->files(1); }

  static std::string UserKey(const InternalIterator& it) {
    return std::string(ExtractUserKey(it.key()));
  }
};

TEST_F(LevelIteratorTest, FileIndexValueRoundTrip) {
  std::string v = EncodeFileIndexValue(123456789012ull, 42);
  ASSERT_EQ(v.size(), 16u);
  uint64_t number, size;
  ASSERT_TRUE(DecodeFileIndexValue(v, &number, &size));
  EXPECT_EQ(number, 123456789012ull);
  EXPECT_EQ(size, 42u);
  EXPECT_FALSE(DecodeFileIndexValue(v.substr(1), &number, &size));
}

TEST_F(LevelIteratorTest, FileNumIteratorWalksTheFileList) {
  auto it = NewLevelFileNumIterator(&icmp_, &Files());
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(UserKey(*it), "c");  // keys are the files' largest keys
  uint64_t number, size;
  ASSERT_TRUE(DecodeFileIndexValue(it->value(), &number, &size));
  EXPECT_EQ(number, 10u);
  EXPECT_EQ(size, Files()[0]->file_size);
  it->Next();
  EXPECT_EQ(UserKey(*it), "g");
  it->Seek(IKey("h").Encode());
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(UserKey(*it), "k");
  it->Seek(IKey("z").Encode());
  EXPECT_FALSE(it->Valid());
  it->SeekToLast();
  EXPECT_EQ(UserKey(*it), "k");
  it->Prev();
  it->Prev();
  EXPECT_EQ(UserKey(*it), "c");
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  std::vector<FileMetaData*> none;
  auto empty = NewLevelFileNumIterator(&icmp_, &none);
  empty->SeekToFirst();
  EXPECT_FALSE(empty->Valid());
  empty->SeekToLast();
  EXPECT_FALSE(empty->Valid());
}

TEST_F(LevelIteratorTest, ConcatenatingIteratorYieldsEveryEntryInOrder) {
  auto it = NewConcatenatingIterator(table_cache_.get(), &icmp_, TableReadOptions(), &Files());
  std::string forward, backward;
  for (it->SeekToFirst(); it->Valid(); it->Next()) forward += UserKey(*it);
  for (it->SeekToLast(); it->Valid(); it->Prev()) backward += UserKey(*it);
  EXPECT_EQ(forward, "acegik");
  EXPECT_EQ(backward, "kigeca");

  it->Seek(IKey("d").Encode());  // between files
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(UserKey(*it), "e");
  EXPECT_EQ(it->value(), "ev");
  it->Seek(IKey("g").Encode());
  EXPECT_EQ(UserKey(*it), "g");
  it->Prev();
  EXPECT_EQ(UserKey(*it), "e");
  it->Prev();
  EXPECT_EQ(UserKey(*it), "c");  // crosses back into the first table
  it->Seek(IKey("l").Encode());
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_F(LevelIteratorTest, MissingTableSurfacesAsStatus) {
  table_cache_->Evict(11);
  ASSERT_TRUE(options_.env->RemoveFile(TableFileName(dir_.path(), 11)).ok());
  auto it = NewConcatenatingIterator(table_cache_.get(), &icmp_, TableReadOptions(), &Files());
  it->Seek(IKey("e").Encode());
  // Whether the iterator skips the broken file or stops, the error must be reported.
  while (it->Valid()) it->Next();
  EXPECT_FALSE(it->status().ok());
}

}  // namespace
}  // namespace jadedb::lsm::test
