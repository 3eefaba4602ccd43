// Conformance: snapshots give a view that later writes, flushes and compactions do not change,
// for Get and for iterators. Engines without snapshots (GetSnapshot returns NotSupported) skip.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "conformance/engines.h"
#include "jadedb/db.h"

namespace jadedb::test {
namespace {

class SnapshotTest : public EngineTest {
 protected:
  // Takes a snapshot into *snap; skips the test when the engine has none.
  void TakeSnapshot(const Snapshot** snap) {
    *snap = nullptr;
    Status s = db_->GetSnapshot(snap);
    if (s.IsNotSupported()) GTEST_SKIP() << "engine has no snapshots: " << s.ToString();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(*snap, nullptr);
  }

  std::vector<std::pair<std::string, std::string>> ScanAt(const Snapshot* snap) {
    ReadOptions ro;
    ro.snapshot = snap;
    return ScanForward(ro);
  }
};

TEST_P(SnapshotTest, ViewUnchangedByLaterWrites) {
  Open();
  std::map<std::string, std::string> at_snap = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
  for (const auto& [k, v] : at_snap) ASSERT_TRUE(Put(k, v).ok());
  const Snapshot* snap;
  TakeSnapshot(&snap);
  if (IsSkipped() || HasFatalFailure()) return;

  ASSERT_TRUE(Put("a", "changed").ok());  // overwrite
  ASSERT_TRUE(Delete("b").ok());          // delete
  ASSERT_TRUE(Put("d", "new").ok());      // new key
  WriteBatch batch;
  batch.Put("c", "batched");
  batch.Put("0", "before-all");
  ASSERT_TRUE(Write(&batch).ok());

  auto check = [&]() {
    EXPECT_EQ(Get("a", snap), "1");
    EXPECT_EQ(Get("b", snap), "2");
    EXPECT_EQ(Get("c", snap), "3");
    EXPECT_EQ(Get("d", snap), "NOT_FOUND");
    EXPECT_EQ(Get("0", snap), "NOT_FOUND");
    EXPECT_EQ(ScanAt(snap), ToVector(at_snap));
    ReadOptions ro;
    ro.snapshot = snap;
    EXPECT_EQ(ScanBackward(ro), ToVector(at_snap));
    // The latest state is unaffected by the snapshot.
    EXPECT_EQ(Get("a"), "changed");
    EXPECT_EQ(Get("b"), "NOT_FOUND");
    EXPECT_EQ(Get("c"), "batched");
    EXPECT_EQ(Get("d"), "new");
  };
  check();
  // The versions the snapshot needs must survive a flush and a full compaction.
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  check();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  check();
  db_->ReleaseSnapshot(snap);
  EXPECT_EQ(Get("a"), "changed");
  EXPECT_EQ(Scan().size(), 4u);
}

TEST_P(SnapshotTest, SeveralSnapshotsAtDifferentTimes) {
  Open();
  std::vector<const Snapshot*> snaps;
  std::vector<std::map<std::string, std::string>> models;
  std::map<std::string, std::string> model;
  Random rnd(7);
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 400; i++) {
      std::string k = "k" + std::to_string(rnd.Uniform(300));
      if (rnd.OneIn(4)) {
        ASSERT_TRUE(Delete(k).ok());
        model.erase(k);
      } else {
        std::string v = "r" + std::to_string(round) + "-" + RandomBytes(&rnd, rnd.Uniform(400));
        ASSERT_TRUE(Put(k, v).ok());
        model[k] = v;
      }
    }
    const Snapshot* snap;
    TakeSnapshot(&snap);
    if (IsSkipped() || HasFatalFailure()) return;
    snaps.push_back(snap);
    models.push_back(model);
    if (round % 2 == 1) {
      ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    }
  }
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  for (size_t i = 0; i < snaps.size(); i++) {
    SCOPED_TRACE("snapshot " + std::to_string(i));
    EXPECT_EQ(ScanAt(snaps[i]), ToVector(models[i]));
    for (int k = 0; k < 300; k += 13) {
      std::string key = "k" + std::to_string(k);
      auto it = models[i].find(key);
      EXPECT_EQ(Get(key, snaps[i]), it == models[i].end() ? "NOT_FOUND" : it->second) << key;
    }
  }
  // Releasing the middle ones leaves the others intact.
  db_->ReleaseSnapshot(snaps[1]);
  db_->ReleaseSnapshot(snaps[3]);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  for (size_t i : {0, 2, 4}) EXPECT_EQ(ScanAt(snaps[i]), ToVector(models[i])) << "snapshot " << i;
  for (size_t i : {0, 2, 4}) db_->ReleaseSnapshot(snaps[i]);
  EXPECT_EQ(Scan(), ToVector(model));
}

// An iterator with a snapshot sees the snapshot, not the state at the iterator's creation.
TEST_P(SnapshotTest, IteratorUsesSnapshotNotCreationTime) {
  Open();
  ASSERT_TRUE(Put("a", "old").ok());
  const Snapshot* snap;
  TakeSnapshot(&snap);
  if (IsSkipped() || HasFatalFailure()) return;
  ASSERT_TRUE(Put("a", "new").ok());
  ASSERT_TRUE(Put("b", "new").ok());
  ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  ASSERT_TRUE(Put("c", "newer").ok());
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "a");
  EXPECT_EQ(it->value(), "old");
  it->Next();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  it.reset();
  db_->ReleaseSnapshot(snap);
}

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(SnapshotTest);

}  // namespace
}  // namespace jadedb::test
