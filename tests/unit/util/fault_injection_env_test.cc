// Tests for FaultInjectionEnv: fault rules and triggers, counters, and the power-loss model
// (unsynced data, creations, renames and deletions not made durable by SyncDir).
#include "util/fault_injection_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testutil/test_util.h"

namespace jadedb {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  FaultInjectionEnvTest() : env_(Env::Default(), 7) {}

  std::string Path(const std::string& name) const { return dir_.Join(name); }

  // Creates name with contents, synced when sync; the directory entry is not synced.
  void Write(const std::string& name, const std::string& contents, bool sync) {
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(env_.NewWritableFile(Path(name), &f).ok());
    ASSERT_TRUE(f->Append(contents).ok());
    if (sync) {
      ASSERT_TRUE(f->Sync().ok());
    }
    ASSERT_TRUE(f->Close().ok());
  }

  std::string Read(const std::string& name) {
    std::string data;
    Status s = ReadFileToString(Env::Default(), Path(name), &data);
    return s.ok() ? data : "<" + s.ToString() + ">";
  }

  void SyncDir() { ASSERT_TRUE(env_.SyncDir(dir_.path()).ok()); }

  test::TempDir dir_;
  FaultInjectionEnv env_;
};

TEST_F(FaultInjectionEnvTest, PassThroughWithoutFaults) {
  Write("a.log", "hello", true);
  EXPECT_EQ(Read("a.log"), "hello");
  std::string data;
  ASSERT_TRUE(ReadFileToString(&env_, Path("a.log"), &data).ok());
  EXPECT_EQ(data, "hello");
  EXPECT_EQ(env_.TotalFaults(), 0u);
}

TEST_F(FaultInjectionEnvTest, SyncFailureOnFilteredFilesOnly) {
  env_.FailAlways(FaultOp::kSync, ".log");
  std::unique_ptr<WritableFile> log, sst;
  ASSERT_TRUE(env_.NewWritableFile(Path("000001.log"), &log).ok());
  ASSERT_TRUE(env_.NewWritableFile(Path("000002.sst"), &sst).ok());
  ASSERT_TRUE(log->Append("x").ok());
  ASSERT_TRUE(sst->Append("y").ok());
  Status s = log->Sync();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("000001.log"), std::string::npos) << s.ToString();
  EXPECT_TRUE(sst->Sync().ok());
  EXPECT_EQ(env_.UnsyncedBytes(Path("000001.log")), 1u);  // not durable
  EXPECT_EQ(env_.UnsyncedBytes(Path("000002.sst")), 0u);
  EXPECT_EQ(env_.FaultCount(FaultOp::kSync), 1u);
  EXPECT_EQ(env_.FaultCount(FaultKind::kIOError), 1u);
  env_.ClearFaults();
  EXPECT_TRUE(log->Sync().ok());
}

TEST_F(FaultInjectionEnvTest, NoSpaceOnAppendWritesNothing) {
  env_.FailAlways(FaultOp::kAppend, ".sst", FaultKind::kNoSpace);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("5.sst"), &f).ok());
  Status s = f->Append("data");
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("5.sst"), "");
  EXPECT_EQ(env_.FaultCountsString(), "enospc=1 on-append=1");
}

TEST_F(FaultInjectionEnvTest, NthCallAndFromNthCall) {
  FaultRule rule;
  rule.op = FaultOp::kAppend;
  rule.trigger = FaultTrigger::kNthCall;
  rule.n = 3;
  int id = env_.AddFault(rule);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("f"), &f).ok());
  EXPECT_TRUE(f->Append("1").ok());
  EXPECT_TRUE(f->Append("2").ok());
  EXPECT_FALSE(f->Append("3").ok());
  EXPECT_TRUE(f->Append("4").ok());
  env_.RemoveFault(id);
  rule.trigger = FaultTrigger::kFromNthCall;
  rule.n = 2;
  env_.AddFault(rule);
  EXPECT_TRUE(f->Append("5").ok());
  EXPECT_FALSE(f->Append("6").ok());
  EXPECT_FALSE(f->Append("7").ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("f"), "1245");
  EXPECT_EQ(env_.FaultCount(FaultKind::kIOError), 3u);
}

TEST_F(FaultInjectionEnvTest, ProbabilityIsSeededAndRoughlyRight) {
  auto run = [&](uint64_t seed) {
    FaultInjectionEnv env(Env::Default());
    FaultRule rule;
    rule.op = FaultOp::kRemove;
    rule.trigger = FaultTrigger::kProbability;
    rule.p = 0.25;
    rule.seed = seed;
    env.AddFault(rule);
    std::string pattern;
    for (int i = 0; i < 400; ++i) {
      pattern += env.RemoveFile(Path("absent")).IsIOError() ? '1' : '0';
    }
    return pattern;
  };
  const std::string a = run(11), b = run(11), c = run(12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  const auto ones = std::count(a.begin(), a.end(), '1');
  EXPECT_GT(ones, 60);
  EXPECT_LT(ones, 140);
}

TEST_F(FaultInjectionEnvTest, ShortWriteLeavesPrefix) {
  FaultRule rule;
  rule.op = FaultOp::kAppend;
  rule.kind = FaultKind::kShortWrite;
  env_.AddFault(rule);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("s"), &f).ok());
  EXPECT_TRUE(f->Append("0123456789").IsIOError());
  ASSERT_TRUE(f->Close().ok());
  const std::string got = Read("s");
  EXPECT_LT(got.size(), 10u);
  EXPECT_EQ(got, std::string("0123456789").substr(0, got.size()));
  EXPECT_TRUE(env_.IsFilesystemActive());
}

TEST_F(FaultInjectionEnvTest, TornWriteDeactivatesFilesystem) {
  FaultRule rule;
  rule.op = FaultOp::kAppend;
  rule.kind = FaultKind::kTornWrite;
  env_.AddFault(rule);
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("t"), &f).ok());
  EXPECT_TRUE(f->Append("abcdef").IsIOError());
  EXPECT_FALSE(env_.IsFilesystemActive());
  env_.ClearFaults();
  EXPECT_TRUE(f->Append("more").IsIOError());
  EXPECT_TRUE(f->Sync().IsIOError());
  std::unique_ptr<WritableFile> g;
  EXPECT_TRUE(env_.NewWritableFile(Path("u"), &g).IsIOError());
  EXPECT_TRUE(env_.SyncDir(dir_.path()).IsIOError());
  // Reads still work while inactive.
  std::string data;
  EXPECT_TRUE(ReadFileToString(&env_, Path("t"), &data).ok());
  f->Close();
}

TEST_F(FaultInjectionEnvTest, ReadFaults) {
  Write("1.sst", std::string(100, 'a'), true);
  std::unique_ptr<RandomAccessFile> f;
  ASSERT_TRUE(env_.NewRandomAccessFile(Path("1.sst"), &f).ok());
  char scratch[100];
  std::string_view got;
  int id = env_.FailAlways(FaultOp::kRead, ".sst");
  EXPECT_TRUE(f->Read(0, 100, &got, scratch).IsIOError());
  env_.RemoveFault(id);
  env_.FailAlways(FaultOp::kRead, ".sst", FaultKind::kCorruptRead);
  ASSERT_TRUE(f->Read(0, 100, &got, scratch).ok());
  ASSERT_EQ(got.size(), 100u);
  EXPECT_NE(got, std::string(100, 'a'));
  int diff = 0;
  for (char c : got) diff += c != 'a';
  EXPECT_EQ(diff, 1);
  env_.ClearFaults();
  env_.FailAlways(FaultOp::kOpenRead, "1.sst");
  EXPECT_TRUE(env_.NewRandomAccessFile(Path("1.sst"), &f).IsIOError());
  std::unique_ptr<SequentialFile> sf;
  EXPECT_TRUE(env_.NewSequentialFile(Path("1.sst"), &sf).IsIOError());
}

TEST_F(FaultInjectionEnvTest, RenameCreateSyncDirFaults) {
  Write("CURRENT.tmp", "x", true);
  env_.FailAlways(FaultOp::kRename, "CURRENT");
  EXPECT_TRUE(env_.RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).IsIOError());
  EXPECT_TRUE(env_.FileExists(Path("CURRENT.tmp")));
  env_.FailAlways(FaultOp::kCreate, "MANIFEST", FaultKind::kNoSpace);
  std::unique_ptr<WritableFile> f;
  EXPECT_TRUE(env_.NewWritableFile(Path("MANIFEST-000001"), &f).IsIOError());
  EXPECT_FALSE(env_.FileExists(Path("MANIFEST-000001")));
  env_.FailAlways(FaultOp::kSyncDir, "");
  EXPECT_TRUE(env_.SyncDir(dir_.path()).IsIOError());
  EXPECT_EQ(env_.TotalFaults(), 3u);
  env_.ResetFaultCounts();
  EXPECT_EQ(env_.TotalFaults(), 0u);
}

TEST_F(FaultInjectionEnvTest, PowerLossTruncatesToSyncedSize) {
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewWritableFile(Path("w.log"), &f).ok());
  ASSERT_TRUE(f->Append("synced").ok());
  ASSERT_TRUE(f->Sync().ok());
  SyncDir();
  ASSERT_TRUE(f->Append("-lost").ok());
  ASSERT_TRUE(f->Close().ok());
  EXPECT_EQ(Read("w.log"), "synced-lost");
  EXPECT_EQ(env_.UnsyncedBytes(Path("w.log")), 5u);
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("w.log"), "synced");
}

TEST_F(FaultInjectionEnvTest, PowerLossDeletesFilesWhoseCreationWasNotSynced) {
  Write("a", "aaa", true);  // synced data, but the directory entry is not
  EXPECT_EQ(env_.PendingDirEntries(), 1u);
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_FALSE(env_.FileExists(Path("a")));

  Write("b", "bbb", true);
  SyncDir();
  EXPECT_EQ(env_.PendingDirEntries(), 0u);
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("b"), "bbb");
}

TEST_F(FaultInjectionEnvTest, PowerLossUndoesRenameNotMadeDurable) {
  Write("CURRENT", "old", true);
  SyncDir();
  Write("CURRENT.tmp", "new", true);
  ASSERT_TRUE(env_.RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).ok());
  EXPECT_EQ(Read("CURRENT"), "new");
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("CURRENT"), "old");
  EXPECT_FALSE(env_.FileExists(Path("CURRENT.tmp")));

  // With the directory synced after the rename, the new contents stay.
  Write("CURRENT.tmp", "new", true);
  ASSERT_TRUE(env_.RenameFile(Path("CURRENT.tmp"), Path("CURRENT")).ok());
  SyncDir();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("CURRENT"), "new");
}

TEST_F(FaultInjectionEnvTest, PowerLossRestoresDurableSourceOfRename) {
  Write("LOG", "durable", true);
  SyncDir();
  ASSERT_TRUE(env_.RenameFile(Path("LOG"), Path("LOG.old")).ok());
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("LOG"), "durable");
  EXPECT_FALSE(env_.FileExists(Path("LOG.old")));
}

TEST_F(FaultInjectionEnvTest, PowerLossUndoesDeletionNotMadeDurable) {
  Write("1.sst", "table", true);
  SyncDir();
  ASSERT_TRUE(env_.RemoveFile(Path("1.sst")).ok());
  EXPECT_FALSE(env_.FileExists(Path("1.sst")));
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("1.sst"), "table");

  ASSERT_TRUE(env_.RemoveFile(Path("1.sst")).ok());
  SyncDir();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_FALSE(env_.FileExists(Path("1.sst")));
}

TEST_F(FaultInjectionEnvTest, PreexistingFilesCountAsDurable) {
  ASSERT_TRUE(WriteStringToFile(Env::Default(), "before", Path("pre"), true).ok());
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewAppendableFile(Path("pre"), &f).ok());
  ASSERT_TRUE(f->Append("+after").ok());
  ASSERT_TRUE(f->Close().ok());
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("pre"), "before");
}

TEST_F(FaultInjectionEnvTest, UnsyncedTailModes) {
  for (UnsyncedTail mode :
       {UnsyncedTail::kRandomPrefix, UnsyncedTail::kZeros, UnsyncedTail::kGarbage}) {
    env_.SetUnsyncedTail(mode);
    Write("t", "", true);
    SyncDir();
    std::unique_ptr<WritableFile> f;
    ASSERT_TRUE(env_.NewAppendableFile(Path("t"), &f).ok());
    ASSERT_TRUE(f->Append("head").ok());
    ASSERT_TRUE(f->Sync().ok());
    ASSERT_TRUE(f->Append(std::string(1000, 'x')).ok());
    ASSERT_TRUE(f->Close().ok());
    ASSERT_TRUE(env_.SimulatePowerLoss().ok());
    const std::string got = Read("t");
    ASSERT_GE(got.size(), 4u);
    EXPECT_LE(got.size(), 1004u);
    EXPECT_EQ(got.substr(0, 4), "head");
    const std::string tail = got.substr(4);
    if (mode == UnsyncedTail::kRandomPrefix) {
      EXPECT_EQ(tail, std::string(tail.size(), 'x'));
    }
    if (mode == UnsyncedTail::kZeros) {
      EXPECT_EQ(tail, std::string(tail.size(), '\0'));
    }
  }
}

TEST_F(FaultInjectionEnvTest, SimulatePowerLossReactivatesFilesystem) {
  env_.SetFilesystemActive(false);
  EXPECT_FALSE(env_.IsFilesystemActive());
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_TRUE(env_.IsFilesystemActive());
  Write("z", "ok", true);
}

TEST_F(FaultInjectionEnvTest, SkipRealSyncKeepsTheModel) {
  env_.SetSkipRealSync(true);
  EXPECT_TRUE(env_.SkipRealSync());
  Write("kept", "synced", true);
  Write("lost", "synced", true);
  SyncDir();
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env_.NewAppendableFile(Path("kept"), &f).ok());
  ASSERT_TRUE(f->Append("+unsynced").ok());
  ASSERT_TRUE(f->Close().ok());
  Write("new", "x", true);  // directory entry never synced
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("kept"), "synced");
  EXPECT_EQ(Read("lost"), "synced");
  EXPECT_FALSE(env_.FileExists(Path("new")));
}

TEST_F(FaultInjectionEnvTest, ConcurrentAppendsAndSyncsAreCounted) {
  env_.AddFault(FaultRule{.file_filter = "",
                          .op = FaultOp::kSync,
                          .trigger = FaultTrigger::kProbability,
                          .p = 0.5,
                          .seed = 3});
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      std::unique_ptr<WritableFile> f;
      ASSERT_TRUE(env_.NewWritableFile(Path("c" + std::to_string(t)), &f).ok());
      for (int i = 0; i < 100; i++) {
        ASSERT_TRUE(f->Append("x").ok());
        if (!f->Sync().ok()) failed++;
      }
      f->Close();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(env_.FaultCount(FaultOp::kSync), static_cast<uint64_t>(failed.load()));
  EXPECT_GT(failed.load(), 0);
  EXPECT_LT(failed.load(), 400);
}

// ---- RandomRWFile (page files) ----

class FaultRandomRWFileTest : public FaultInjectionEnvTest {
 protected:
  // A durable 4-page file "p.jdb" of 'a', 'b', 'c', 'd' pages (kPage bytes each), open in f_.
  void SetUp() override {
    ASSERT_TRUE(env_.NewRandomRWFile(Path("p.jdb"), &f_).ok());
    for (int i = 0; i < 4; i++) ASSERT_TRUE(f_->Write(i * kPage, Page('a' + i)).ok());
    ASSERT_TRUE(f_->Sync().ok());
    SyncDir();
    EXPECT_EQ(env_.UnsyncedBytes(Path("p.jdb")), 0u);
  }
  void TearDown() override {
    if (f_ != nullptr) f_->Close();
  }
  static std::string Page(int c) { return std::string(kPage, static_cast<char>(c)); }
  std::string PageOnDisk(int i) { return Read("p.jdb").substr(i * kPage, kPage); }

  static constexpr size_t kPage = 512;
  std::unique_ptr<RandomRWFile> f_;
};

TEST_F(FaultRandomRWFileTest, PowerLossUndoesUnsyncedOverwritesAndExtensions) {
  ASSERT_TRUE(f_->Write(1 * kPage, Page('x')).ok());
  ASSERT_TRUE(f_->Write(1 * kPage, Page('y')).ok());  // twice: the durable 'b' comes back
  ASSERT_TRUE(f_->Write(4 * kPage, Page('e')).ok());  // past the durable end
  EXPECT_EQ(env_.UnsyncedBytes(Path("p.jdb")), 3 * kPage);
  f_->Close();
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("p.jdb"), Page('a') + Page('b') + Page('c') + Page('d'));
}

TEST_F(FaultRandomRWFileTest, SyncedWritesSurvivePowerLoss) {
  ASSERT_TRUE(f_->Write(2 * kPage, Page('x')).ok());
  ASSERT_TRUE(f_->Write(4 * kPage, Page('e')).ok());
  ASSERT_TRUE(f_->Sync().ok());
  ASSERT_TRUE(f_->Write(3 * kPage, Page('z')).ok());  // after the sync: lost
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("p.jdb"), Page('a') + Page('b') + Page('x') + Page('d') + Page('e'));
}

TEST_F(FaultRandomRWFileTest, NewFileVanishesWithoutDirSync) {
  std::unique_ptr<RandomRWFile> g;
  ASSERT_TRUE(env_.NewRandomRWFile(Path("new.jdb"), &g).ok());
  ASSERT_TRUE(g->Write(0, "page").ok());
  ASSERT_TRUE(g->Sync().ok());  // the data is synced, the name is not
  g.reset();
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_FALSE(env_.FileExists(Path("new.jdb")));
  EXPECT_EQ(Read("p.jdb").size(), 4 * kPage);  // existing file untouched
}

TEST_F(FaultRandomRWFileTest, ReopeningDoesNotTruncate) {
  f_.reset();
  ASSERT_TRUE(env_.NewRandomRWFile(Path("p.jdb"), &f_).ok());
  uint64_t size = 0;
  ASSERT_TRUE(f_->GetSize(&size).ok());
  EXPECT_EQ(size, 4 * kPage);
  char scratch[kPage];
  std::string_view got;
  ASSERT_TRUE(f_->Read(3 * kPage, kPage, &got, scratch).ok());
  EXPECT_EQ(got, Page('d'));
}

TEST_F(FaultRandomRWFileTest, WriteFaults) {
  env_.FailAlways(FaultOp::kWrite, ".jdb", FaultKind::kNoSpace);
  Status s = f_->Write(0, Page('x'));
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("No space left on device"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("write "), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("p.jdb"), std::string::npos) << s.ToString();
  EXPECT_EQ(PageOnDisk(0), Page('a'));  // nothing written
  env_.ClearFaults();

  env_.FailAlways(FaultOp::kWrite, "p.jdb");
  EXPECT_TRUE(f_->Write(kPage, Page('x')).IsIOError());
  EXPECT_EQ(PageOnDisk(1), Page('b'));
  env_.ClearFaults();

  FaultRule rule;
  rule.op = FaultOp::kWrite;
  rule.kind = FaultKind::kShortWrite;
  env_.AddFault(rule);
  EXPECT_TRUE(f_->Write(2 * kPage, Page('x')).IsIOError());
  const std::string page = PageOnDisk(2);
  const size_t prefix = page.find('c');
  EXPECT_LT(prefix, kPage);
  EXPECT_EQ(page, std::string(prefix, 'x') + std::string(kPage - prefix, 'c'));
  EXPECT_TRUE(env_.IsFilesystemActive());
  EXPECT_EQ(env_.FaultCount(FaultOp::kWrite), 3u);
  // The short write was not synced: a power loss undoes its prefix.
  env_.ClearFaults();
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(PageOnDisk(2), Page('c'));
}

TEST_F(FaultRandomRWFileTest, SyncFailureKeepsWritesUndurable) {
  ASSERT_TRUE(f_->Write(0, Page('x')).ok());
  env_.FailAlways(FaultOp::kSync, ".jdb");
  Status s = f_->Sync();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("sync "), std::string::npos) << s.ToString();
  EXPECT_EQ(env_.UnsyncedBytes(Path("p.jdb")), kPage);
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(PageOnDisk(0), Page('a'));
}

TEST_F(FaultRandomRWFileTest, TornPageWritePersistsItsPrefix) {
  ASSERT_TRUE(f_->Write(0, Page('w')).ok());  // unsynced, undone at the power loss
  FaultRule rule;
  rule.op = FaultOp::kWrite;
  rule.kind = FaultKind::kTornWrite;
  env_.AddFault(rule);
  EXPECT_TRUE(f_->Write(kPage, Page('x')).IsIOError());
  EXPECT_FALSE(env_.IsFilesystemActive());
  EXPECT_TRUE(f_->Write(3 * kPage, Page('y')).IsIOError());  // the "machine" is down
  EXPECT_TRUE(f_->Sync().IsIOError());
  const std::string torn = PageOnDisk(1);
  const size_t prefix = torn.find('b');
  ASSERT_LT(prefix, kPage);
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_TRUE(env_.IsFilesystemActive());
  EXPECT_EQ(PageOnDisk(0), Page('a'));
  // The torn page is what the disk holds: the new prefix over the old page.
  EXPECT_EQ(PageOnDisk(1), torn);
  EXPECT_EQ(PageOnDisk(3), Page('d'));
}

TEST_F(FaultRandomRWFileTest, ReadFaults) {
  char scratch[kPage];
  std::string_view got;
  const int id = env_.FailAlways(FaultOp::kRead, ".jdb");
  Status s = f_->Read(0, kPage, &got, scratch);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.ToString().find("p.jdb"), std::string::npos) << s.ToString();
  env_.RemoveFault(id);
  env_.FailAlways(FaultOp::kRead, ".jdb", FaultKind::kCorruptRead);
  ASSERT_TRUE(f_->Read(0, kPage, &got, scratch).ok());
  ASSERT_EQ(got.size(), kPage);
  EXPECT_NE(got, Page('a'));  // exactly one bit differs
  int bits = 0;
  for (size_t i = 0; i < kPage; i++) bits += __builtin_popcount(static_cast<uint8_t>(got[i] ^ 'a'));
  EXPECT_EQ(bits, 1);
}

TEST_F(FaultRandomRWFileTest, CreateFaultAndInactiveFilesystem) {
  env_.FailAlways(FaultOp::kCreate, ".jdb", FaultKind::kNoSpace);
  std::unique_ptr<RandomRWFile> g;
  EXPECT_TRUE(env_.NewRandomRWFile(Path("q.jdb"), &g).IsIOError());
  EXPECT_FALSE(env_.FileExists(Path("q.jdb")));
  env_.ClearFaults();
  env_.SetFilesystemActive(false);
  EXPECT_TRUE(env_.NewRandomRWFile(Path("q.jdb"), &g).IsIOError());  // would create it
  ASSERT_TRUE(env_.NewRandomRWFile(Path("p.jdb"), &g).ok());         // exists: for reading
  char scratch[kPage];
  std::string_view got;
  ASSERT_TRUE(g->Read(0, kPage, &got, scratch).ok());
  EXPECT_EQ(got, Page('a'));
  EXPECT_TRUE(g->Write(0, "x").IsIOError());
}

// With a tail mode other than kDrop each unsynced overwrite is undone, kept or torn; whatever
// happens, every byte is either the durable one or the one last written there.
TEST_F(FaultRandomRWFileTest, TailModesKeepUndoOrTearEachOverwrite) {
  for (UnsyncedTail mode : {UnsyncedTail::kRandomPrefix, UnsyncedTail::kZeros}) {
    std::set<std::string> outcomes;
    for (int round = 0; round < 12; round++) {
      if (f_ == nullptr) {
        ASSERT_TRUE(env_.NewRandomRWFile(Path("p.jdb"), &f_).ok());
      }
      for (int i = 0; i < 4; i++) ASSERT_TRUE(f_->Write(i * kPage, Page('a' + i)).ok());
      ASSERT_TRUE(f_->Sync().ok());
      for (int i = 0; i < 4; i++) ASSERT_TRUE(f_->Write(i * kPage, Page('w' + i)).ok());
      f_.reset();
      env_.SetUnsyncedTail(mode);
      ASSERT_TRUE(env_.SimulatePowerLoss().ok());
      const std::string data = Read("p.jdb");
      ASSERT_EQ(data.size(), 4 * kPage);
      for (size_t b = 0; b < data.size(); b++) {
        const char durable = static_cast<char>('a' + b / kPage);
        const char fresh = static_cast<char>('w' + b / kPage);
        const bool ok = data[b] == durable || data[b] == fresh ||
                        (mode == UnsyncedTail::kZeros && data[b] == '\0');
        ASSERT_TRUE(ok) << "byte " << b << " is " << static_cast<int>(data[b]);
      }
      outcomes.insert(data);
    }
    EXPECT_GT(outcomes.size(), 2u);  // not always the same outcome
  }
  env_.SetUnsyncedTail(UnsyncedTail::kDrop);
}

TEST_F(FaultRandomRWFileTest, ConcurrentWritersOfDistinctPagesAndSync) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; i++) {
        ASSERT_TRUE(f_->Write(t * kPage, Page('k' + t)).ok());
        if (i % 10 == 0) {
          ASSERT_TRUE(f_->Sync().ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(f_->Sync().ok());
  f_.reset();
  ASSERT_TRUE(env_.SimulatePowerLoss().ok());
  EXPECT_EQ(Read("p.jdb"), Page('k') + Page('l') + Page('m') + Page('n'));
}

}  // namespace
}  // namespace jadedb
