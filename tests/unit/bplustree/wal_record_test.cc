#include "bplustree/wal_record.h"

#include <gtest/gtest.h>

#include "util/random.h"

namespace jadedb::bplustree {
namespace {

TEST(WalRecordTest, DiffAndApplyRoundTrip) {
  Random rnd(301);
  const size_t n = 4096;
  for (int iter = 0; iter < 200; iter++) {
    std::string before(n, '\0'), after;
    for (auto& c : before) c = static_cast<char>(rnd.Uniform(256));
    after = before;
    const int changes = static_cast<int>(rnd.Uniform(20));
    for (int i = 0; i < changes; i++) {
      size_t off = rnd.Uniform(n), len = 1 + rnd.Uniform(64);
      for (size_t j = off; j < std::min(n, off + len); j++)
        after[j] = static_cast<char>(rnd.Uniform(256));
    }
    std::vector<ByteRange> ranges;
    DiffPage(before.data(), after.data(), n, &ranges);
    if (before == after) {
      EXPECT_TRUE(ranges.empty());
    }
    std::string redo = before, undo = after;
    ASSERT_TRUE(ApplyRanges(ranges, true, redo.data(), n).ok());
    ASSERT_TRUE(ApplyRanges(ranges, false, undo.data(), n).ok());
    EXPECT_EQ(redo, after);
    EXPECT_EQ(undo, before);

    WalRecord r;
    r.type = WalRecordType::kPage;
    r.page_id = 77;
    r.ranges = ranges;
    std::string enc;
    EncodeWalRecordBody(r, &enc);
    WalRecord d;
    d.type = WalRecordType::kPage;
    ASSERT_TRUE(DecodeWalRecordBody(enc, &d).ok());
    EXPECT_EQ(d.page_id, 77u);
    ASSERT_EQ(d.ranges.size(), ranges.size());
    if (!enc.empty()) {
      enc.pop_back();
      EXPECT_TRUE(DecodeWalRecordBody(enc, &d).IsCorruption());
    }
  }
}

TEST(WalRecordTest, MetaAndCheckpointRecords) {
  WalRecord r;
  r.type = WalRecordType::kCheckpoint;
  r.redo_start = 5;
  r.root = 9;
  r.free_head = 11;
  r.page_count = 40;
  r.dirty_pages = {{3, 4}, {7, 5}};
  std::string enc;
  EncodeWalRecordBody(r, &enc);
  WalRecord d;
  d.type = WalRecordType::kCheckpoint;
  ASSERT_TRUE(DecodeWalRecordBody(enc, &d).ok());
  EXPECT_EQ(d.redo_start, 5u);
  EXPECT_EQ(d.root, 9u);
  EXPECT_EQ(d.dirty_pages, r.dirty_pages);
  std::vector<ByteRange> bad = {{4090, "0123456789", "0123456789"}};
  std::string page(4096, '\0');
  EXPECT_TRUE(ApplyRanges(bad, true, page.data(), page.size()).IsCorruption());
}

}  // namespace
}  // namespace jadedb::bplustree
