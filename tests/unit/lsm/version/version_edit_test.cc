#include "lsm/version/version_edit.h"

#include <gtest/gtest.h>

#include "testutil/test_util.h"
#include "util/coding.h"
#include "util/random.h"

namespace jadedb::lsm {
namespace {

VersionEdit FullEdit() {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName("jadedb.BytewiseComparator");
  edit.SetLogNumber(7);
  edit.SetPrevLogNumber(6);
  edit.SetNextFile(1ull << 40);
  edit.SetLastSequence(kMaxSequenceNumber);
  for (int i = 0; i < 4; i++) {
    edit.AddFile(i % kNumLevels, 100 + i, 5000 + i,
                 InternalKey("a" + std::to_string(i), 1, kTypeValue),
                 InternalKey("z" + std::to_string(i), 900, kTypeDeletion));
    edit.RemoveFile(kNumLevels - 1 - i % kNumLevels, 200 + i);
    edit.SetCompactPointer(i, InternalKey("cp" + std::to_string(i), 55, kTypeValue));
  }
  return edit;
}

TEST(VersionEditTest, RoundTripKeepsEveryField) {
  VersionEdit edit = FullEdit();
  std::string encoded;
  edit.EncodeTo(&encoded);

  VersionEdit parsed;
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  std::string reencoded;
  parsed.EncodeTo(&reencoded);
  EXPECT_EQ(encoded, reencoded);

  EXPECT_TRUE(parsed.has_format_version());
  EXPECT_EQ(parsed.format_version(), kManifestFormatVersion);
  EXPECT_EQ(parsed.comparator(), "jadedb.BytewiseComparator");
  EXPECT_EQ(parsed.log_number(), 7u);
  EXPECT_EQ(parsed.prev_log_number(), 6u);
  EXPECT_EQ(parsed.next_file_number(), 1ull << 40);
  EXPECT_EQ(parsed.last_sequence(), kMaxSequenceNumber);
  ASSERT_EQ(parsed.new_files().size(), 4u);
  EXPECT_EQ(parsed.new_files()[2].first, 2);
  EXPECT_EQ(parsed.new_files()[2].second.number, 102u);
  EXPECT_EQ(parsed.new_files()[2].second.file_size, 5002u);
  EXPECT_EQ(parsed.new_files()[2].second.smallest.Encode(),
            InternalKey("a2", 1, kTypeValue).Encode());
  EXPECT_EQ(parsed.new_files()[2].second.largest.Encode(),
            InternalKey("z2", 900, kTypeDeletion).Encode());
  EXPECT_EQ(parsed.deleted_files().size(), 4u);
  EXPECT_TRUE(parsed.deleted_files().contains({kNumLevels - 1, 200}));
  ASSERT_EQ(parsed.compact_pointers().size(), 4u);
  EXPECT_EQ(parsed.compact_pointers()[3].first, 3);
}

TEST(VersionEditTest, EmptyEditRoundTripsAndUnsetFieldsStayUnset) {
  VersionEdit edit;
  std::string encoded;
  edit.EncodeTo(&encoded);
  EXPECT_TRUE(encoded.empty());
  VersionEdit parsed = FullEdit();  // DecodeFrom must reset it
  ASSERT_TRUE(parsed.DecodeFrom(encoded).ok());
  EXPECT_FALSE(parsed.has_comparator());
  EXPECT_FALSE(parsed.has_log_number());
  EXPECT_FALSE(parsed.has_prev_log_number());
  EXPECT_FALSE(parsed.has_next_file_number());
  EXPECT_FALSE(parsed.has_last_sequence());
  EXPECT_FALSE(parsed.has_format_version());
  EXPECT_TRUE(parsed.new_files().empty());
  EXPECT_TRUE(parsed.deleted_files().empty());
}

TEST(VersionEditTest, TagBytesMatchTheDocumentedFormat) {
  // docs/formats/manifest.md: tag 2 = log number (varint64), tag 6 = deleted file.
  VersionEdit edit;
  edit.SetLogNumber(300);
  edit.RemoveFile(3, 5);
  std::string encoded;
  edit.EncodeTo(&encoded);
  EXPECT_EQ(encoded, std::string("\x02\xac\x02\x06\x03\x05", 6));

  // The full example of the doc, with a new file.
  edit.AddFile(1, 7, 1000, InternalKey("a", 5, kTypeValue), InternalKey("c", 6, kTypeValue));
  encoded.clear();
  edit.EncodeTo(&encoded);
  const std::string expected(
      "\x02\xac\x02"
      "\x06\x03\x05"
      "\x07\x01\x07\xe8\x07"
      "\x09\x61\x01\x05\x00\x00\x00\x00\x00\x00"
      "\x09\x63\x01\x06\x00\x00\x00\x00\x00\x00",
      31);
  EXPECT_EQ(encoded, expected);
}

TEST(VersionEditTest, EveryTruncationInsideAFieldIsCorruption) {
  VersionEdit edit = FullEdit();
  std::string encoded;
  edit.EncodeTo(&encoded);
  // Field boundaries: the prefixes that are complete edits themselves.
  int ok_prefixes = 0;
  for (size_t len = 0; len < encoded.size(); len++) {
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(std::string_view(encoded).substr(0, len));
    if (s.ok()) {
      ok_prefixes++;
      std::string again;
      parsed.EncodeTo(&again);
      EXPECT_EQ(again.size(), len) << "an OK prefix must end on a field boundary";
    } else {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.ToString().find("version edit"), std::string::npos) << s.ToString();
    }
  }
  // 18 fields (format version, comparator, 4 counters, 4 pointers, 4 deletions, 4 files):
  // the empty prefix and the ends of the first 17.
  EXPECT_EQ(ok_prefixes, 18);
}

TEST(VersionEditTest, UnknownTagIsCorruption) {
  std::string encoded;
  PutVarint32(&encoded, 2);
  PutVarint64(&encoded, 5);
  PutVarint32(&encoded, 8);  // LevelDB's retired large-value tag
  VersionEdit parsed;
  Status s = parsed.DecodeFrom(encoded);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("unknown tag 8 at byte 2"), std::string::npos) << s.ToString();
}

TEST(VersionEditTest, LevelOutOfRangeIsCorruption) {
  for (uint32_t tag : {5u, 6u, 7u}) {
    std::string encoded;
    PutVarint32(&encoded, tag);
    PutVarint32(&encoded, kNumLevels);  // one past the last level
    PutVarint64(&encoded, 1);
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(encoded);
    EXPECT_TRUE(s.IsCorruption()) << tag;
  }
  VersionEdit edit;
  edit.RemoveFile(kNumLevels - 1, 9);  // the last level is fine
  std::string encoded;
  edit.EncodeTo(&encoded);
  VersionEdit parsed;
  EXPECT_TRUE(parsed.DecodeFrom(encoded).ok());
}

TEST(VersionEditTest, InvalidInternalKeyIsCorruption) {
  std::string encoded;
  PutVarint32(&encoded, 7);  // new file
  PutVarint32(&encoded, 1);
  PutVarint64(&encoded, 10);
  PutVarint64(&encoded, 100);
  PutLengthPrefixed(&encoded, "short");  // fewer than 8 bytes: no tag
  PutLengthPrefixed(&encoded, InternalKey("b", 1, kTypeValue).Encode());
  VersionEdit parsed;
  Status s = parsed.DecodeFrom(encoded);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("new file"), std::string::npos) << s.ToString();

  // A valid length but an unknown value type in the key's tag.
  std::string bad_type("key");
  PutFixed64(&bad_type, (uint64_t{5} << 8) | 0x7f);
  encoded.clear();
  PutVarint32(&encoded, 5);
  PutVarint32(&encoded, 0);
  PutLengthPrefixed(&encoded, bad_type);
  EXPECT_TRUE(parsed.DecodeFrom(encoded).IsCorruption());
}

TEST(VersionEditTest, OverlongVarintIsCorruption) {
  std::string encoded;
  PutVarint32(&encoded, 3);
  encoded.append(11, '\xff');  // never terminates within 10 bytes
  VersionEdit parsed;
  EXPECT_TRUE(parsed.DecodeFrom(encoded).IsCorruption());
}

TEST(VersionEditTest, RandomGarbageNeverCrashes) {
  const uint64_t seed = jadedb::test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  std::string valid;
  FullEdit().EncodeTo(&valid);
  int corrupt = 0;
  for (int i = 0; i < 2000; i++) {
    std::string input;
    if (i % 2 == 0) {
      input = jadedb::test::RandomBytes(&rnd, rnd.Uniform(64));
    } else {
      input = valid;  // flip a few bytes of a valid edit
      for (int j = 0; j < 3; j++) input[rnd.Uniform(input.size())] ^= 1 + rnd.Uniform(255);
    }
    VersionEdit parsed;
    Status s = parsed.DecodeFrom(input);
    EXPECT_TRUE(s.ok() || s.IsCorruption()) << s.ToString();
    if (!s.ok()) corrupt++;
  }
  EXPECT_GT(corrupt, 0);
}

TEST(VersionEditTest, DebugStringNamesTheFields) {
  std::string d = FullEdit().DebugString();
  EXPECT_NE(d.find("LogNumber: 7"), std::string::npos) << d;
  EXPECT_NE(d.find("AddFile: 2 102 5002"), std::string::npos) << d;
  EXPECT_NE(d.find("RemoveFile: 6 200"), std::string::npos) << d;
  EXPECT_NE(d.find("CompactPointer: 1 'cp1' @ 55"), std::string::npos) << d;
}

TEST(VersionEditTest, ClearResets) {
  VersionEdit edit = FullEdit();
  edit.Clear();
  std::string encoded;
  edit.EncodeTo(&encoded);
  EXPECT_TRUE(encoded.empty());
}

}  // namespace
}  // namespace jadedb::lsm
