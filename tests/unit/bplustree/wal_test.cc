#include "bplustree/wal.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "crash_env.h"
#include "testutil/test_util.h"

namespace jadedb::bplustree {
namespace {

WalRecord PageRecord(uint64_t txn, PageId page, const std::string& bytes) {
  WalRecord r;
  r.type = WalRecordType::kPage;
  r.txn_id = txn;
  r.page_id = page;
  r.ranges.push_back({100, bytes, std::string(bytes.size(), '\0')});
  return r;
}

Status ReadAll(Env* env, const std::string& dir, Lsn from, std::vector<WalRecord>* out, Lsn* end) {
  uint64_t last;
  std::map<uint64_t, Lsn> segs;
  out->clear();
  return Wal::ReadLog(
      env, dir, from,
      [&](const WalRecord& r) {
        out->push_back(r);
        return Status::OK();
      },
      end, &last, &segs);
}

TEST(WalTest, AppendFlushReadBackWithRotation) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(env, dir.path(), 4096, 1, 1, {}, &wal).ok());
  for (uint64_t t = 1; t <= 100; t++) {
    std::vector<WalRecord> recs = {PageRecord(t, t, std::string(200, 'a' + t % 26))};
    recs.push_back(WalRecord{});
    recs.back().type = WalRecordType::kCommit;
    recs.back().txn_id = t;
    Lsn first = 0, last = 0;
    ASSERT_TRUE(wal->Append(&recs, [&](Lsn f, Lsn l) { first = f, last = l; }).ok());
    EXPECT_EQ(first, 2 * t - 1);
    EXPECT_EQ(last, 2 * t);
    ASSERT_TRUE(wal->FlushTo(last).ok());
    EXPECT_GE(wal->durable_lsn(), last);
  }
  EXPECT_GT(wal->segment_count(), 3u);  // rotated at 4 KiB
  wal.reset();
  std::vector<WalRecord> recs;
  Lsn end;
  ASSERT_TRUE(ReadAll(env, dir.path(), 1, &recs, &end).ok());
  ASSERT_EQ(recs.size(), 200u);
  EXPECT_EQ(end, 200u);
  for (size_t i = 0; i < recs.size(); i++) EXPECT_EQ(recs[i].lsn, i + 1);
  EXPECT_EQ(recs[198].ranges[0].after, std::string(200, 'a' + 100 % 26));
  // From the middle.
  ASSERT_TRUE(ReadAll(env, dir.path(), 150, &recs, &end).ok());
  ASSERT_EQ(recs.size(), 51u);
  EXPECT_EQ(recs.front().lsn, 150u);
}

TEST(WalTest, TornTailEndsTheLogAndANewSegmentContinuesIt) {
  jadedb::test::TempDir dir;
  test::CrashEnv env;
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(&env, dir.path(), 1 << 20, 1, 1, {}, &wal).ok());
  std::vector<WalRecord> recs = {PageRecord(1, 5, "durable")};
  ASSERT_TRUE(wal->Append(&recs).ok());
  ASSERT_TRUE(wal->Sync().ok());
  recs = {PageRecord(2, 6, "lost")};
  ASSERT_TRUE(wal->Append(&recs).ok());
  env.Crash();  // the second record never reached the disk
  wal.reset();
  env.Revive();
  std::vector<WalRecord> got;
  Lsn end;
  ASSERT_TRUE(ReadAll(&env, dir.path(), 1, &got, &end).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(end, 1u);

  // Garbage after the valid tail is ignored; a segment continuing at LSN 2 is read.
  {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(env.NewAppendableFile(dir.Join(Wal::SegmentName(1)), &f).ok());
    ASSERT_TRUE(f->Append("partial-record-bytes").ok());
    ASSERT_TRUE(f->Sync().ok());
  }
  std::map<uint64_t, Lsn> segs;
  uint64_t last_seg;
  ASSERT_TRUE(Wal::ReadLog(
                  &env, dir.path(), 1, [](const WalRecord&) { return Status::OK(); }, &end,
                  &last_seg, &segs)
                  .ok());
  ASSERT_TRUE(Wal::Open(&env, dir.path(), 1 << 20, last_seg + 1, end + 1, segs, &wal).ok());
  recs = {PageRecord(3, 7, "after")};
  ASSERT_TRUE(wal->Append(&recs).ok());
  ASSERT_TRUE(wal->Sync().ok());
  wal.reset();
  ASSERT_TRUE(ReadAll(&env, dir.path(), 1, &got, &end).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].lsn, 2u);
  EXPECT_EQ(got[1].ranges[0].after, "after");
}

// A crash while a segment was being created leaves it shorter than its header (no record can
// be in it: records follow the synced header). The next open starts another segment after it,
// so such a segment is no longer the newest; it must still be skipped, not reported as
// corruption (crashtest_short found a DB that could not be reopened this way).
TEST(WalTest, SegmentTornAtCreationIsSkippedWhenLaterSegmentsFollow) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(env, dir.path(), 1 << 20, 1, 1, {}, &wal).ok());
  std::vector<WalRecord> recs = {PageRecord(1, 5, "one")};
  ASSERT_TRUE(wal->Append(&recs).ok());
  ASSERT_TRUE(wal->Sync().ok());
  wal.reset();
  for (const char* torn : {"", "JWAL-part"}) {
    // Segment 2 (then 4) torn at creation; the open after it starts the next one.
    uint64_t last_seg;
    std::map<uint64_t, Lsn> segs;
    Lsn end;
    ASSERT_TRUE(Wal::ReadLog(
                    env, dir.path(), 1, [](const WalRecord&) { return Status::OK(); }, &end,
                    &last_seg, &segs)
                    .ok());
    ASSERT_TRUE(WriteStringToFile(env, torn, dir.Join(Wal::SegmentName(last_seg + 1)), false).ok());
    ASSERT_TRUE(Wal::ReadLog(
                    env, dir.path(), 1, [](const WalRecord&) { return Status::OK(); }, &end,
                    &last_seg, &segs)
                    .ok());
    ASSERT_TRUE(Wal::Open(env, dir.path(), 1 << 20, last_seg + 1, end + 1, segs, &wal).ok());
    recs = {PageRecord(end + 1, 6, "next")};
    ASSERT_TRUE(wal->Append(&recs).ok());
    ASSERT_TRUE(wal->Sync().ok());
    wal.reset();
  }
  std::vector<WalRecord> got;
  Lsn end;
  Status s = ReadAll(env, dir.path(), 1, &got, &end);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(end, 3u);

  // A bad header with bytes after it, before the newest segment, is still corruption.
  ASSERT_TRUE(WriteStringToFile(env, std::string(kWalSegmentHeaderSize + 100, 'x'),
                                dir.Join(Wal::SegmentName(2)), false)
                  .ok());
  s = ReadAll(env, dir.path(), 1, &got, &end);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST(WalTest, CorruptionInTheMiddleIsReported) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(env, dir.path(), 2048, 1, 1, {}, &wal).ok());
  for (int i = 0; i < 40; i++) {
    std::vector<WalRecord> recs = {PageRecord(i + 1, 3, std::string(300, 'x'))};
    ASSERT_TRUE(wal->Append(&recs).ok());
    ASSERT_TRUE(wal->Sync().ok());
  }
  wal.reset();
  // Flip a byte in the first segment's first record.
  std::unique_ptr<RandomRWFile> raw;
  ASSERT_TRUE(env->NewRandomRWFile(dir.Join(Wal::SegmentName(1)), &raw).ok());
  ASSERT_TRUE(raw->Write(kWalSegmentHeaderSize + 40, "!").ok());
  std::vector<WalRecord> got;
  Lsn end;
  Status s = ReadAll(env, dir.path(), 1, &got, &end);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("wal-000001.log"), std::string::npos) << s.ToString();
}

TEST(WalTest, RemoveSegmentsBeforeKeepsWhatIsNeeded) {
  jadedb::test::TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(env, dir.path(), 1024, 1, 1, {}, &wal).ok());
  for (int i = 0; i < 50; i++) {
    std::vector<WalRecord> recs = {PageRecord(i + 1, 3, std::string(200, 'y'))};
    ASSERT_TRUE(wal->Append(&recs).ok());
    ASSERT_TRUE(wal->Sync().ok());
  }
  const size_t before = wal->segment_count();
  ASSERT_GT(before, 5u);
  ASSERT_TRUE(wal->RemoveSegmentsBefore(40).ok());
  EXPECT_LT(wal->segment_count(), before);
  wal.reset();
  std::vector<WalRecord> got;
  Lsn end;
  ASSERT_TRUE(ReadAll(env, dir.path(), 40, &got, &end).ok());
  ASSERT_EQ(got.size(), 11u);
  EXPECT_EQ(got.front().lsn, 40u);
  // Reading from before what was kept is an error, not silence.
  EXPECT_TRUE(ReadAll(env, dir.path(), 2, &got, &end).IsCorruption());
}

TEST(WalTest, GroupCommitSharesSyncs) {
  jadedb::test::TempDir dir;
  std::unique_ptr<Wal> wal;
  ASSERT_TRUE(Wal::Open(Env::Default(), dir.path(), 64 << 20, 1, 1, {}, &wal).ok());
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i++) {
        std::vector<WalRecord> recs = {PageRecord(t * 1000 + i, t + 2, "v")};
        Lsn last = 0;
        if (!wal->Append(&recs, [&](Lsn, Lsn l) { last = l; }).ok() || !wal->FlushTo(last).ok() ||
            wal->durable_lsn() < last) {
          failures++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(wal->durable_lsn(), static_cast<Lsn>(kThreads * kPerThread));
  EXPECT_LE(wal->syncs(), static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace jadedb::bplustree
