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

TEST(LogWriterTest, HeaderBytes) {
  StringDest dest;
  Writer writer(&dest);
  ASSERT_TRUE(writer.AddRecord("hello").ok());
  ASSERT_EQ(dest.contents.size(), kHeaderSize + 5);
  const char* h = dest.contents.data();
  // CRC32C over the type byte then the payload, masked, little-endian.
  std::string covered = std::string(1, '\x01') + "hello";
  EXPECT_EQ(DecodeFixed32(h), crc32c::Mask(crc32c::Value(covered)));
  EXPECT_EQ(static_cast<unsigned char>(h[4]), 5);  // length, low byte first
  EXPECT_EQ(static_cast<unsigned char>(h[5]), 0);
  EXPECT_EQ(static_cast<unsigned char>(h[6]), kFullType);
  EXPECT_EQ(dest.contents.substr(kHeaderSize), "hello");
  // Matches the independent encoder the reader tests use.
  std::string expected;
  AppendFragment(&expected, kFullType, "hello");
  EXPECT_EQ(dest.contents, expected);
  EXPECT_GE(dest.flushes, 1);
}

TEST(LogWriterTest, EmptyRecordIsOneEmptyFullFragment) {
  StringDest dest;
  Writer writer(&dest);
  ASSERT_TRUE(writer.AddRecord("").ok());
  std::string expected;
  AppendFragment(&expected, kFullType, "");
  EXPECT_EQ(dest.contents, expected);
}

TEST(LogWriterTest, RecordFillingABlockExactly) {
  StringDest dest;
  Writer writer(&dest);
  ASSERT_TRUE(writer.AddRecord(std::string(kBlockSize - kHeaderSize, 'a')).ok());
  EXPECT_EQ(dest.contents.size(), kBlockSize);
  ASSERT_TRUE(writer.AddRecord("next").ok());
  auto frags = ParseFragments(dest.contents);
  ASSERT_EQ(frags.size(), 2u);
  EXPECT_EQ(frags[0].type, kFullType);
  EXPECT_EQ(frags[1].type, kFullType);
  EXPECT_EQ(frags[1].offset, kBlockSize);  // no padding needed
}

TEST(LogWriterTest, BlockTailShorterThanHeaderIsZeroFilled) {
  for (size_t tail = 1; tail < kHeaderSize; tail++) {
    StringDest dest;
    Writer writer(&dest);
    ASSERT_TRUE(writer.AddRecord(std::string(kBlockSize - kHeaderSize - tail, 'x')).ok());
    ASSERT_TRUE(writer.AddRecord("y").ok());
    ASSERT_EQ(dest.contents.size(), kBlockSize + kHeaderSize + 1) << tail;
    EXPECT_EQ(dest.contents.substr(kBlockSize - tail, tail), std::string(tail, '\0'));
    auto frags = ParseFragments(dest.contents);
    ASSERT_EQ(frags.size(), 2u);
    EXPECT_EQ(frags[1].offset, kBlockSize);
  }
}

TEST(LogWriterTest, RoomForOnlyAHeaderGivesEmptyFirstFragment) {
  StringDest dest;
  Writer writer(&dest);
  ASSERT_TRUE(writer.AddRecord(std::string(kBlockSize - 2 * kHeaderSize, 'x')).ok());
  ASSERT_TRUE(writer.AddRecord("spill").ok());
  auto frags = ParseFragments(dest.contents);
  ASSERT_EQ(frags.size(), 3u);
  EXPECT_EQ(frags[1].type, kFirstType);
  EXPECT_EQ(frags[1].length, 0u);
  EXPECT_EQ(frags[2].type, kLastType);
  EXPECT_EQ(frags[2].offset, kBlockSize);
  EXPECT_EQ(frags[2].length, 5u);
}

TEST(LogWriterTest, LargeRecordIsFragmentedAcrossBlocks) {
  StringDest dest;
  Writer writer(&dest);
  Random rnd(301);
  std::string big = jadedb::test::RandomBytes(&rnd, 100 * 1024);
  ASSERT_TRUE(writer.AddRecord(big).ok());
  auto frags = ParseFragments(dest.contents);
  // 100 KiB needs four blocks of (32768 - 7) bytes of payload.
  ASSERT_EQ(frags.size(), 4u);
  EXPECT_EQ(frags[0].type, kFirstType);
  EXPECT_EQ(frags[1].type, kMiddleType);
  EXPECT_EQ(frags[2].type, kMiddleType);
  EXPECT_EQ(frags[3].type, kLastType);
  size_t total = 0;
  for (size_t i = 0; i < frags.size(); i++) {
    EXPECT_EQ(frags[i].offset, i * kBlockSize);
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
  for (size_t first_len : {size_t{0}, size_t{100}, kBlockSize - kHeaderSize - 3,
                           kBlockSize - 2 * kHeaderSize, size_t{70000}}) {
    StringDest dest;
    std::vector<std::string> expected;
    {
      Writer writer(&dest);
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
  Writer writer(&dest);
  dest.fail_appends = true;
  Status s = writer.AddRecord("x");
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
}

}  // namespace
}  // namespace jadedb::lsm::log
