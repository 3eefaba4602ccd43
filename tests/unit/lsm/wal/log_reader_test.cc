#include "lsm/wal/log_reader.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "jadedb/env.h"
#include "lsm/wal/log_format.h"
#include "lsm/wal/log_writer.h"
#include "testutil/test_util.h"
#include "unit/lsm/wal/log_test_util.h"

namespace jadedb::lsm::log {
namespace {

using jadedb::test::RandomBytes;
using test::AppendFragment;
using test::FileHeader;
using test::ReadAll;
using test::ReadResult;
using test::StringDest;
using test::StringSource;

// A log written by log::Writer, with each record's start offset (from a clean read).
struct Log {
  std::string contents;
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;

  // Offset just past record i (where the next record's bytes, possibly padding, begin).
  uint64_t EndOf(size_t i) const {
    return i + 1 < offsets.size() ? offsets[i + 1] : contents.size();
  }
};

Log WriteLog(const std::vector<std::string>& records) {
  Log log;
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  for (const auto& r : records) EXPECT_TRUE(writer.AddRecord(r).ok());
  log.contents = dest.contents;
  log.records = records;
  ReadResult clean;
  ReadAll(log.contents, &clean);
  EXPECT_EQ(clean.records, records);
  log.offsets = clean.offsets;
  return log;
}

std::vector<std::string> Prefix(const std::vector<std::string>& v, size_t n) {
  return std::vector<std::string>(v.begin(), v.begin() + static_cast<ptrdiff_t>(n));
}

void ExpectNoReports(const ReadResult& r) {
  EXPECT_TRUE(r.reporter.corruptions.empty()) << r.reporter.corruptions.front().status.ToString();
  EXPECT_TRUE(r.reporter.torn_tails.empty()) << r.reporter.torn_tails.front();
}

TEST(LogReaderTest, EmptyFile) {
  ReadResult r;
  ReadAll("", &r);
  EXPECT_TRUE(r.records.empty());
  EXPECT_TRUE(r.status.ok());
  ExpectNoReports(r);
}

TEST(LogReaderTest, RoundTripManySizes) {
  Random rnd(1234);
  std::vector<std::string> records;
  for (size_t n :
       {size_t{0}, size_t{1}, kBlockSize - kHeaderSize, kBlockSize - kHeaderSize + 1, kBlockSize,
        size_t{100 * 1024}, size_t{0}, kBlockSize - 2 * kHeaderSize, size_t{3}}) {
    records.push_back(RandomBytes(&rnd, n));
  }
  for (int i = 0; i < 300; i++) records.push_back(RandomBytes(&rnd, rnd.Skewed(17)));
  Log log = WriteLog(records);

  for (size_t max_read : {SIZE_MAX, size_t{1000}, size_t{7}}) {
    ReadResult r;
    ReadAll(log.contents, &r, /*verify_checksums=*/true, max_read);
    EXPECT_EQ(r.records, records) << "max_read " << max_read;
    EXPECT_TRUE(r.status.ok());
    ExpectNoReports(r);
  }
  ASSERT_EQ(log.offsets.size(), records.size());
  EXPECT_EQ(log.offsets[0], kFileHeaderSize);
  for (size_t i = 1; i < log.offsets.size(); i++) EXPECT_GT(log.offsets[i], log.offsets[i - 1]);
}

TEST(LogReaderTest, RecordOffsets) {
  Log log = WriteLog({"a", std::string(kBlockSize, 'b'), "c"});
  ASSERT_EQ(log.offsets.size(), 3u);
  // The file header comes first.
  const uint64_t h = kFileHeaderSize;
  EXPECT_EQ(log.offsets[0], h);
  EXPECT_EQ(log.offsets[1], h + kHeaderSize + 1);
  // The big record takes the rest of block 0 and a LAST fragment in block 1.
  const uint64_t last_len = kBlockSize - (kBlockSize - h - 2 * kHeaderSize - 1);
  EXPECT_EQ(log.offsets[2], kBlockSize + kHeaderSize + last_len);

  StringSource src(log.contents);
  Reader reader(&src, "x.log", LogKind::kWal, nullptr, true);
  EXPECT_EQ(reader.LastRecordEndOffset(), 0u);
  std::string scratch;
  std::string_view rec;
  ASSERT_TRUE(reader.ReadRecord(&rec, &scratch));
  EXPECT_EQ(reader.LastRecordEndOffset(), h + kHeaderSize + 1);
  ASSERT_TRUE(reader.ReadRecord(&rec, &scratch));
  EXPECT_EQ(reader.LastRecordOffset(), h + kHeaderSize + 1);
  EXPECT_EQ(reader.LastRecordEndOffset(), log.offsets[2]);
  ASSERT_TRUE(reader.ReadRecord(&rec, &scratch));
  EXPECT_EQ(reader.LastRecordEndOffset(), log.contents.size());
  EXPECT_FALSE(reader.ReadRecord(&rec, &scratch));
  EXPECT_FALSE(reader.ReadRecord(&rec, &scratch));  // stays at end
}

// Reads the WAL at path with checksums verified: exactly `records`, with no damage reported.
void ExpectReadsBackCleanly(const std::string& path, const std::vector<std::string>& records) {
  std::unique_ptr<SequentialFile> file;
  ASSERT_TRUE(Env::Default()->NewSequentialFile(path, &file).ok());
  test::RecordingReporter reporter;
  Reader reader(file.get(), path, LogKind::kWal, &reporter, true);
  std::vector<std::string> got;
  std::string scratch;
  std::string_view rec;
  while (reader.ReadRecord(&rec, &scratch)) got.emplace_back(rec);
  EXPECT_TRUE(reader.status().ok());
  EXPECT_EQ(got, records);
  EXPECT_TRUE(reporter.corruptions.empty());
  EXPECT_TRUE(reporter.torn_tails.empty());
}

TEST(LogReaderTest, RoundTripThroughARealFile) {
  jadedb::test::TempDir dir;
  const std::string path = dir.Join("000001.log");
  Env* env = Env::Default();
  Random rnd(99);
  std::vector<std::string> records;
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env->NewWritableFile(path, &file).ok());
    Writer writer(file.get(), LogKind::kWal);
    for (int i = 0; i < 50; i++) {
      records.push_back(RandomBytes(&rnd, rnd.Skewed(16)));
      ASSERT_TRUE(writer.AddRecord(records.back()).ok());
    }
    ASSERT_TRUE(file->Close().ok());
  }
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(path, &size).ok());
  {
    // Reopen for append and continue mid-block.
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(env->NewAppendableFile(path, &file).ok());
    Writer writer(file.get(), size);
    for (int i = 0; i < 50; i++) {
      records.push_back(RandomBytes(&rnd, rnd.Skewed(16)));
      ASSERT_TRUE(writer.AddRecord(records.back()).ok());
    }
    ASSERT_TRUE(file->Close().ok());
  }
  ExpectReadsBackCleanly(path, records);
}

// A WAL written through the memory-mapped log file and cut by a process kill ends in the
// reserved zeros: every record comes back, and the zeros are neither damage nor a torn tail.
TEST(LogReaderTest, MappedLogCutByAProcessKillReadsBackEveryRecord) {
  jadedb::test::TempDir dir;
  const std::string path = dir.Join("000003.log");
  Random rnd(7);
  std::vector<std::string> records;
  for (int i = 0; i < 400; i++) records.push_back(RandomBytes(&rnd, rnd.Skewed(15)));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<WritableFile> file;
    if (!Env::Default()->NewLogFileMaybeMapped(path, &file).ok()) _exit(1);
    Writer writer(file.get(), LogKind::kWal);
    for (const std::string& r : records) {
      if (!writer.AddRecord(r).ok()) _exit(1);
    }
    kill(getpid(), SIGKILL);
    _exit(1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "child failed early";

  uint64_t size = 0;
  ASSERT_TRUE(Env::Default()->GetFileSize(path, &size).ok());
  EXPECT_EQ(size % (1u << 20), 0u) << "the reserve is still there";
  ExpectReadsBackCleanly(path, records);
}

// Cuts the log at every point inside its last record (or every `stride`-th point plus the
// points around fragment boundaries): the earlier records come back, the rest is a torn tail.
void CheckTornTails(const Log& log, size_t stride) {
  const size_t n = log.records.size();
  const uint64_t prev_end = n >= 2 ? log.EndOf(n - 2) : 0;
  const uint64_t start = log.offsets[n - 1];
  const uint64_t end = log.contents.size();
  std::set<uint64_t> cuts;
  for (uint64_t t = prev_end; t <= end; t += stride) cuts.insert(t);
  for (uint64_t b = (prev_end / kBlockSize) * kBlockSize; b <= end; b += kBlockSize) {
    for (uint64_t t = b > 10 ? b - 10 : 0; t <= b + 10; t++) {
      if (t >= prev_end && t <= end) cuts.insert(t);
    }
  }
  cuts.insert(end - 1);
  for (uint64_t t : cuts) {
    ReadResult r;
    ReadAll(std::string_view(log.contents).substr(0, t), &r);
    SCOPED_TRACE("cut at " + std::to_string(t) + ", last record at " + std::to_string(start));
    EXPECT_TRUE(r.reporter.corruptions.empty());
    if (t == end) {
      EXPECT_EQ(r.records, log.records);
      EXPECT_TRUE(r.reporter.torn_tails.empty());
    } else if (t <= start) {
      // Only the block tail (zero padding) before the last record is present.
      EXPECT_EQ(r.records, Prefix(log.records, n - 1));
      EXPECT_TRUE(r.reporter.torn_tails.empty());
    } else {
      EXPECT_EQ(r.records, Prefix(log.records, n - 1));
      EXPECT_EQ(r.reporter.torn_tails, std::vector<size_t>{static_cast<size_t>(t - start)});
    }
  }
}

TEST(LogReaderTest, TornTailAtEveryTruncationPointSmallRecord) {
  CheckTornTails(WriteLog({"first", "second", std::string(500, 'z')}), 1);
}

TEST(LogReaderTest, TornTailAtEveryTruncationPointAfterBlockPadding) {
  // The second record leaves a 3-byte tail, so the last record starts in block 1.
  CheckTornTails(
      WriteLog({"a", std::string(kBlockSize - kFileHeaderSize - 2 * kHeaderSize - 1 - 3, 'b'),
                std::string(1000, 'c')}),
      1);
}

TEST(LogReaderTest, TornTailAtEveryTruncationPointAcrossABlock) {
  Random rnd(5);
  CheckTornTails(WriteLog({RandomBytes(&rnd, 32000), RandomBytes(&rnd, 2000)}), 1);
}

TEST(LogReaderTest, TornTailOfAMultiBlockRecord) {
  Random rnd(6);
  CheckTornTails(WriteLog({RandomBytes(&rnd, 100), RandomBytes(&rnd, 100 * 1024)}), 61);
}

// Flipping any byte of a record other than its length field, with valid records behind it,
// drops exactly that record and reports corruption at its offset.
TEST(LogReaderTest, FlippedByteInMiddleRecordIsCorruption) {
  Random rnd(7);
  std::vector<std::string> records;
  for (int i = 0; i < 5; i++) records.push_back(RandomBytes(&rnd, 1000));
  Log log = WriteLog(records);
  const uint64_t start = log.offsets[2];
  const uint64_t end = log.EndOf(2);
  std::vector<std::string> expected = {records[0], records[1], records[3], records[4]};
  for (uint64_t pos = start; pos < end; pos++) {
    if (pos == start + 4 || pos == start + 5) continue;  // length: see the next test
    for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
      std::string damaged = log.contents;
      damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
      ReadResult r;
      ReadAll(damaged, &r);
      SCOPED_TRACE("flip at " + std::to_string(pos));
      EXPECT_EQ(r.records, expected);
      EXPECT_TRUE(r.reporter.torn_tails.empty());
      ASSERT_EQ(r.reporter.corruptions.size(), 1u);
      EXPECT_EQ(r.reporter.corruptions[0].bytes, end - start);
      const Status& s = r.reporter.corruptions[0].status;
      EXPECT_TRUE(s.IsCorruption());
      EXPECT_NE(s.ToString().find("test.log"), std::string::npos) << s.ToString();
      EXPECT_NE(s.ToString().find("offset " + std::to_string(start) + ":"), std::string::npos)
          << s.ToString();
    }
  }
}

// A damaged length can hide the rest of its block, but records in later blocks prove the
// damage was mid-file.
TEST(LogReaderTest, DamagedLengthWithRecordsInLaterBlocksIsCorruption) {
  Random rnd(8);
  std::vector<std::string> records;
  for (int i = 0; i < 4; i++) records.push_back(RandomBytes(&rnd, 1000));
  records.push_back(RandomBytes(&rnd, kBlockSize));  // ends in block 1
  for (int i = 0; i < 3; i++) records.push_back(RandomBytes(&rnd, 500));
  Log log = WriteLog(records);
  const uint64_t start = log.offsets[2];
  for (uint64_t pos : {start + 4, start + 5}) {
    for (unsigned mask : {0x01u, 0x10u, 0x80u}) {
      std::string damaged = log.contents;
      damaged[pos] = static_cast<char>(damaged[pos] ^ mask);
      ReadResult r;
      ReadAll(damaged, &r);
      SCOPED_TRACE("flip at " + std::to_string(pos) + " mask " + std::to_string(mask));
      ASSERT_GE(r.records.size(), 5u);
      EXPECT_EQ(r.records[0], records[0]);
      EXPECT_EQ(r.records[1], records[1]);
      // The records after the big one (in block 1) are always found.
      std::vector<std::string> tail(r.records.end() - 3, r.records.end());
      EXPECT_EQ(tail, std::vector<std::string>(records.end() - 3, records.end()));
      EXPECT_TRUE(r.reporter.torn_tails.empty());
      ASSERT_GE(r.reporter.corruptions.size(), 1u);
      EXPECT_NE(r.reporter.corruptions[0].status.ToString().find("offset " + std::to_string(start)),
                std::string::npos)
          << r.reporter.corruptions[0].status.ToString();
    }
  }
}

// Damage anywhere in the last record, with nothing valid after it, is a torn tail.
TEST(LogReaderTest, FlippedByteInLastRecordIsTornTail) {
  Random rnd(9);
  for (size_t last_len : {size_t{300}, size_t{kBlockSize}}) {
    Log log =
        WriteLog({RandomBytes(&rnd, 800), RandomBytes(&rnd, 800), RandomBytes(&rnd, last_len)});
    const uint64_t start = log.offsets[2];
    const uint64_t end = log.contents.size();
    const uint64_t step = last_len > 1000 ? 97 : 1;
    for (uint64_t pos = start; pos < end; pos += (pos < start + 16 ? 1 : step)) {
      std::string damaged = log.contents;
      damaged[pos] = static_cast<char>(damaged[pos] ^ 0x20);
      ReadResult r;
      ReadAll(damaged, &r);
      SCOPED_TRACE("flip at " + std::to_string(pos));
      EXPECT_EQ(r.records, Prefix(log.records, 2));
      EXPECT_TRUE(r.reporter.corruptions.empty());
      EXPECT_EQ(r.reporter.torn_tails, std::vector<size_t>{static_cast<size_t>(end - start)});
    }
  }
}

TEST(LogReaderTest, MiddleWithoutFirstIsCorruption) {
  std::string file = FileHeader();
  AppendFragment(&file, kMiddleType, "orphan");
  AppendFragment(&file, kFullType, "ok");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, std::vector<std::string>{"ok"});
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_EQ(r.reporter.corruptions[0].bytes, kHeaderSize + 6);
  std::string msg = r.reporter.corruptions[0].status.ToString();
  EXPECT_NE(msg.find("offset 23: MIDDLE fragment without a FIRST"), std::string::npos) << msg;
  EXPECT_TRUE(r.reporter.torn_tails.empty());
}

TEST(LogReaderTest, LastWithoutFirstIsCorruption) {
  std::string file = FileHeader();
  AppendFragment(&file, kFullType, "one");
  AppendFragment(&file, kLastType, "orphan");
  AppendFragment(&file, kFullType, "two");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, (std::vector<std::string>{"one", "two"}));
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  std::string msg = r.reporter.corruptions[0].status.ToString();
  EXPECT_NE(msg.find("offset 33: LAST fragment without a FIRST"), std::string::npos) << msg;
}

TEST(LogReaderTest, FirstWithoutLastFollowedByRecordIsCorruption) {
  std::string file = FileHeader();
  AppendFragment(&file, kFirstType, "part1");
  AppendFragment(&file, kMiddleType, "part2");
  AppendFragment(&file, kFirstType, "b1");
  AppendFragment(&file, kLastType, "b2");
  AppendFragment(&file, kFullType, "c");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, (std::vector<std::string>{"b1b2", "c"}));
  EXPECT_EQ(r.offsets, (std::vector<uint64_t>{23 + 24, 23 + 42}));
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_EQ(r.reporter.corruptions[0].bytes, 24u);  // both fragments of the partial record
  std::string msg = r.reporter.corruptions[0].status.ToString();
  EXPECT_NE(msg.find("offset 23: fragmented record without its LAST"), std::string::npos) << msg;
}

TEST(LogReaderTest, FirstWithoutLastAtEndIsTornTail) {
  std::string file = FileHeader();
  AppendFragment(&file, kFullType, "a");
  AppendFragment(&file, kFirstType, "part1");
  AppendFragment(&file, kMiddleType, "part2");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, std::vector<std::string>{"a"});
  EXPECT_TRUE(r.reporter.corruptions.empty());
  EXPECT_EQ(r.reporter.torn_tails, std::vector<size_t>{24});
}

TEST(LogReaderTest, UnknownTypeIsDamage) {
  std::string file = FileHeader();
  AppendFragment(&file, 9, "strange");
  AppendFragment(&file, kFullType, "ok");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, std::vector<std::string>{"ok"});
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_NE(r.reporter.corruptions[0].status.ToString().find("unknown fragment type 9"),
            std::string::npos);

  std::string tail_only = FileHeader();
  AppendFragment(&tail_only, kFullType, "ok");
  AppendFragment(&tail_only, 9, "strange");
  ReadResult t;
  ReadAll(tail_only, &t);
  EXPECT_EQ(t.records, std::vector<std::string>{"ok"});
  EXPECT_TRUE(t.reporter.corruptions.empty());
  EXPECT_EQ(t.reporter.torn_tails, std::vector<size_t>{kHeaderSize + 7});
}

TEST(LogReaderTest, BadLengthMidFileDropsTheBlock) {
  Log log = WriteLog({"aaaa", "bbbb", std::string(kBlockSize, 'c'), "dddd"});
  std::string damaged = log.contents;
  damaged[kFileHeaderSize + 4] = '\xff';  // "aaaa" claims 0xff04 bytes: more than a block
  damaged[kFileHeaderSize + 5] = '\xff';
  ReadResult r;
  ReadAll(damaged, &r);
  // The rest of block 0 is gone, including the start of the big record; its LAST fragment
  // in block 1 is an orphan; "dddd" is the proof of mid-file damage.
  EXPECT_EQ(r.records, std::vector<std::string>{"dddd"});
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_EQ(r.reporter.corruptions[0].bytes, log.offsets[3] - kFileHeaderSize);
  std::string msg = r.reporter.corruptions[0].status.ToString();
  EXPECT_NE(msg.find("offset 23: bad fragment length 65535"), std::string::npos) << msg;
  EXPECT_TRUE(r.reporter.torn_tails.empty());
}

TEST(LogReaderTest, ZeroPaddingIsSkippedSilently) {
  Log log = WriteLog({"one", "two"});
  // Preallocated space at the end of the file, across a block boundary.
  std::string padded = log.contents + std::string(kBlockSize + 5000, '\0');
  ReadResult r;
  ReadAll(padded, &r);
  EXPECT_EQ(r.records, log.records);
  ExpectNoReports(r);

  // Zeros up to a block end, then more records.
  std::string file = log.contents;
  file.resize(kBlockSize, '\0');
  AppendFragment(&file, kFullType, "three");
  ReadResult r2;
  ReadAll(file, &r2);
  EXPECT_EQ(r2.records, (std::vector<std::string>{"one", "two", "three"}));
  ExpectNoReports(r2);

  // A zero-filled file has no header: what a crash while creating it can leave.
  ReadResult zeros;
  ReadAll(std::string(3 * kBlockSize + 11, '\0'), &zeros);
  EXPECT_TRUE(zeros.records.empty());
  EXPECT_TRUE(zeros.status.ok());
  EXPECT_TRUE(zeros.reporter.corruptions.empty());
  EXPECT_EQ(zeros.reporter.torn_tails, std::vector<size_t>{3 * kBlockSize + 11});
}

TEST(LogReaderTest, DamageFollowedByZerosIsTornTail) {
  Log log = WriteLog({"one", "two", "three"});
  std::string file = log.contents;
  file[log.offsets[2] + kHeaderSize] ^= 1;
  file += std::string(100, '\0');
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, Prefix(log.records, 2));
  EXPECT_TRUE(r.reporter.corruptions.empty());
  EXPECT_EQ(r.reporter.torn_tails, std::vector<size_t>{file.size() - log.offsets[2]});
}

TEST(LogReaderTest, ChecksumsNotVerifiedWhenNotAsked) {
  Log log = WriteLog({"one", "two", "three"});
  std::string file = log.contents;
  file[log.offsets[1] + kHeaderSize] = 'T';
  ReadResult r;
  ReadAll(file, &r, /*verify_checksums=*/false);
  EXPECT_EQ(r.records, (std::vector<std::string>{"one", "Two", "three"}));
  ExpectNoReports(r);
}

TEST(LogReaderTest, ReadErrorSetsStatusWithoutReports) {
  Random rnd(10);
  std::vector<std::string> records;
  for (int i = 0; i < 10; i++) records.push_back(RandomBytes(&rnd, 10000));
  Log log = WriteLog(records);
  StringSource src(log.contents);
  src.FailAfterReads(1);
  test::RecordingReporter reporter;
  Reader reader(&src, "test.log", LogKind::kWal, &reporter, true);
  std::string scratch;
  std::string_view rec;
  size_t n = 0;
  while (reader.ReadRecord(&rec, &scratch)) {
    EXPECT_EQ(rec, records[n]);
    n++;
  }
  EXPECT_EQ(n, 3u);  // the records complete in block 0
  EXPECT_TRUE(reader.status().IsIOError()) << reader.status().ToString();
  EXPECT_TRUE(reporter.corruptions.empty());
  EXPECT_TRUE(reporter.torn_tails.empty());
}

TEST(LogReaderTest, NullReporterIsAllowed) {
  Log log = WriteLog({"one", "two", "three"});
  std::string file = log.contents;
  file[log.offsets[1] + kHeaderSize] ^= 1;
  file.resize(file.size() - 1);
  StringSource src(file);
  Reader reader(&src, "test.log", LogKind::kWal, nullptr, true);
  std::string scratch;
  std::string_view rec;
  ASSERT_TRUE(reader.ReadRecord(&rec, &scratch));
  EXPECT_EQ(rec, "one");
  EXPECT_FALSE(reader.ReadRecord(&rec, &scratch));
}

// ---- The file header ----

// Reads `file` expecting `kind`; a refused file returns nothing and reports nothing.
void ExpectRefused(std::string_view file, LogKind kind, std::string_view message) {
  for (bool verify : {true, false}) {
    ReadResult r;
    ReadAll(file, &r, verify, SIZE_MAX, kind);
    SCOPED_TRACE(std::string(message) + (verify ? " (verified)" : " (not verified)"));
    EXPECT_TRUE(r.records.empty());
    ExpectNoReports(r);
    EXPECT_NE(r.status.ToString().find(message), std::string::npos) << r.status.ToString();
  }
}

TEST(LogReaderTest, HeaderOnlyFileIsAnEmptyLog) {
  for (LogKind kind : {LogKind::kWal, LogKind::kManifest}) {
    const std::string file = FileHeader(kind);
    ASSERT_EQ(file.size(), kFileHeaderSize);
    StringSource src(file);
    test::RecordingReporter reporter;
    Reader reader(&src, "test.log", kind, &reporter, true);
    std::string scratch;
    std::string_view rec;
    EXPECT_FALSE(reader.ReadRecord(&rec, &scratch));
    EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
    EXPECT_TRUE(reporter.corruptions.empty());
    EXPECT_TRUE(reporter.torn_tails.empty());
    // Appending after the header is safe.
    EXPECT_EQ(reader.LastRecordEndOffset(), kFileHeaderSize);
  }
}

TEST(LogReaderTest, HeaderIsNotReturnedAsARecord) {
  std::string file = FileHeader(LogKind::kManifest);
  AppendFragment(&file, kFullType, "edit");
  ReadResult r;
  ReadAll(file, &r, true, SIZE_MAX, LogKind::kManifest);
  EXPECT_EQ(r.records, std::vector<std::string>{"edit"});
  EXPECT_EQ(r.offsets, std::vector<uint64_t>{kFileHeaderSize});
  EXPECT_TRUE(r.status.ok());
  ExpectNoReports(r);
}

TEST(LogReaderTest, LogWithoutHeaderIsBadMagic) {
  // What a log of the old (LevelDB) framing looks like: a record at offset 0.
  std::string file;
  AppendFragment(&file, kFullType, "a record");
  ExpectRefused(file, LogKind::kWal,
                "Corruption: test.log: offset 0: not a JadeDB log (bad magic)");
  ExpectRefused("not a log at all, just some text", LogKind::kWal, "bad magic");
  // Too short for a header, but already not one.
  ExpectRefused("ab\x01\x02\x03", LogKind::kWal, "bad magic");
}

TEST(LogReaderTest, DamagedMagicLengthOrTypeIsBadMagic) {
  const std::string header = FileHeader();
  for (size_t pos = 4; pos < kHeaderSize + kLogMagicSize; pos++) {
    std::string file = header;
    file[pos] = static_cast<char>(file[pos] ^ 0x08);
    AppendFragment(&file, kFullType, "x");
    ExpectRefused(file, LogKind::kWal, "offset 0: not a JadeDB log (bad magic)");
  }
}

TEST(LogReaderTest, WrongKindIsCorruptionNamingBothKinds) {
  std::string manifest = FileHeader(LogKind::kManifest);
  AppendFragment(&manifest, kFullType, "edit");
  ExpectRefused(manifest, LogKind::kWal,
                "Corruption: test.log: offset 0: a MANIFEST log where a WAL log was expected");
  std::string wal = FileHeader(LogKind::kWal);
  ExpectRefused(wal, LogKind::kManifest, "a WAL log where a MANIFEST log was expected");
  ExpectRefused(FileHeader(static_cast<LogKind>(9)), LogKind::kWal,
                "a kind 9 log where a WAL log was expected");
}

TEST(LogReaderTest, UnknownVersionIsNotSupported) {
  for (uint32_t version : {0u, 2u, 0xffffffffu}) {
    std::string file = FileHeader(LogKind::kWal, version);
    AppendFragment(&file, kFullType, "from the future");
    ExpectRefused(file, LogKind::kWal,
                  "NotSupported: test.log: offset 0: log format version " +
                      std::to_string(version) + " is not supported");
    ReadResult r;
    ReadAll(file, &r);
    EXPECT_TRUE(r.status.IsNotSupported()) << r.status.ToString();
  }
}

TEST(LogReaderTest, HeaderTornDuringCreationIsTornTail) {
  const std::string header = FileHeader();
  for (size_t cut = 1; cut < kFileHeaderSize; cut++) {
    ReadResult r;
    ReadAll(std::string_view(header).substr(0, cut), &r);
    SCOPED_TRACE("cut at " + std::to_string(cut));
    EXPECT_TRUE(r.records.empty());
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.reporter.corruptions.empty());
    EXPECT_EQ(r.reporter.torn_tails, std::vector<size_t>{cut});
  }
  ReadResult empty;
  ReadAll("", &empty);
  EXPECT_TRUE(empty.status.ok());
  ExpectNoReports(empty);
}

TEST(LogReaderTest, DamagedHeaderChecksumIsClassifiedLikeOtherDamage) {
  // A flipped version, kind or checksum byte: the header fails its checksum.
  for (size_t pos : {size_t{0}, size_t{3}, kHeaderSize + kLogMagicSize, kFileHeaderSize - 1}) {
    SCOPED_TRACE("flip at " + std::to_string(pos));
    std::string file = FileHeader();
    file[pos] = static_cast<char>(file[pos] ^ 0x01);
    ReadResult alone;
    ReadAll(file, &alone);
    EXPECT_TRUE(alone.status.ok());
    EXPECT_TRUE(alone.reporter.corruptions.empty());
    EXPECT_EQ(alone.reporter.torn_tails, std::vector<size_t>{kFileHeaderSize});

    AppendFragment(&file, kFullType, "record");
    ReadResult r;
    ReadAll(file, &r);
    EXPECT_EQ(r.records, std::vector<std::string>{"record"});
    EXPECT_TRUE(r.reporter.torn_tails.empty());
    ASSERT_EQ(r.reporter.corruptions.size(), 1u);
    EXPECT_EQ(r.reporter.corruptions[0].bytes, kFileHeaderSize);
    const std::string msg = r.reporter.corruptions[0].status.ToString();
    EXPECT_NE(msg.find("test.log: offset 0: file header checksum mismatch"), std::string::npos)
        << msg;
  }
}

TEST(LogReaderTest, ZeroFilledStartIsDamage) {
  // Zeros are skipped 7 at a time, so the record after them starts at a multiple of 7.
  std::string file(98, '\0');
  AppendFragment(&file, kFullType, "record");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, std::vector<std::string>{"record"});
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_EQ(r.reporter.corruptions[0].bytes, 98u);
  EXPECT_NE(r.reporter.corruptions[0].status.ToString().find("offset 0: zero-filled file header"),
            std::string::npos);
  for (size_t n : {size_t{1}, size_t{6}, size_t{7}, size_t{30}}) {
    ReadResult z;
    ReadAll(std::string(n, '\0'), &z);
    EXPECT_TRUE(z.records.empty());
    EXPECT_TRUE(z.reporter.corruptions.empty());
    EXPECT_EQ(z.reporter.torn_tails, std::vector<size_t>{n});
  }
}

TEST(LogReaderTest, HeaderFragmentInTheMiddleIsCorruption) {
  // Two logs concatenated: the second header is mid-file damage.
  std::string file = FileHeader();
  AppendFragment(&file, kFullType, "one");
  const uint64_t second_header = file.size();
  file += FileHeader();
  AppendFragment(&file, kFullType, "two");
  ReadResult r;
  ReadAll(file, &r);
  EXPECT_EQ(r.records, (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.reporter.torn_tails.empty());
  ASSERT_EQ(r.reporter.corruptions.size(), 1u);
  EXPECT_EQ(r.reporter.corruptions[0].bytes, kFileHeaderSize);
  const std::string msg = r.reporter.corruptions[0].status.ToString();
  EXPECT_NE(msg.find("offset " + std::to_string(second_header) +
                     ": file header fragment in the middle of the log"),
            std::string::npos)
      << msg;

  // At the very end it is still corruption: a complete, valid fragment is no torn write.
  std::string at_end = FileHeader();
  AppendFragment(&at_end, kFullType, "one");
  at_end += FileHeader();
  ReadResult e;
  ReadAll(at_end, &e);
  EXPECT_EQ(e.records, std::vector<std::string>{"one"});
  EXPECT_TRUE(e.reporter.torn_tails.empty());
  ASSERT_EQ(e.reporter.corruptions.size(), 1u);

  // Inside a fragmented record: the partial record goes with it.
  std::string in_record = FileHeader();
  AppendFragment(&in_record, kFirstType, "part");
  in_record += FileHeader();
  AppendFragment(&in_record, kFullType, "after");
  ReadResult f;
  ReadAll(in_record, &f);
  EXPECT_EQ(f.records, std::vector<std::string>{"after"});
  ASSERT_EQ(f.reporter.corruptions.size(), 1u);
  EXPECT_EQ(f.reporter.corruptions[0].bytes, kHeaderSize + 4 + kFileHeaderSize);
}

TEST(LogReaderTest, ReadErrorOnTheFirstBlockSetsStatus) {
  std::string file = FileHeader();
  AppendFragment(&file, kFullType, "x");
  StringSource src(file);
  src.FailAfterReads(0);
  test::RecordingReporter reporter;
  Reader reader(&src, "test.log", LogKind::kWal, &reporter, true);
  std::string scratch;
  std::string_view rec;
  EXPECT_FALSE(reader.ReadRecord(&rec, &scratch));
  EXPECT_TRUE(reader.status().IsIOError()) << reader.status().ToString();
  EXPECT_TRUE(reporter.corruptions.empty());
  EXPECT_TRUE(reporter.torn_tails.empty());
}

// Garbage and damaged logs never crash the reader (run under ASan/UBSan too), and what it
// returns is always a record that was written.
TEST(LogReaderTest, FuzzedInputs) {
  Random rnd(0x5eed);
  for (int iter = 0; iter < 300; iter++) {
    std::string garbage = RandomBytes(&rnd, rnd.Skewed(17));
    for (bool verify : {true, false}) {
      ReadResult r;
      ReadAll(garbage, &r, verify);
      // Almost always refused by the magic; never a crash or a made-up record.
      EXPECT_TRUE(r.status.ok() || r.status.IsCorruption()) << r.status.ToString();
      if (verify) {
        EXPECT_TRUE(r.records.empty());
      }
    }
  }

  for (int iter = 0; iter < 300; iter++) {
    std::vector<std::string> records;
    const int n = 1 + static_cast<int>(rnd.Uniform(20));
    for (int i = 0; i < n; i++) records.push_back(RandomBytes(&rnd, rnd.Skewed(16)));
    Log log = WriteLog(records);
    std::string file = log.contents;
    bool truncate_only = rnd.OneIn(3);
    const int mutations = 1 + static_cast<int>(rnd.Uniform(4));
    for (int m = 0; m < mutations && !file.empty(); m++) {
      const size_t pos = rnd.Uniform(file.size());
      switch (truncate_only ? 0 : rnd.Uniform(5)) {
        case 0:
          file.resize(pos);
          break;
        case 1:
          file[pos] = static_cast<char>(file[pos] ^ (1 + rnd.Uniform(255)));
          break;
        case 2: {
          std::string junk = RandomBytes(&rnd, 1 + rnd.Uniform(100));
          file.replace(pos, std::min(junk.size(), file.size() - pos), junk);
          break;
        }
        case 3:
          file.insert(pos, std::string(1 + rnd.Uniform(kBlockSize), '\0'));
          break;
        case 4: {
          const size_t from = rnd.Uniform(file.size());
          const size_t len = std::min<size_t>(1 + rnd.Uniform(5000), file.size() - from);
          file.insert(pos, file.substr(from, len));
          break;
        }
      }
    }
    ReadResult r;
    ReadAll(file, &r);
    SCOPED_TRACE("iteration " + std::to_string(iter));
    // Damage to the magic refuses the file (Corruption); a cut one is always read.
    EXPECT_TRUE(r.status.ok() || (!truncate_only && r.status.IsCorruption()))
        << r.status.ToString();
    std::set<std::string> written(records.begin(), records.end());
    for (const auto& rec : r.records) EXPECT_TRUE(written.count(rec)) << rec.size();
    // At most one torn tail, and it is the last report.
    const std::string& order = r.reporter.order;
    EXPECT_LE(std::count(order.begin(), order.end(), 'T'), 1);
    if (order.find('T') != std::string::npos) {
      EXPECT_EQ(order.back(), 'T');
    }
    if (truncate_only) {
      // A cut log is a prefix of the records plus, at most, a torn tail.
      EXPECT_TRUE(r.reporter.corruptions.empty());
      EXPECT_EQ(r.records, Prefix(records, r.records.size()));
    }
  }
}

}  // namespace
}  // namespace jadedb::lsm::log
