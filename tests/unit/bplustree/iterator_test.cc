// TreeIterator and SnapshotIterator (the public iterator): creation-state view under writes,
// direction changes, bounds.
#include "bplustree/iterator.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "bplustree/bplustree_db.h"
#include "bplustree/snapshot_iterator.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "k%06d", i);
  return buf;
}

class IteratorTest : public testing::Test {
 protected:
  IteratorTest() {
    Options o;
    o.create_if_missing = true;
    Status s = OpenBPlusTreeDB(o, dir_.path(), &db_);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  test::TempDir dir_;
  std::unique_ptr<DB> db_;
};

TEST_F(IteratorTest, SeesCreationStateWhileWritersChangeEverything) {
  Random rnd(9);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 3000; i += 3) {
    model[Key(i)] = "v" + std::to_string(i);
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), model[Key(i)]).ok());
  }
  const std::map<std::string, std::string> at_creation = model;
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  auto mutate = [&] {
    for (int n = 0; n < 20; n++) {
      int k = static_cast<int>(rnd.Uniform(3100));
      if (rnd.OneIn(3)) {
        ASSERT_TRUE(db_->Delete(WriteOptions(), Key(k)).ok());
      } else {
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(k), std::string(rnd.Uniform(300), 'n')).ok());
      }
    }
  };
  // Random walk: Next/Prev/Seek/SeekForPrev, with writes between every step.
  auto pos = at_creation.end();
  it->SeekToFirst();
  pos = at_creation.begin();
  for (int step = 0; step < 1500; step++) {
    mutate();
    ASSERT_EQ(it->Valid(), pos != at_creation.end()) << step;
    if (it->Valid()) {
      ASSERT_EQ(it->key(), pos->first) << step;
      ASSERT_EQ(it->value(), pos->second) << step;
    }
    int op = static_cast<int>(rnd.Uniform(10));
    if (!it->Valid() || op == 0) {
      std::string t = Key(static_cast<int>(rnd.Uniform(3100)));
      if (rnd.OneIn(2)) {
        it->Seek(t);
        pos = at_creation.lower_bound(t);
      } else {
        it->SeekForPrev(t);
        auto u = at_creation.upper_bound(t);
        pos = u == at_creation.begin() ? at_creation.end() : std::prev(u);
      }
    } else if (op < 6) {
      it->Next();
      ++pos;
    } else {
      it->Prev();
      pos = pos == at_creation.begin() ? at_creation.end() : std::prev(pos);
    }
  }
  EXPECT_TRUE(it->status().ok());
  // A new iterator sees the latest state and the old one is unaffected by it.
  std::unique_ptr<Iterator> fresh = db_->NewIterator(ReadOptions());
  size_t n = 0;
  for (fresh->SeekToFirst(); fresh->Valid(); fresh->Next()) n++;
  EXPECT_NE(n, 0u);
}

TEST_F(IteratorTest, BoundsApplyToOverlayEntries) {
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "x").ok());
  ReadOptions ro;
  ro.lower_bound = Key(10);
  ro.upper_bound = Key(20);
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  // Delete everything: all visible keys now come from the undo overlay.
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Delete(WriteOptions(), Key(i)).ok());
  std::vector<std::string> fwd, bwd;
  for (it->SeekToFirst(); it->Valid(); it->Next()) fwd.emplace_back(it->key());
  for (it->SeekToLast(); it->Valid(); it->Prev()) bwd.emplace_back(it->key());
  ASSERT_EQ(fwd.size(), 10u);
  EXPECT_EQ(fwd.front(), Key(10));
  EXPECT_EQ(fwd.back(), Key(19));
  ASSERT_EQ(bwd.size(), 10u);
  EXPECT_EQ(bwd.front(), Key(19));
  it->Seek(Key(50));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(Key(5));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(Key(50));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), Key(19));
}

}  // namespace
}  // namespace jadedb::bplustree
