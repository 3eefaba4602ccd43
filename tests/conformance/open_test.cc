// Conformance: opening, locking, engine identity, options validation, properties, checksum
// verification and DestroyDB, for every engine.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "conformance/engines.h"
#include "jadedb/db.h"

extern char** environ;

namespace jadedb::test {
namespace {

namespace fs = std::filesystem;

// Every file under dir, by relative path, with its size: "nothing changed" means equal maps.
std::map<std::string, uintmax_t> FileSizes(const std::string& dir) {
  std::map<std::string, uintmax_t> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    out[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? e.file_size() : 0;
  }
  return out;
}

// The directory's files once background work (obsolete-file cleanup, info log) has settled:
// the listing is taken until two in a row, 100 ms apart, agree.
std::map<std::string, uintmax_t> SettledFileSizes(const std::string& dir) {
  auto last = FileSizes(dir);
  for (int i = 0; i < 50; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = FileSizes(dir);
    if (now == last) break;
    last = std::move(now);
  }
  return last;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// The child half of LockHeldAcrossProcesses. The parent forks and execs this same binary with
// JADEDB_LOCK_CHILD_DB set; before any test runs, this environment tries DB::Open there and
// exits: 0 = Busy naming the LOCK file, 1 = opened (lock not enforced), 2 = another error,
// 3 = Busy without naming the lock file. The exec matters: a plain fork would inherit the
// parent's in-process lock table and could pass without the OS-level lock working.
class LockChildEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    const char* path = std::getenv("JADEDB_LOCK_CHILD_DB");
    if (path == nullptr) return;
    Options options;
    options.engine = static_cast<EngineType>(std::atoi(std::getenv("JADEDB_LOCK_CHILD_ENGINE")));
    options.create_if_missing = true;
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, path, &db);
    std::fprintf(stderr, "lock child: DB::Open -> %s\n", s.ToString().c_str());
    int code = s.IsBusy() ? (Contains(s.message(), "LOCK") ? 0 : 3) : (s.ok() ? 1 : 2);
    std::_Exit(code);  // no destructors: leave the directory exactly as it is
  }
};
testing::Environment* const kLockChildEnv =
    testing::AddGlobalTestEnvironment(new LockChildEnvironment);

class OpenTest : public EngineTest {};

TEST_P(OpenTest, CreateIfMissingFalseOnMissingDirFails) {
  options_.create_if_missing = false;
  Status s = TryOpen();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(db_, nullptr);
  EXPECT_FALSE(fs::exists(path_)) << "a failed open created " << path_;
  // An existing but empty directory holds no DB either.
  fs::create_directory(path_);
  s = TryOpen();
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
}

TEST_P(OpenTest, ErrorIfExists) {
  options_.error_if_exists = true;
  Open();  // a new DB: fine
  ASSERT_TRUE(Put("k", "v").ok());
  db_.reset();
  Status s = TryOpen();
  EXPECT_FALSE(s.ok()) << "error_if_exists opened an existing DB";
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  options_.error_if_exists = false;
  Open();
  EXPECT_EQ(Get("k"), "v");
}

TEST_P(OpenTest, SecondOpenInSameProcessIsBusy) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  std::unique_ptr<DB> second;
  Status s = DB::Open(options_, path_, &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_TRUE(Contains(s.message(), "LOCK")) << s.ToString();
  EXPECT_EQ(second, nullptr);
  // The first DB is unharmed, and once closed the path opens again.
  EXPECT_EQ(Get("k"), "v");
  ASSERT_TRUE(Put("k2", "v2").ok());
  Reopen();
  EXPECT_EQ(Get("k"), "v");
  EXPECT_EQ(Get("k2"), "v2");
}

TEST_P(OpenTest, LockHeldAcrossProcesses) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  const auto before = SettledFileSizes(path_);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; e++) env_strings.emplace_back(*e);
  env_strings.push_back("JADEDB_LOCK_CHILD_DB=" + path_);
  env_strings.push_back("JADEDB_LOCK_CHILD_ENGINE=" + std::to_string(static_cast<int>(engine())));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char arg0[] = "conformance_test_lock_child";
  char* argv[] = {arg0, nullptr};

  pid_t pid = fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    execve("/proc/self/exe", argv, envp.data());
    std::_Exit(127);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus)) << "child died: status " << wstatus;
  int code = WEXITSTATUS(wstatus);
  EXPECT_EQ(code, 0) << "child exit " << code
                     << " (1 = opened while locked, 2 = other error, 3 = Busy not naming LOCK,"
                        " 127 = exec failed); see its stderr";
  EXPECT_EQ(FileSizes(path_), before) << "the refused open changed the directory";
  EXPECT_EQ(Get("k"), "v");
}

// A directory made by one engine, opened with another: a clear error naming the engine that
// made it (and, once both engines exist, InvalidArgument naming both); nothing is changed.
TEST_P(OpenTest, OpenWithAnotherEngineFails) {
  Open();
  ASSERT_TRUE(Put("k", "v").ok());
  db_.reset();
  const auto before = FileSizes(path_);
  for (EngineType other : {EngineType::kLsm, EngineType::kBPlusTree}) {
    if (other == engine()) continue;
    Options o = options_;
    o.engine = other;
    std::unique_ptr<DB> db;
    Status s = DB::Open(o, path_, &db);
    ASSERT_FALSE(s.ok()) << "opened a " << EngineTypeName(engine()) << " DB as "
                         << EngineTypeName(other);
    EXPECT_TRUE(s.IsInvalidArgument() || s.IsNotSupported()) << s.ToString();
    EXPECT_TRUE(Contains(s.message(), EngineTypeName(engine()))) << s.ToString();
    if (s.IsInvalidArgument()) {
      EXPECT_TRUE(Contains(s.message(), EngineTypeName(other))) << s.ToString();
    }
    EXPECT_EQ(FileSizes(path_), before) << "the refused open changed the directory";
  }
  Open();
  EXPECT_EQ(Get("k"), "v");
  EXPECT_EQ(db_->engine(), engine());
}

TEST_P(OpenTest, Properties) {
  Open();
  for (int i = 0; i < 100; i++) ASSERT_TRUE(Put("k" + std::to_string(i), "v").ok());
  std::string value;
  ASSERT_TRUE(db_->GetProperty("jadedb.stats", &value));
  EXPECT_FALSE(value.empty());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ASSERT_TRUE(db_->GetProperty("jadedb.stats", &value));
  EXPECT_FALSE(value.empty());
  EXPECT_FALSE(db_->GetProperty("jadedb.no-such-property", &value));
  EXPECT_FALSE(db_->GetProperty("", &value));
  EXPECT_FALSE(db_->GetProperty("jadedb.stats.", &value));
}

TEST_P(OpenTest, VerifyChecksumsOnHealthyDb) {
  Open();
  std::string report;
  Status s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.ok()) << s.ToString();  // empty DB
  Random rnd(3);
  for (int i = 0; i < 2000; i++)
    ASSERT_TRUE(Put("k" + std::to_string(i), RandomBytes(&rnd, 100)).ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  for (int i = 0; i < 100; i++) ASSERT_TRUE(Put("m" + std::to_string(i), "unflushed").ok());
  report.clear();
  s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(report.empty()) << "the report should list what was checked";
  Reopen();
  s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_P(OpenTest, DestroyDbRemovesIt) {
  Open();
  for (int i = 0; i < 1000; i++)
    ASSERT_TRUE(Put("k" + std::to_string(i), std::string(100, 'v')).ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  db_.reset();
  Status s = DestroyDB(path_, options_);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_FALSE(fs::exists(path_));
  options_.create_if_missing = false;
  EXPECT_FALSE(TryOpen().ok());
  options_.create_if_missing = true;
  Open();
  EXPECT_EQ(Scan().size(), 0u);
  EXPECT_EQ(Get("k1"), "NOT_FOUND");
}

TEST_P(OpenTest, EngineReported) {
  Open();
  EXPECT_EQ(db_->engine(), engine());
}

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(OpenTest);

// Settings that cannot work are InvalidArgument from Open, naming the setting.
TEST(LsmOptionsTest, InvalidSettingsRejected) {
  struct Case {
    const char* field;
    std::function<void(LsmOptions*)> mutate;
  };
  const std::vector<Case> cases = {
      {"write_buffer_size", [](LsmOptions* o) { o->write_buffer_size = 0; }},
      {"block_size", [](LsmOptions* o) { o->block_size = 0; }},
      {"level0_stop_writes_trigger",
       [](LsmOptions* o) {
         o->level0_slowdown_writes_trigger = 20;
         o->level0_stop_writes_trigger = 10;
       }},
      {"max_bytes_for_level_multiplier",
       [](LsmOptions* o) { o->max_bytes_for_level_multiplier = 1.0; }},
      {"max_bytes_for_level_multiplier",
       [](LsmOptions* o) { o->max_bytes_for_level_multiplier = 0.5; }},
      {"max_background_jobs", [](LsmOptions* o) { o->max_background_jobs = 0; }},
      {"max_background_jobs", [](LsmOptions* o) { o->max_background_jobs = -1; }},
      {"target_file_size", [](LsmOptions* o) { o->target_file_size = 0; }},
      {"max_bytes_for_level_base", [](LsmOptions* o) { o->max_bytes_for_level_base = 0; }},
      {"block_restart_interval", [](LsmOptions* o) { o->block_restart_interval = 0; }},
      {"level0_file_num_compaction_trigger",
       [](LsmOptions* o) { o->level0_file_num_compaction_trigger = 0; }},
      {"max_immutable_memtables", [](LsmOptions* o) { o->max_immutable_memtables = 0; }},
  };
  for (const Case& c : cases) {
    TempDir dir;
    Options options = SmallOptions(EngineType::kLsm);
    c.mutate(&options.lsm);
    std::unique_ptr<DB> db;
    Status s = DB::Open(options, dir.Join("db"), &db);
    EXPECT_TRUE(s.IsInvalidArgument()) << c.field << ": " << s.ToString();
    EXPECT_TRUE(Contains(s.message(), c.field)) << c.field << ": " << s.ToString();
    EXPECT_EQ(db, nullptr);
  }
}

}  // namespace
}  // namespace jadedb::test
