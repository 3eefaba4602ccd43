#include "lsm/vlog/value_log.h"

#include <gtest/gtest.h>

#include "lsm/base/filename.h"
#include "testutil/test_util.h"

namespace jadedb::lsm::vlog {
namespace {

class ValueLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<ValueLog> NewLog(uint64_t segment_size = 1 << 20) {
    return std::make_unique<ValueLog>(Env::Default(), dir_.path(), segment_size,
                                      [this] { return ++next_number_; });
  }
  std::vector<std::string> Children() {
    std::vector<std::string> names;
    EXPECT_TRUE(Env::Default()->GetChildren(dir_.path(), &names).ok());
    return names;
  }
  void WriteFile(const std::string& name, const std::string& data) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(Env::Default()->NewWritableFile(dir_.Join(name), &f).ok());
    ASSERT_TRUE(f->Append(data).ok());
    ASSERT_TRUE(f->Close().ok());
  }
  std::string ReadFile(const std::string& name) {
    std::string data;
    EXPECT_TRUE(ReadFileToString(Env::Default(), dir_.Join(name), &data).ok());
    return data;
  }

  test::TempDir dir_;
  uint64_t next_number_ = 0;
};

TEST_F(ValueLogTest, AppendAndRead) {
  auto log = NewLog();
  uint64_t max = 0;
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  std::vector<ValuePointer> ptrs;
  ASSERT_TRUE(log->AddRecords({{"a", std::string(5000, 'x')}, {"b", "yy"}}, false, &ptrs).ok());
  ASSERT_EQ(ptrs.size(), 2u);
  std::string v;
  ASSERT_TRUE(log->Read(ptrs[0], "a", &v).ok());
  EXPECT_EQ(v, std::string(5000, 'x'));
  ASSERT_TRUE(log->Read(ptrs[1], "b", &v).ok());
  EXPECT_EQ(v, "yy");
  // The key is checked.
  EXPECT_TRUE(log->Read(ptrs[1], "a", &v).IsCorruption());
  EXPECT_EQ(log->Stats().records_appended, 2u);
}

TEST_F(ValueLogTest, RotatesAndReopens) {
  std::vector<ValuePointer> all;
  {
    auto log = NewLog(64 << 10);
    uint64_t max = 0;
    ASSERT_TRUE(log->Open(Children(), &max).ok());
    for (int i = 0; i < 40; i++) {
      std::vector<ValuePointer> ptrs;
      ASSERT_TRUE(log->AddRecords({{"k" + std::to_string(i), std::string(8000, 'a' + i % 26)}},
                                  i % 2, &ptrs)
                      .ok());
      all.push_back(ptrs[0]);
    }
    EXPECT_GT(log->Stats().segments, 3u);
    EXPECT_FALSE(log->SealedSegments().empty());
  }
  auto log = NewLog();
  uint64_t max = 0;
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  EXPECT_EQ(max, next_number_);
  for (int i = 0; i < 40; i++) {
    std::string v;
    ASSERT_TRUE(log->Read(all[i], "k" + std::to_string(i), &v).ok()) << i;
    EXPECT_EQ(v, std::string(8000, 'a' + i % 26));
  }
  // Scan sees every record of a segment, in order.
  auto seg = log->Segment(all[0].file);
  ASSERT_NE(seg, nullptr);
  int n = 0;
  uint64_t end = 0;
  ASSERT_TRUE(seg->Scan(
                     [&](const ValuePointer& p, std::string_view k, std::string_view) {
                       EXPECT_EQ(p, all[n]);
                       EXPECT_EQ(k, "k" + std::to_string(n));
                       n++;
                       return true;
                     },
                     true, &end)
                  .ok());
  EXPECT_GT(n, 1);
}

TEST_F(ValueLogTest, TornTailStopsScanAndFailsRead) {
  std::vector<ValuePointer> ptrs;
  {
    auto log = NewLog();
    uint64_t max = 0;
    ASSERT_TRUE(log->Open(Children(), &max).ok());
    ASSERT_TRUE(
        log->AddRecords({{"a", std::string(100, 'a')}, {"b", std::string(100, 'b')}}, false, &ptrs)
            .ok());
  }
  const std::string name = "000001.vlog";
  std::string data = ReadFile(name);
  WriteFile(name, data.substr(0, data.size() - 10));  // tear the last record
  auto log = NewLog();
  uint64_t max = 0;
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  std::string v;
  EXPECT_TRUE(log->Read(ptrs[0], "a", &v).ok());
  Status s = log->Read(ptrs[1], "b", &v);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("000001.vlog"), std::string::npos);
  EXPECT_NE(s.ToString().find("offset " + std::to_string(ptrs[1].offset)), std::string::npos);
  for (bool verify : {true, false}) {
    int n = 0;
    uint64_t end = 0;
    ASSERT_TRUE(
        log->Segment(1)->Scan([&](auto&, auto, auto) { return ++n, true; }, verify, &end).ok());
    EXPECT_EQ(n, 1);
    EXPECT_EQ(end, ptrs[1].offset);
  }
}

TEST_F(ValueLogTest, CorruptedRecordIsCorruptionWithOffset) {
  std::vector<ValuePointer> ptrs;
  {
    auto log = NewLog();
    uint64_t max = 0;
    ASSERT_TRUE(log->Open(Children(), &max).ok());
    ASSERT_TRUE(
        log->AddRecords({{"a", std::string(100, 'a')}, {"b", std::string(100, 'b')}}, false, &ptrs)
            .ok());
  }
  std::string data = ReadFile("000001.vlog");
  data[ptrs[1].offset + 20] ^= 0x40;
  WriteFile("000001.vlog", data);
  auto log = NewLog();
  uint64_t max = 0;
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  std::string v;
  Status s = log->Read(ptrs[1], "b", &v);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("checksum"), std::string::npos);
  EXPECT_NE(s.ToString().find("offset " + std::to_string(ptrs[1].offset)), std::string::npos);
}

TEST_F(ValueLogTest, BadMagicFailsOpenShortHeaderIsRemoved) {
  WriteFile("000003.vlog", "NOTAVLOGxxxxxxxxxxxxxxx");
  auto log = NewLog();
  uint64_t max = 0;
  Status s = log->Open(Children(), &max);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.ToString().find("000003.vlog"), std::string::npos);
  EXPECT_NE(s.ToString().find("magic"), std::string::npos);

  ASSERT_TRUE(Env::Default()->RemoveFile(dir_.Join("000003.vlog")).ok());
  WriteFile("000004.vlog", "JDB");  // a crash while creating the segment
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  EXPECT_FALSE(Env::Default()->FileExists(dir_.Join("000004.vlog")));
}

TEST_F(ValueLogTest, RemoveSegmentKeepsPinnedReadable) {
  auto log = NewLog(1024);
  uint64_t max = 0;
  ASSERT_TRUE(log->Open(Children(), &max).ok());
  std::vector<ValuePointer> first, second;
  ASSERT_TRUE(log->AddRecords({{"a", std::string(2000, 'a')}}, false, &first).ok());
  ASSERT_TRUE(log->AddRecords({{"b", std::string(2000, 'b')}}, false, &second).ok());
  ASSERT_NE(first[0].file, second[0].file);
  auto pinned = log->Pin();
  EXPECT_TRUE(log->RemoveSegment(second[0].file).IsInvalidArgument());  // active
  ASSERT_TRUE(log->RemoveSegment(first[0].file).ok());
  std::string v;
  EXPECT_TRUE(log->Read(first[0], "a", &v).IsNotFound());
  std::string_view key = "a";
  ASSERT_TRUE(pinned->at(first[0].file)->Read(first[0], &key, nullptr, &v).ok());
  EXPECT_EQ(v, std::string(2000, 'a'));
  EXPECT_EQ(log->SealedSegments().size(), 0u);
}

}  // namespace
}  // namespace jadedb::lsm::vlog
