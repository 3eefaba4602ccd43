// Conformance: what was written survives closing and reopening the DB — from the log alone
// (never flushed), after Flush, after CompactRange, with sync and non-sync writes — for every
// engine. A clean close is destroying the DB object.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "conformance/engines.h"
#include "jadedb/db.h"

namespace jadedb::test {
namespace {

class PersistenceTest : public EngineTest {
 protected:
  void Apply(bool sync, int round) {
    for (int i = 0; i < 200; i++) {
      std::string k = "key" + std::to_string((i * 7 + round * 13) % 300);
      if (i % 5 == 4) {
        ASSERT_TRUE(db_->Delete(WriteOptions{sync}, k).ok());
        model_.erase(k);
      } else {
        std::string v = "round" + std::to_string(round) + "-" + std::to_string(i);
        ASSERT_TRUE(Put(k, v, sync).ok());
        model_[k] = v;
      }
    }
  }
  void Check(const std::string& when) {
    SCOPED_TRACE(when);
    EXPECT_EQ(Scan(), ToVector(model_));
    for (const auto& [k, v] : model_) ASSERT_EQ(Get(k), v) << k;
  }

  std::map<std::string, std::string> model_;
};

TEST_P(PersistenceTest, UnflushedWritesReplayFromLog) {
  Open();
  Apply(/*sync=*/false, 0);
  Reopen();
  Check("after first reopen");
  // Writes after a reopen go to a new log; both must replay.
  Apply(/*sync=*/false, 1);
  Reopen();
  Check("after second reopen");
  Reopen();  // reopening with nothing new changes nothing
  Check("after third reopen");
}

TEST_P(PersistenceTest, SyncWritesSurviveReopen) {
  Open();
  Apply(/*sync=*/true, 0);
  Reopen();
  Check("sync writes");
  WriteBatch batch;
  batch.Put("batched", "yes");
  batch.Delete("key0");
  model_["batched"] = "yes";
  model_.erase("key0");
  WriteOptions wo;
  wo.sync = true;
  ASSERT_TRUE(db_->Write(wo, &batch).ok());
  Reopen();
  Check("sync batch");
}

TEST_P(PersistenceTest, FlushedDataSurvivesReopen) {
  Open();
  Apply(false, 0);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Check("after flush");
  Reopen();
  Check("flushed");
  // Deletions of flushed keys, themselves unflushed, must survive too.
  Apply(false, 1);
  Reopen();
  Check("flushed + log");
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Reopen();
  Check("two flushes");
}

TEST_P(PersistenceTest, CompactedDataSurvivesReopen) {
  Open();
  for (int round = 0; round < 4; round++) {
    Apply(round % 2 == 0, round);
    ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  }
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  Check("after compaction");
  Reopen();
  Check("compacted");
  std::string_view begin = "key1";
  std::string_view end = "key2";
  Apply(false, 5);
  ASSERT_TRUE(db_->CompactRange(&begin, &end).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, &begin).ok());
  ASSERT_TRUE(db_->CompactRange(&end, nullptr).ok());
  Reopen();
  Check("partial compactions");
}

// More data than several write buffers, closed while flushes may be pending.
TEST_P(PersistenceTest, CloseWithPendingFlushes) {
  Open();
  Random rnd(5);
  for (int i = 0; i < 3000; i++) {
    std::string k = "big" + std::to_string(i);
    std::string v = RandomBytes(&rnd, 300);
    ASSERT_TRUE(Put(k, v).ok());
    model_[k] = v;
  }
  Reopen();
  Check("after close with pending flushes");
  Reopen();
  Check("twice");
}

TEST_P(PersistenceTest, FlushWithoutWaitThenClose) {
  Open();
  Apply(false, 0);
  FlushOptions no_wait;
  no_wait.wait = false;
  ASSERT_TRUE(db_->Flush(no_wait).ok());
  Apply(false, 1);
  Reopen();
  Check("after a flush that was not waited for");
}

TEST_P(PersistenceTest, ParanoidChecksReadEverything) {
  Open();
  Apply(false, 0);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Apply(false, 1);
  options_.paranoid_checks = true;
  Reopen();
  Check("paranoid reopen");
}

TEST_P(PersistenceTest, ReopenManyTimes) {
  Open();
  for (int round = 0; round < 20; round++) {
    ASSERT_TRUE(Put("round", std::to_string(round)).ok());
    ASSERT_TRUE(Put("key" + std::to_string(round), "v").ok());
    if (round % 3 == 0) {
      ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
    }
    Reopen();
    ASSERT_EQ(Get("round"), std::to_string(round));
  }
  EXPECT_EQ(Scan().size(), 21u);
}

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(PersistenceTest);

}  // namespace
}  // namespace jadedb::test
