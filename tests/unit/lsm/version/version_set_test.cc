#include "lsm/version/version_set.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "unit/lsm/version/version_test_util.h"

namespace jadedb::lsm::test {
namespace {

// Forwards to the default Env; can make the Sync of manifest files fail.
class ManifestFaultEnv final : public EnvWrapper {
 public:
  ManifestFaultEnv() : EnvWrapper(Env::Default()) {}
  std::atomic<bool> fail_manifest_sync{false};
  std::atomic<int> manifest_syncs{0};
  std::function<void()> on_sync;  // runs inside every manifest Sync

  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    Status s = EnvWrapper::NewWritableFile(p, r);
    if (s.ok() && p.find("MANIFEST-") != std::string::npos) {
      *r = std::make_unique<File>(this, std::move(*r));
    }
    return s;
  }

 private:
  class File final : public WritableFile {
   public:
    File(ManifestFaultEnv* env, std::unique_ptr<WritableFile> base)
        : env_(env), base_(std::move(base)) {}
    Status Append(std::string_view d) override { return base_->Append(d); }
    Status Flush() override { return base_->Flush(); }
    Status Sync() override {
      env_->manifest_syncs++;
      if (env_->on_sync) env_->on_sync();
      if (env_->fail_manifest_sync) return Status::IOError("injected manifest sync failure");
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    ManifestFaultEnv* env_;
    std::unique_ptr<WritableFile> base_;
  };
};

class VersionSetTest : public VersionTestBase {
 protected:
  std::string ReadCurrent() {
    std::string s;
    EXPECT_TRUE(ReadFileToString(options_.env, CurrentFileName(dir_.path()), &s).ok());
    return s;
  }
};

TEST_F(VersionSetTest, FirstLogAndApplyCreatesManifestAndCurrent) {
  EXPECT_EQ(vset_->ManifestFileNumber(), 0u);
  EXPECT_FALSE(options_.env->FileExists(CurrentFileName(dir_.path())));
  uint64_t log_number = vset_->NewFileNumber();
  EXPECT_EQ(log_number, 1u);
  VersionEdit edit;
  edit.SetLogNumber(log_number);
  ASSERT_TRUE(Apply(&edit).ok());

  EXPECT_EQ(vset_->ManifestFileNumber(), 2u);
  EXPECT_EQ(ReadCurrent(), "MANIFEST-000002\n");
  EXPECT_TRUE(options_.env->FileExists(ManifestFileName(dir_.path(), 2)));
  EXPECT_EQ(vset_->LogNumber(), 1u);
  EXPECT_EQ(vset_->NewFileNumber(), 3u);
  // The edit was completed with the counters.
  EXPECT_TRUE(edit.has_next_file_number());
  EXPECT_EQ(edit.next_file_number(), 3u);
  EXPECT_TRUE(edit.has_last_sequence());
  EXPECT_TRUE(edit.has_prev_log_number());

  // Later edits append to the same manifest.
  uint64_t size_before, size_after;
  ASSERT_TRUE(options_.env->GetFileSize(ManifestFileName(dir_.path(), 2), &size_before).ok());
  AddFile(1, 10, "a", "b");
  ASSERT_TRUE(options_.env->GetFileSize(ManifestFileName(dir_.path(), 2), &size_after).ok());
  EXPECT_GT(size_after, size_before);
  EXPECT_EQ(vset_->ManifestFileNumber(), 2u);
}

TEST_F(VersionSetTest, LogNumberMustNotGoBackwardsOrAhead) {
  VersionEdit edit;
  edit.SetLogNumber(vset_->NewFileNumber());
  ASSERT_TRUE(Apply(&edit).ok());
  VersionEdit back;
  back.SetLogNumber(0);
  EXPECT_TRUE(Apply(&back).IsInvalidArgument());
  VersionEdit ahead;
  ahead.SetLogNumber(1000);  // never allocated
  EXPECT_TRUE(Apply(&ahead).IsInvalidArgument());
}

TEST_F(VersionSetTest, CountersAndLevelStats) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    vset_->SetLastSequence(77);
  }
  VersionEdit edit;
  AddFileTo(&edit, 0, 10, "a", "b", 100);
  AddFileTo(&edit, 0, 11, "a", "b", 200);
  AddFileTo(&edit, 3, 12, "a", "b", 5000);
  ASSERT_TRUE(Apply(&edit).ok());
  EXPECT_EQ(vset_->LastSequence(), 77u);
  EXPECT_EQ(vset_->NumLevelFiles(0), 2);
  EXPECT_EQ(vset_->NumLevelBytes(0), 300);
  EXPECT_EQ(vset_->NumLevelBytes(3), 5000);
  EXPECT_EQ(vset_->LevelSummary(), "files[ 2 0 0 1 0 0 0 ]");
  EXPECT_GE(vset_->NewFileNumber(), 13u);  // fake numbers were marked used
}

TEST_F(VersionSetTest, MaxBytesForLevelGrowsByTheMultiplier) {
  options_.lsm.max_bytes_for_level_base = 1000;
  options_.lsm.max_bytes_for_level_multiplier = 10;
  EXPECT_DOUBLE_EQ(vset_->MaxBytesForLevel(1), 1000);
  EXPECT_DOUBLE_EQ(vset_->MaxBytesForLevel(2), 10000);
  EXPECT_DOUBLE_EQ(vset_->MaxBytesForLevel(4), 1000000);
  options_.lsm.target_file_size = 64;
  EXPECT_EQ(vset_->MaxFileSizeForLevel(3), 64u);
  EXPECT_EQ(vset_->MaxGrandParentOverlapBytes(), 640);
  EXPECT_EQ(vset_->ExpandedCompactionByteSizeLimit(), 1600);
}

TEST_F(VersionSetTest, CompactionScores) {
  options_.lsm.level0_file_num_compaction_trigger = 4;
  options_.lsm.max_bytes_for_level_base = 10000;
  options_.lsm.max_bytes_for_level_multiplier = 10;
  EXPECT_FALSE(vset_->NeedsCompaction());

  AddFile(0, 10, "a", "b");
  AddFile(0, 11, "a", "b");
  AddFile(0, 12, "a", "b");
  EXPECT_DOUBLE_EQ(vset_->CompactionScore(), 0.75);
  EXPECT_EQ(vset_->CompactionLevel(), 0);
  EXPECT_FALSE(vset_->NeedsCompaction());
  AddFile(0, 13, "a", "b");
  EXPECT_TRUE(vset_->NeedsCompaction());
  EXPECT_DOUBLE_EQ(vset_->CompactionScore(), 1.0);

  // Level 2 at 3x its target (100000 bytes) beats L0's 1.0.
  AddFile(2, 20, "c", "d", 300000);
  EXPECT_EQ(vset_->CompactionLevel(), 2);
  EXPECT_DOUBLE_EQ(vset_->CompactionScore(), 3.0);

  // The last level is never scored: it has nowhere to go.
  AddFile(kNumLevels - 1, 30, "e", "f", uint64_t{1} << 50);
  EXPECT_EQ(vset_->CompactionLevel(), 2);
}

TEST_F(VersionSetTest, AddLiveFilesIncludesOlderReferencedVersions) {
  AddFile(1, 10, "a", "b");
  Version* old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    old = vset_->current();
    old->Ref();  // e.g. an open iterator
  }
  VersionEdit edit;
  edit.RemoveFile(1, 10);
  AddFileTo(&edit, 2, 11, "a", "b");
  ASSERT_TRUE(Apply(&edit).ok());

  std::set<uint64_t> live;
  vset_->AddLiveFiles(&live);
  EXPECT_EQ(live, (std::set<uint64_t>{10, 11}));
  {
    std::lock_guard<std::mutex> lock(mu_);
    old->Unref();
  }
  live.clear();
  vset_->AddLiveFiles(&live);
  EXPECT_EQ(live, (std::set<uint64_t>{11}));
}

TEST_F(VersionSetTest, ApproximateOffsetOf) {
  std::vector<Entry> first, second;
  for (int i = 0; i < 200; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%05d", i);
    (i < 100 ? first : second).push_back({key, 1, kTypeValue, std::string(1000, 'v')});
  }
  AddTable(1, 10, first);
  AddTable(1, 11, second);
  Version* v = vset_->current();
  const uint64_t size0 = v->files(1)[0]->file_size;
  const uint64_t total = size0 + v->files(1)[1]->file_size;
  EXPECT_EQ(vset_->ApproximateOffsetOf(v, IKey("a")), 0u);
  EXPECT_EQ(vset_->ApproximateOffsetOf(v, IKey("zzz")), total);
  uint64_t mid = vset_->ApproximateOffsetOf(v, IKey("k00150"));
  EXPECT_GT(mid, size0 + 30000);
  EXPECT_LT(mid, size0 + 70000);
  uint64_t quarter = vset_->ApproximateOffsetOf(v, IKey("k00050"));
  EXPECT_GT(quarter, 30000u);
  EXPECT_LT(quarter, 70000u);
}

TEST_F(VersionSetTest, FailedManifestWriteLeavesVersionAndStartsNewManifest) {
  ManifestFaultEnv env;
  options_.env = &env;
  vset_ = NewVersionSet();
  AddFile(1, 10, "a", "b");
  const uint64_t first_manifest = vset_->ManifestFileNumber();
  Version* before = vset_->current();

  env.fail_manifest_sync = true;
  VersionEdit edit;
  AddFileTo(&edit, 1, 11, "c", "d");
  Status s = Apply(&edit);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_EQ(vset_->current(), before);
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10}));

  // A failure while writing a new manifest removes it and leaves CURRENT alone.
  VersionEdit edit2;
  AddFileTo(&edit2, 1, 12, "e", "f");
  EXPECT_TRUE(Apply(&edit2).IsIOError());
  EXPECT_EQ(vset_->ManifestFileNumber(), first_manifest);
  std::vector<std::string> names;
  ASSERT_TRUE(env.GetChildren(dir_.path(), &names).ok());
  int manifests = 0;
  for (const std::string& n : names) manifests += n.starts_with("MANIFEST-") ? 1 : 0;
  EXPECT_EQ(manifests, 1);
  EXPECT_EQ(ReadCurrent(), "MANIFEST-" +
                               std::string(6 - std::to_string(first_manifest).size(), '0') +
                               std::to_string(first_manifest) + "\n");

  env.fail_manifest_sync = false;
  VersionEdit edit3;
  AddFileTo(&edit3, 1, 13, "g", "h");
  ASSERT_TRUE(Apply(&edit3).ok());
  EXPECT_GT(vset_->ManifestFileNumber(), first_manifest);  // a fresh manifest
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10, 13}));

  // The fresh manifest alone holds the whole state.
  ASSERT_TRUE(Reopen().ok());
  EXPECT_EQ(FileNumbers(1), (std::vector<uint64_t>{10, 13}));
  std::lock_guard<std::mutex> lock(mu_);
  vset_.reset();  // before env goes away
}

TEST_F(VersionSetTest, LogAndApplyReleasesTheMutexWhileSyncing) {
  ManifestFaultEnv env;
  options_.env = &env;
  vset_ = NewVersionSet();
  AddFile(1, 10, "a", "b");
  // During the manifest sync another thread must be able to take the DB mutex.
  bool other_got_it_during_sync = false;
  env.on_sync = [&] {
    std::thread t([&] {
      other_got_it_during_sync = mu_.try_lock();
      if (other_got_it_during_sync) mu_.unlock();
    });
    t.join();
  };
  VersionEdit edit;
  AddFileTo(&edit, 1, 11, "c", "d");
  std::unique_lock<std::mutex> lock(mu_);
  ASSERT_TRUE(vset_->LogAndApply(&edit, &mu_).ok());
  env.on_sync = nullptr;
  EXPECT_TRUE(other_got_it_during_sync);
  // And it is held again on return.
  bool other_got_it_after = true;
  std::thread t([&] {
    other_got_it_after = mu_.try_lock();
    if (other_got_it_after) mu_.unlock();
  });
  t.join();
  EXPECT_FALSE(other_got_it_after);
  vset_.reset();
}

}  // namespace
}  // namespace jadedb::lsm::test
