#include "lsm/wal/log_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lsm/wal/log_format.h"
#include "testutil/test_util.h"
#include "unit/lsm/wal/log_test_util.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::log {
namespace {

using test::AppendFragment;
using test::FileHeader;
using test::ReadAll;
using test::ReadResult;
using test::StringDest;

// One parsed physical record of a well-formed log.
struct Frag {
  uint64_t offset;
  unsigned type;
  size_t length;
};

// Walks a log the writer produced, checking every header's checksum and that tails shorter
// than a header are zero. Fails the test on anything unexpected.
std::vector<Frag> ParseFragments(const std::string& file) {
  std::vector<Frag> out;
  size_t pos = 0;
  while (pos < file.size()) {
    size_t room = kBlockSize - pos % kBlockSize;
    if (room < kHeaderSize) {
      for (size_t i = 0; i < room && pos + i < file.size(); i++) {
        EXPECT_EQ(file[pos + i], 0) << "block tail byte at " << pos + i;
      }
      pos += room;
      continue;
    }
    EXPECT_LE(pos + kHeaderSize, file.size());
    if (pos + kHeaderSize > file.size()) break;
    const char* h = file.data() + pos;
    size_t len = DecodeFixed16(h + 4);
    unsigned type = static_cast<unsigned char>(h[6]);
    EXPECT_LE(kHeaderSize + len, room) << "fragment at " << pos << " crosses a block";
    EXPECT_LE(pos + kHeaderSize + len, file.size());
    EXPECT_EQ(crc32c::Unmask(DecodeFixed32(h)), crc32c::Value(h + 6, 1 + len));
    out.push_back({pos, type, len});
    pos += kHeaderSize + len;
  }
  return out;
}

TEST(LogWriterTest, FileHeaderBytes) {
  for (LogKind kind : {LogKind::kWal, LogKind::kManifest}) {
    StringDest dest;
    Writer writer(&dest, kind);
    EXPECT_TRUE(dest.contents.empty());  // nothing until the first record
    ASSERT_TRUE(writer.AddRecord("r").ok());
    ASSERT_EQ(dest.contents.size(), kFileHeaderSize + kHeaderSize + 1);
    const char* h = dest.contents.data();
    std::string payload = dest.contents.substr(kHeaderSize, kFileHeaderPayloadSize);
    EXPECT_EQ(crc32c::Unmask(DecodeFixed32(h)), crc32c::Value(std::string(1, '\x05') + payload));
    EXPECT_EQ(static_cast<unsigned char>(h[4]), 16);  // payload length
    EXPECT_EQ(static_cast<unsigned char>(h[5]), 0);
    EXPECT_EQ(static_cast<unsigned char>(h[6]), kFileHeaderType);
    EXPECT_EQ(payload.substr(0, 8), "JADEDBLG");
    EXPECT_EQ(DecodeFixed32(payload.data() + 8), 1u);  // format version
    EXPECT_EQ(DecodeFixed32(payload.data() + 12), static_cast<uint32_t>(kind));
    EXPECT_EQ(dest.contents.substr(0, kFileHeaderSize), FileHeader(kind));
    // Only once.
    ASSERT_TRUE(writer.AddRecord("s").ok());
    auto frags = ParseFragments(dest.contents);
    ASSERT_EQ(frags.size(), 3u);
    EXPECT_EQ(frags[1].type, kFullType);
    EXPECT_EQ(frags[2].type, kFullType);
  }
}

// The exact bytes docs/formats/wal.md shows.
TEST(LogWriterTest, FileHeaderMatchesTheDocumentedBytes) {
  const std::string common("\x10\x00\x05JADEDBLG\x01\x00\x00\x00", 15);
  EXPECT_EQ(FileHeader(LogKind::kWal),
            std::string("\x91\xe1\x1e\x10", 4) + common + std::string("\x01\x00\x00\x00", 4));
  EXPECT_EQ(FileHeader(LogKind::kManifest),
            std::string("\xd4\x1d\x6c\x22", 4) + common + std::string("\x02\x00\x00\x00", 4));
}

TEST(LogWriterTest, ResumedWriterWritesNoFileHeader) {
  StringDest dest;
  dest.contents = FileHeader();
  Writer writer(&dest, dest.contents.size());
  ASSERT_TRUE(writer.AddRecord("more").ok());
  std::string expected = FileHeader();
  AppendFragment(&expected, kFullType, "more");
  EXPECT_EQ(dest.contents, expected);
}

TEST(LogWriterTest, FileHeaderAppendFailureIsReturned) {
  StringDest dest;
  dest.fail_appends = true;
  Writer writer(&dest, LogKind::kWal);
  EXPECT_TRUE(writer.AddRecord("x").IsIOError());
}

TEST(LogWriterTest, HeaderBytes) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  ASSERT_TRUE(writer.AddRecord("hello").ok());
  ASSERT_EQ(dest.contents.size(), kFileHeaderSize + kHeaderSize + 5);
  const char* h = dest.contents.data() + kFileHeaderSize;
  // CRC32C over the type byte then the payload, masked, little-endian.
  std::string covered = std::string(1, '\x01') + "hello";
  EXPECT_EQ(DecodeFixed32(h), crc32c::Mask(crc32c::Value(covered)));
  EXPECT_EQ(static_cast<unsigned char>(h[4]), 5);  // length, low byte first
  EXPECT_EQ(static_cast<unsigned char>(h[5]), 0);
  EXPECT_EQ(static_cast<unsigned char>(h[6]), kFullType);
  EXPECT_EQ(dest.contents.substr(kFileHeaderSize + kHeaderSize), "hello");
  // Matches the independent encoder the reader tests use.
  std::string expected = FileHeader();
  AppendFragment(&expected, kFullType, "hello");
  EXPECT_EQ(dest.contents, expected);
  EXPECT_GE(dest.flushes, 1);
}

TEST(LogWriterTest, EmptyRecordIsOneEmptyFullFragment) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  ASSERT_TRUE(writer.AddRecord("").ok());
  std::string expected = FileHeader();
  AppendFragment(&expected, kFullType, "");
  EXPECT_EQ(dest.contents, expected);
}

TEST(LogWriterTest, RecordFillingABlockExactly) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  ASSERT_TRUE(writer.AddRecord(std::string(kBlockSize - kFileHeaderSize - kHeaderSize, 'a')).ok());
  EXPECT_EQ(dest.contents.size(), kBlockSize);
  ASSERT_TRUE(writer.AddRecord("next").ok());
  auto frags = ParseFragments(dest.contents);
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(frags[0].type, kFileHeaderType);
  EXPECT_EQ(frags[1].type, kFullType);
  EXPECT_EQ(frags[2].type, kFullType);
  EXPECT_EQ(frags[2].offset, kBlockSize);  // no padding needed
}

TEST(LogWriterTest, BlockTailShorterThanHeaderIsZeroFilled) {
  for (size_t tail = 1; tail < kHeaderSize; tail++) {
    StringDest dest;
    Writer writer(&dest, LogKind::kWal);
    ASSERT_TRUE(
        writer.AddRecord(std::string(kBlockSize - kFileHeaderSize - kHeaderSize - tail, 'x')).ok());
    ASSERT_TRUE(writer.AddRecord("y").ok());
    ASSERT_EQ(dest.contents.size(), kBlockSize + kHeaderSize + 1) << tail;
    EXPECT_EQ(dest.contents.substr(kBlockSize - tail, tail), std::string(tail, '\0'));
    auto frags = ParseFragments(dest.contents);
    ASSERT_EQ(frags.size(), 3u);
    EXPECT_EQ(frags[2].offset, kBlockSize);
  }
}

TEST(LogWriterTest, RoomForOnlyAHeaderGivesEmptyFirstFragment) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  ASSERT_TRUE(
      writer.AddRecord(std::string(kBlockSize - kFileHeaderSize - 2 * kHeaderSize, 'x')).ok());
  ASSERT_TRUE(writer.AddRecord("spill").ok());
  auto frags = ParseFragments(dest.contents);
  ASSERT_EQ(frags.size(), 4u);
  EXPECT_EQ(frags[2].type, kFirstType);
  EXPECT_EQ(frags[2].length, 0u);
  EXPECT_EQ(frags[3].type, kLastType);
  EXPECT_EQ(frags[3].offset, kBlockSize);
  EXPECT_EQ(frags[3].length, 5u);
}

TEST(LogWriterTest, LargeRecordIsFragmentedAcrossBlocks) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  Random rnd(301);
  std::string big = jadedb::test::RandomBytes(&rnd, 100 * 1024);
  ASSERT_TRUE(writer.AddRecord(big).ok());
  auto frags = ParseFragments(dest.contents);
  // The file header, then 100 KiB in four blocks of up to (32768 - 7) bytes of payload.
  ASSERT_EQ(frags.size(), 5u);
  EXPECT_EQ(frags[0].type, kFileHeaderType);
  frags.erase(frags.begin());
  ASSERT_EQ(frags.size(), 4u);
  EXPECT_EQ(frags[0].type, kFirstType);
  EXPECT_EQ(frags[1].type, kMiddleType);
  EXPECT_EQ(frags[2].type, kMiddleType);
  EXPECT_EQ(frags[3].type, kLastType);
  size_t total = 0;
  for (size_t i = 0; i < frags.size(); i++) {
    EXPECT_EQ(frags[i].offset, i == 0 ? kFileHeaderSize : i * kBlockSize);
    total += frags[i].length;
  }
  EXPECT_EQ(total, big.size());
  std::string joined;
  for (const Frag& f : frags) joined += dest.contents.substr(f.offset + kHeaderSize, f.length);
  EXPECT_EQ(joined, big);
}

TEST(LogWriterTest, ResumesMidBlockWithDestLength) {
  Random rnd(17);
  // Resume at several points, including with less than a header left in the block.
  const size_t h = kFileHeaderSize;
  for (size_t first_len : {size_t{0}, size_t{100}, kBlockSize - h - kHeaderSize - 3,
                           kBlockSize - h - 2 * kHeaderSize, size_t{70000}}) {
    StringDest dest;
    std::vector<std::string> expected;
    {
      Writer writer(&dest, LogKind::kWal);
      expected.push_back(jadedb::test::RandomBytes(&rnd, first_len));
      ASSERT_TRUE(writer.AddRecord(expected.back()).ok());
    }
    // Reopen for append: a new writer on the same contents.
    Writer resumed(&dest, dest.contents.size());
    for (int i = 0; i < 5; i++) {
      expected.push_back(jadedb::test::RandomBytes(&rnd, rnd.Uniform(40000)));
      ASSERT_TRUE(resumed.AddRecord(expected.back()).ok());
    }
    ParseFragments(dest.contents);  // every fragment within its block, tails zero
    ReadResult result;
    ReadAll(dest.contents, &result);
    EXPECT_EQ(result.records, expected) << "first_len " << first_len;
    EXPECT_TRUE(result.reporter.corruptions.empty());
    EXPECT_TRUE(result.reporter.torn_tails.empty());
  }
}

TEST(LogWriterTest, AppendFailureIsReturned) {
  StringDest dest;
  Writer writer(&dest, LogKind::kWal);
  ASSERT_TRUE(writer.AddRecord("first").ok());
  dest.fail_appends = true;
  Status s = writer.AddRecord("x");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

}  // namespace
}  // namespace jadedb::lsm::log
