// Recovery and damage handling of the LSM engine, driven through the public API with the
// engine's files damaged on purpose between runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"

namespace jadedb {
namespace {

namespace fs = std::filesystem;

class LsmRecoveryTest : public ::testing::Test {
 protected:
  LsmRecoveryTest() {
    options_.create_if_missing = true;
    options_.lsm.write_buffer_size = 256 << 10;
    options_.lsm.target_file_size = 128 << 10;
    options_.lsm.max_bytes_for_level_base = 512 << 10;
  }

  void Open() {
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Status TryOpen() { return DB::Open(options_, dir_.path(), &db_); }
  void Close() { db_.reset(); }

  std::string Get(const std::string& key, const ReadOptions& ro = ReadOptions()) {
    std::string value;
    Status s = db_->Get(ro, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }

  // Files of the DB with the given suffix, sorted by name (= by number).
  std::vector<std::string> Files(const std::string& suffix) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_.path())) {
      std::string name = e.path().filename();
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(e.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string NewestNonEmptyLog() {
    std::vector<std::string> logs = Files(".log");
    for (auto it = logs.rbegin(); it != logs.rend(); ++it) {
      if (fs::file_size(*it) > 0) return *it;
    }
    return "";
  }

  static void FlipByte(const std::string& path, uint64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.read(&c, 1);
    c ^= 0x55;
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(&c, 1);
  }

  std::string InfoLog() {
    std::string text;
    ReadFileToString(Env::Default(), dir_.Join("LOG"), &text);
    return text;
  }

  test::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

TEST_F(LsmRecoveryTest, UnflushedWritesSurviveReopen) {
  Open();
  for (int i = 0; i < 2000; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), "key" + std::to_string(i), "v" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(db_->Delete(WriteOptions(), "key7").ok());
  Close();
  Open();
  EXPECT_EQ(Get("key0"), "v0");
  EXPECT_EQ(Get("key1999"), "v1999");
  EXPECT_EQ(Get("key7"), "NOT_FOUND");
  // And again: the second reopen replays what the first one flushed or logged.
  Close();
  Open();
  EXPECT_EQ(Get("key1234"), "v1234");
  EXPECT_EQ(Get("key7"), "NOT_FOUND");
}

TEST_F(LsmRecoveryTest, TornWalTailIsDroppedAndReported) {
  Open();
  WriteOptions sync;
  sync.sync = true;
  for (int i = 0; i < 100; i++) {
    ASSERT_TRUE(db_->Put(sync, "key" + std::to_string(i), std::string(100, 'x')).ok());
  }
  Close();
  std::string log = NewestNonEmptyLog();
  ASSERT_FALSE(log.empty());
  fs::resize_file(log, fs::file_size(log) - 3);  // tear the last record

  Open();
  for (int i = 0; i < 99; i++) EXPECT_EQ(Get("key" + std::to_string(i)), std::string(100, 'x'));
  EXPECT_EQ(Get("key99"), "NOT_FOUND");
  EXPECT_NE(InfoLog().find("torn tail"), std::string::npos) << InfoLog();
  // The DB accepts writes again and keeps them.
  ASSERT_TRUE(db_->Put(sync, "after", "1").ok());
  Close();
  Open();
  EXPECT_EQ(Get("after"), "1");
  EXPECT_EQ(Get("key98"), std::string(100, 'x'));
}

TEST_F(LsmRecoveryTest, CorruptionInTheMiddleOfTheWalFailsOpen) {
  Open();
  for (int i = 0; i < 200; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), "key" + std::to_string(i), std::string(500, 'v')).ok());
  }
  Close();
  std::string log = NewestNonEmptyLog();
  ASSERT_FALSE(log.empty());
  FlipByte(log, fs::file_size(log) / 2);

  Status s = TryOpen();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(".log"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("offset"), std::string::npos) << s.ToString();

  // Opting in to skipping: the damaged record is dropped, the rest recovered.
  options_.lsm.skip_corrupted_wal_records = true;
  Open();
  EXPECT_EQ(Get("key0"), std::string(500, 'v'));
  EXPECT_EQ(Get("key199"), std::string(500, 'v'));
}

TEST_F(LsmRecoveryTest, CorruptTableBlockIsReportedWithFileAndOffset) {
  Open();
  for (int i = 0; i < 5000; i++) {
    ASSERT_TRUE(db_->Put(WriteOptions(), "key" + std::to_string(i), std::string(50, 'v')).ok());
  }
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Close();
  std::vector<std::string> tables = Files(".sst");
  ASSERT_FALSE(tables.empty());
  FlipByte(tables.back(), fs::file_size(tables.back()) / 3);

  Open();
  ReadOptions verify;
  verify.verify_checksums = true;
  int corrupt = 0;
  for (int i = 0; i < 5000; i++) {
    std::string v = Get("key" + std::to_string(i), verify);
    if (v.rfind("ERROR", 0) == 0) {
      EXPECT_NE(v.find("Corruption"), std::string::npos) << v;
      EXPECT_NE(v.find(".sst"), std::string::npos) << v;
      EXPECT_NE(v.find("offset"), std::string::npos) << v;
      corrupt++;
    }
  }
  EXPECT_GT(corrupt, 0);

  auto it = db_->NewIterator(verify);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
  }
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  it.reset();

  std::string report;
  Status s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(".sst"), std::string::npos) << s.ToString();
}

TEST_F(LsmRecoveryTest, MissingTableFailsOpenAndNamesIt) {
  Open();
  for (int i = 0; i < 100; i++) ASSERT_TRUE(db_->Put(WriteOptions(), std::to_string(i), "v").ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  Close();
  std::vector<std::string> tables = Files(".sst");
  ASSERT_EQ(tables.size(), 1u);
  fs::remove(tables[0]);
  Status s = TryOpen();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(fs::path(tables[0]).filename().string()), std::string::npos)
      << s.ToString();
}

TEST_F(LsmRecoveryTest, SnapshotSurvivesFlushAndCompaction) {
  Open();
  ASSERT_TRUE(db_->Put(WriteOptions(), "k", "old").ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "gone", "here").ok());
  const Snapshot* snap = nullptr;
  ASSERT_TRUE(db_->GetSnapshot(&snap).ok());
  ASSERT_TRUE(db_->Put(WriteOptions(), "k", "new").ok());
  ASSERT_TRUE(db_->Delete(WriteOptions(), "gone").ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  ReadOptions at_snap;
  at_snap.snapshot = snap;
  EXPECT_EQ(Get("k", at_snap), "old");
  EXPECT_EQ(Get("gone", at_snap), "here");
  EXPECT_EQ(Get("k"), "new");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
  db_->ReleaseSnapshot(snap);
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  EXPECT_EQ(Get("k"), "new");
  EXPECT_EQ(Get("gone"), "NOT_FOUND");
}

TEST_F(LsmRecoveryTest, CompactionDropsDeletedDataAndShadowedVersions) {
  Open();
  const std::string value(1000, 'z');
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 2000; i++) {
      ASSERT_TRUE(db_->Put(WriteOptions(), "key" + std::to_string(i), value).ok());
    }
  }
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  uint64_t live_bytes = 0;
  for (const std::string& t : Files(".sst")) live_bytes += fs::file_size(t);
  EXPECT_LT(live_bytes, 2000u * 1100u * 2) << "shadowed versions were kept";

  for (int i = 0; i < 2000; i++) ASSERT_TRUE(db_->Delete(WriteOptions(), "key" + std::to_string(i)).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  uint64_t after = 0;
  for (const std::string& t : Files(".sst")) after += fs::file_size(t);

  EXPECT_LT(after, 64u << 10) << "tombstones and deleted data were kept";
  EXPECT_EQ(Get("key5"), "NOT_FOUND");
  Close();
  Open();
  EXPECT_EQ(Get("key5"), "NOT_FOUND");
}

TEST_F(LsmRecoveryTest, ManyFlushesAndCompactionsKeepEverythingReadable) {
  Open();
  Random rnd(301);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 20000; i++) {
    std::string key = "k" + std::to_string(rnd.Uniform(5000));
    std::string value = test::RandomPrintable(&rnd, rnd.Uniform(200));
    ASSERT_TRUE(db_->Put(WriteOptions(), key, value).ok());
    model[key] = value;
  }
  for (int reopen = 0; reopen < 2; reopen++) {
    for (const auto& [k, v] : model) ASSERT_EQ(Get(k), v) << k;
    auto it = db_->NewIterator(ReadOptions());
    auto mit = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++mit) {
      ASSERT_NE(mit, model.end());
      ASSERT_EQ(it->key(), mit->first);
      ASSERT_EQ(it->value(), mit->second);
    }
    ASSERT_TRUE(it->status().ok()) << it->status().ToString();
    EXPECT_EQ(mit, model.end());
    it.reset();
    Close();
    Open();
  }
  std::string files;
  ASSERT_TRUE(db_->GetProperty("jadedb.num-files-at-level0", &files));
}

}  // namespace
}  // namespace jadedb
