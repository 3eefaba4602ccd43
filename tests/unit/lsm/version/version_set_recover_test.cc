// VersionSet::Recover (version_set_recover.cc): manifest replay, and every way CURRENT or the
// manifest can be wrong.
#include <gtest/gtest.h>

#include <filesystem>

#include "lsm/wal/log_writer.h"
#include "unit/lsm/version/version_test_util.h"
#include "util/coding.h"

namespace jadedb::lsm::test {
namespace {

class RecoverTest : public VersionTestBase {
 protected:
  // Builds a state through several edits.
  void BuildState() {
    VersionEdit first;
    first.SetLogNumber(vset_->NewFileNumber());
    ASSERT_TRUE(Apply(&first).ok());
    VersionEdit e1;
    AddFileTo(&e1, 0, 10, "a", "m");
    AddFileTo(&e1, 1, 11, "a", "f");
    AddFileTo(&e1, 1, 12, "g", "p");
    ASSERT_TRUE(Apply(&e1).ok());
    {
      std::lock_guard<std::mutex> lock(mu_);
      vset_->SetLastSequence(1234);
    }
    VersionEdit e2;
    e2.RemoveFile(1, 11);
    AddFileTo(&e2, 2, 13, "a", "f", 777);
    e2.SetCompactPointer(1, IKey("f", 9));
    e2.SetLogNumber(vset_->NewFileNumber());
    e2.SetPrevLogNumber(3);
    ASSERT_TRUE(Apply(&e2).ok());
  }

  std::string ManifestPath() { return ManifestFileName(dir_.path(), vset_->ManifestFileNumber()); }

  // Writes MANIFEST-<number> holding `records` and points CURRENT at it.
  void WriteManifest(uint64_t number, const std::vector<std::string>& records,
                     log::LogKind kind = log::LogKind::kManifest) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(options_.env->NewWritableFile(ManifestFileName(dir_.path(), number), &file).ok());
    log::Writer writer(file.get(), kind);
    for (const std::string& r : records) ASSERT_TRUE(writer.AddRecord(r).ok());
    ASSERT_TRUE(file->Close().ok());
    ASSERT_TRUE(SetCurrentFile(options_.env, dir_.path(), number).ok());
  }

  static std::string Encode(const VersionEdit& edit) {
    std::string r;
    edit.EncodeTo(&r);
    return r;
  }

  // A valid head record: format version, comparator and all counters.
  static VersionEdit Head() {
    VersionEdit edit;
    edit.SetFormatVersion(kManifestFormatVersion);
    edit.SetComparatorName(BytewiseComparator()->Name());
    edit.SetLogNumber(0);
    edit.SetNextFile(100);
    edit.SetLastSequence(5);
    return edit;
  }

  Status RecoverFresh() {
    std::lock_guard<std::mutex> lock(mu_);
    vset_ = NewVersionSet();
    bool save_manifest = true;
    Status s = vset_->Recover(&save_manifest);
    if (!s.ok()) {
      EXPECT_FALSE(save_manifest);
    }
    return s;
  }
};

TEST_F(RecoverTest, RestoresFilesLevelsAndCounters) {
  BuildState();
  const std::string state = vset_->current()->DebugString();
  const uint64_t manifest = vset_->ManifestFileNumber();
  const uint64_t log_number = vset_->LogNumber();
  uint64_t next_file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    next_file = vset_->NewFileNumber();
  }

  ASSERT_TRUE(Reopen().ok());
  EXPECT_EQ(vset_->current()->DebugString(), state);
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{12}));
  EXPECT_EQ(FileNumbers(2), (std::vector<uint64_t>{13}));
  EXPECT_EQ(vset_->current()->files(2)[0]->file_size, 777u);
  EXPECT_EQ(vset_->LastSequence(), 1234u);
  EXPECT_EQ(vset_->LogNumber(), log_number);
  EXPECT_EQ(vset_->PrevLogNumber(), 3u);
  EXPECT_EQ(vset_->ManifestFileNumber(), manifest);
  EXPECT_EQ(vset_->CompactPointer(1), IKey("f", 9).Encode());
  // The number taken after the last edit was not recorded; everything before was.
  EXPECT_GE(vset_->NewFileNumber(), next_file);
  EXPECT_EQ(vset_->LevelSummary(), "files[ 1 1 1 0 0 0 0 ]");
}

TEST_F(RecoverTest, FirstLogAndApplyAfterRecoverStartsANewManifest) {
  BuildState();
  const uint64_t old_manifest = vset_->ManifestFileNumber();
  ASSERT_TRUE(Reopen().ok());
  const std::string state = vset_->current()->DebugString();
  VersionEdit edit;
  ASSERT_TRUE(Apply(&edit).ok());
  EXPECT_GT(vset_->ManifestFileNumber(), old_manifest);
  std::string current;
  ASSERT_TRUE(ReadFileToString(options_.env, CurrentFileName(dir_.path()), &current).ok());
  EXPECT_EQ(
      current,
      ManifestFileName(dir_.path(), vset_->ManifestFileNumber()).substr(dir_.path().size() + 1) +
          "\n");
  // The new manifest alone rebuilds the same state (the old one could now be deleted).
  ASSERT_TRUE(options_.env->RemoveFile(ManifestFileName(dir_.path(), old_manifest)).ok());
  ASSERT_TRUE(Reopen().ok());
  EXPECT_EQ(vset_->current()->DebugString(), state);
  EXPECT_EQ(vset_->LastSequence(), 1234u);
  EXPECT_EQ(vset_->CompactPointer(1), IKey("f", 9).Encode());
}

TEST_F(RecoverTest, TornTailIsDropped) {
  BuildState();
  const std::string path = ManifestPath();
  uint64_t full_size;
  ASSERT_TRUE(options_.env->GetFileSize(path, &full_size).ok());
  // One more edit, then cut it short as a crash mid-append would.
  AddFile(3, 20, "x", "z");
  uint64_t size_with_edit;
  ASSERT_TRUE(options_.env->GetFileSize(path, &size_with_edit).ok());
  ASSERT_GT(size_with_edit, full_size + 10);
  for (uint64_t cut : {size_with_edit - 1, full_size + 10, full_size + 3}) {
    std::filesystem::resize_file(path, cut);
    ASSERT_TRUE(Reopen().ok()) << "cut at " << cut;
    EXPECT_TRUE(FileNumbers(3).empty());
    EXPECT_EQ(FileNumbers(2), (std::vector<uint64_t>{13}));
  }
}

TEST_F(RecoverTest, MidFileCorruptionNamesManifestAndOffset) {
  BuildState();
  const std::string path = ManifestPath();
  AddFile(3, 20, "x", "z");  // valid records after the damage
  // Flip a byte inside the first record's payload (the snapshot, after the file header and
  // its own 7-byte fragment header).
  std::string contents;
  ASSERT_TRUE(ReadFileToString(options_.env, path, &contents).ok());
  contents[log::kFileHeaderSize + 10] ^= 0x40;
  ASSERT_TRUE(WriteStringToFile(options_.env, contents, path, true).ok());
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find(path + ": offset " + std::to_string(log::kFileHeaderSize) + ":"),
            std::string::npos)
      << s.ToString();
}

TEST_F(RecoverTest, ManifestOpensWithAManifestFileHeader) {
  BuildState();
  std::string contents;
  ASSERT_TRUE(ReadFileToString(options_.env, ManifestPath(), &contents).ok());
  ASSERT_GT(contents.size(), log::kFileHeaderSize);
  EXPECT_EQ(static_cast<unsigned char>(contents[6]), log::kFileHeaderType);
  EXPECT_EQ(contents.substr(log::kHeaderSize, 8), "JADEDBLG");
  EXPECT_EQ(DecodeFixed32(contents.data() + log::kHeaderSize + 12),
            static_cast<uint32_t>(log::LogKind::kManifest));
}

TEST_F(RecoverTest, WalNamedByCurrentIsCorruption) {
  // A WAL-kind log where the manifest should be (a file mix-up): refused by its header even
  // though its records would decode.
  WriteManifest(7, {Encode(Head())}, log::LogKind::kWal);
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("MANIFEST-000007: offset 0: a WAL log where a MANIFEST log"),
            std::string::npos)
      << s.ToString();
}

TEST_F(RecoverTest, ManifestWithoutFileHeaderIsCorruption) {
  // What a pre-header (LevelDB-framed) manifest looks like: its first fragment is a record.
  WriteManifest(7, {Encode(Head())});
  const std::string path = ManifestFileName(dir_.path(), 7);
  std::string contents;
  ASSERT_TRUE(ReadFileToString(options_.env, path, &contents).ok());
  ASSERT_TRUE(
      WriteStringToFile(options_.env, contents.substr(log::kFileHeaderSize), path, true).ok());
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("offset 0: not a JadeDB log (bad magic)"), std::string::npos)
      << s.ToString();
}

TEST_F(RecoverTest, UndecodableEditNamesManifestAndOffset) {
  std::string garbage = Encode(Head());
  std::string bad;
  PutVarint32(&bad, 99);  // unknown tag, with a valid checksum around it
  WriteManifest(7, {garbage, bad});
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  const std::string offset =
      "offset " + std::to_string(log::kFileHeaderSize + log::kHeaderSize + garbage.size());
  EXPECT_NE(s.ToString().find("MANIFEST-000007: " + offset), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("unknown tag 99"), std::string::npos) << s.ToString();
}

TEST_F(RecoverTest, MissingCurrentIsNotFound) {
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.ToString().find("CURRENT"), std::string::npos) << s.ToString();
}

TEST_F(RecoverTest, MalformedCurrentIsCorruption) {
  const std::string current = CurrentFileName(dir_.path());
  for (const char* contents : {"", "MANIFEST-000002", "000002.log\n", "garbage\n", "MANIFEST-\n"}) {
    ASSERT_TRUE(WriteStringToFile(options_.env, contents, current, true).ok());
    Status s = RecoverFresh();
    EXPECT_TRUE(s.IsCorruption()) << "'" << contents << "': " << s.ToString();
    EXPECT_NE(s.ToString().find("CURRENT"), std::string::npos) << s.ToString();
  }
}

TEST_F(RecoverTest, CurrentNamingAMissingManifestIsCorruption) {
  ASSERT_TRUE(SetCurrentFile(options_.env, dir_.path(), 42).ok());
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("MANIFEST-000042"), std::string::npos) << s.ToString();
}

TEST_F(RecoverTest, ComparatorMismatchIsInvalidArgument) {
  VersionEdit head = Head();
  head.SetComparatorName("some.OtherComparator");
  WriteManifest(3, {Encode(head)});
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("some.OtherComparator"), std::string::npos) << s.ToString();
}

TEST_F(RecoverTest, FormatVersionIsChecked) {
  VersionEdit no_version;
  no_version.SetComparatorName(BytewiseComparator()->Name());
  no_version.SetLogNumber(0);
  no_version.SetNextFile(10);
  no_version.SetLastSequence(0);
  WriteManifest(3, {Encode(no_version)});
  Status s = RecoverFresh();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("not a JadeDB manifest"), std::string::npos) << s.ToString();

  VersionEdit future = Head();
  future.SetFormatVersion(kManifestFormatVersion + 1);
  WriteManifest(4, {Encode(future)});
  s = RecoverFresh();
  EXPECT_TRUE(s.IsNotSupported()) << s.ToString();
}

TEST_F(RecoverTest, MissingCountersAreCorruption) {
  VersionEdit head;
  head.SetFormatVersion(kManifestFormatVersion);
  head.SetComparatorName(BytewiseComparator()->Name());
  head.SetLogNumber(0);
  head.SetLastSequence(0);
  WriteManifest(3, {Encode(head)});
  Status s = RecoverFresh();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("next-file-number"), std::string::npos) << s.ToString();

  WriteManifest(4, {});
  s = RecoverFresh();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

TEST_F(RecoverTest, OverlappingFilesInManifestAreCorruption) {
  VersionEdit edit = Head();
  edit.AddFile(2, 10, 100, IKey("a"), IKey("m"));
  edit.AddFile(2, 11, 100, IKey("k"), IKey("z"));
  WriteManifest(3, {Encode(edit)});
  Status s = RecoverFresh();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.ToString().find("MANIFEST-000003"), std::string::npos) << s.ToString();
}

TEST_F(RecoverTest, FileNumbersOnDiskAreNeverReused) {
  // next_file below numbers the manifest itself mentions: trust the files, not the counter.
  VersionEdit edit = Head();
  edit.SetNextFile(2);
  edit.AddFile(1, 50, 100, IKey("a"), IKey("b"));
  edit.SetLogNumber(60);
  WriteManifest(40, {Encode(edit)});
  ASSERT_TRUE(RecoverFresh().ok());
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(vset_->NewFileNumber(), 61u);
  EXPECT_EQ(vset_->LastSequence(), 5u);
}

}  // namespace
}  // namespace jadedb::lsm::test
