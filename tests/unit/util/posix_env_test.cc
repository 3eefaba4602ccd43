#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "jadedb/env.h"
#include "testutil/test_util.h"

namespace jadedb {
namespace {

TEST(PosixEnvTest, WriteReadRenameRemove) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string a = dir.Join("a");
  const std::string b = dir.Join("b");
  ASSERT_TRUE(WriteStringToFile(env, "hello world", a, /*sync=*/true).ok());
  uint64_t size = 0;
  ASSERT_TRUE(env->GetFileSize(a, &size).ok());
  EXPECT_EQ(size, 11u);

  std::unique_ptr<RandomAccessFile> ra;
  ASSERT_TRUE(env->NewRandomAccessFile(a, &ra).ok());
  char scratch[16];
  std::string_view result;
  ASSERT_TRUE(ra->Read(6, 16, &result, scratch).ok());
  EXPECT_EQ(result, "world");  // short read at end of file

  ASSERT_TRUE(env->RenameFile(a, b).ok());
  EXPECT_FALSE(env->FileExists(a));
  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, b, &contents).ok());
  EXPECT_EQ(contents, "hello world");
  std::vector<std::string> names;
  ASSERT_TRUE(env->GetChildren(dir.path(), &names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"b"});
  ASSERT_TRUE(env->RemoveFile(b).ok());
  EXPECT_TRUE(env->RemoveFile(b).IsNotFound());
  EXPECT_TRUE(ReadFileToString(env, b, &contents).IsNotFound());
  EXPECT_TRUE(env->SyncDir(dir.path()).ok());
}

TEST(PosixEnvTest, RandomRWFileWritesAtOffsetsAndKeepsContents) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("pages");
  char scratch[64];
  std::string_view got;
  {
    std::unique_ptr<RandomRWFile> f;
    ASSERT_TRUE(env->NewRandomRWFile(path, &f).ok());  // created
    ASSERT_TRUE(f->Write(10, "tail").ok());            // past the end: a hole before it
    ASSERT_TRUE(f->Write(0, "head").ok());
    ASSERT_TRUE(f->Sync().ok());
    uint64_t size = 0;
    ASSERT_TRUE(f->GetSize(&size).ok());
    EXPECT_EQ(size, 14u);
    ASSERT_TRUE(f->Read(0, 64, &got, scratch).ok());
    EXPECT_EQ(got, std::string("head\0\0\0\0\0\0tail", 14));
    ASSERT_TRUE(f->Close().ok());
    EXPECT_TRUE(f->Write(0, "x").IsIOError());  // closed
  }
  // Reopening keeps the contents (no truncation); overwrites land in place.
  std::unique_ptr<RandomRWFile> f;
  ASSERT_TRUE(env->NewRandomRWFile(path, &f).ok());
  ASSERT_TRUE(f->Write(2, "AD").ok());
  ASSERT_TRUE(f->Read(0, 4, &got, scratch).ok());
  EXPECT_EQ(got, "heAD");
  ASSERT_TRUE(f->Read(100, 4, &got, scratch).ok());
  EXPECT_TRUE(got.empty());  // past the end

  Status s = env->NewRandomRWFile(dir.Join("no/such/dir"), &f);
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.ToString().find("no/such/dir"), std::string::npos) << s.ToString();
  EXPECT_NE(s.ToString().find("No such file or directory"), std::string::npos) << s.ToString();
}

TEST(PosixEnvTest, LargeAppendsAreNotLost) {
  test::TempDir dir;
  Env* env = Env::Default();
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env->NewWritableFile(dir.Join("big"), &f).ok());
  std::string expected;
  for (int i = 0; i < 100; i++) {
    std::string chunk(static_cast<size_t>(i * 977), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(f->Append(chunk).ok());
    expected += chunk;
  }
  ASSERT_TRUE(f->Close().ok());
  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, dir.Join("big"), &contents).ok());
  EXPECT_EQ(contents, expected);
}

// Appends of every size through a mapped log, across several 1 MiB windows: before Close
// the file is the appended bytes followed by reserved zeros (what a crash leaves); Close
// trims it to exactly the appended bytes.
TEST(PosixEnvTest, MappedLogAppendsAcrossWindowsAndCloseTrimsTheReserve) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.Join("000001.log");
  std::unique_ptr<WritableFile> f;
  ASSERT_TRUE(env->NewLogFileMaybeMapped(path, &f).ok());
  std::string expected;
  for (int i = 0; expected.size() < (5u << 19); i++) {  // 2.5 MiB
    std::string chunk(static_cast<size_t>((i * 7919) % 70001), static_cast<char>('a' + i % 26));
    ASSERT_TRUE(f->Append(chunk).ok());
    ASSERT_TRUE(f->Flush().ok());
    expected += chunk;
  }
  ASSERT_TRUE(f->Sync().ok());

  std::string open_contents;
  ASSERT_TRUE(ReadFileToString(env, path, &open_contents).ok());
  ASSERT_GE(open_contents.size(), expected.size());
  EXPECT_EQ(open_contents.size() % (1u << 20), 0u) << "reserved in whole windows";
  EXPECT_EQ(open_contents.substr(0, expected.size()), expected);
  EXPECT_EQ(open_contents.find_first_not_of('\0', expected.size()), std::string::npos);

  ASSERT_TRUE(f->Close().ok());
  std::string contents;
  ASSERT_TRUE(ReadFileToString(env, path, &contents).ok());
  EXPECT_EQ(contents, expected);
  EXPECT_TRUE(f->Sync().IsIOError());  // closed
}

// A process killed right after its appends loses none of them: they are in the page cache.
TEST(PosixEnvTest, MappedLogAppendsSurviveAProcessKill) {
  test::TempDir dir;
  const std::string path = dir.Join("000002.log");
  std::string expected;
  for (int i = 0; i < 3000; i++) expected += "record " + std::to_string(i) + ";";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<WritableFile> f;
    if (!Env::Default()->NewLogFileMaybeMapped(path, &f).ok()) _exit(1);
    for (size_t off = 0; off < expected.size(); off += 100) {
      if (!f->Append(std::string_view(expected).substr(off, 100)).ok()) _exit(1);
      if (!f->Flush().ok()) _exit(1);
    }
    kill(getpid(), SIGKILL);
    _exit(1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << "child failed early";
  std::string contents;
  ASSERT_TRUE(ReadFileToString(Env::Default(), path, &contents).ok());
  ASSERT_GE(contents.size(), expected.size());
  EXPECT_EQ(contents.substr(0, expected.size()), expected);
  EXPECT_EQ(contents.find_first_not_of('\0', expected.size()), std::string::npos);
}

TEST(PosixEnvTest, LockIsExclusiveInThisProcessAndOthers) {
  test::TempDir dir;
  Env* env = Env::Default();
  const std::string lock_path = dir.Join("LOCK");
  std::unique_ptr<FileLock> lock;
  ASSERT_TRUE(env->LockFile(lock_path, &lock).ok());

  std::unique_ptr<FileLock> second;
  Status s = env->LockFile(lock_path, &second);
  EXPECT_TRUE(s.IsBusy()) << s.ToString();
  EXPECT_NE(s.ToString().find(lock_path), std::string::npos);

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<FileLock> child_lock;
    Status cs = Env::Default()->LockFile(lock_path, &child_lock);
    _exit(cs.IsBusy() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << "child was not refused";

  lock.reset();
  EXPECT_TRUE(env->LockFile(lock_path, &second).ok());
}

TEST(PosixEnvTest, CreateDirRejectsAFile) {
  test::TempDir dir;
  Env* env = Env::Default();
  ASSERT_TRUE(WriteStringToFile(env, "x", dir.Join("file"), false).ok());
  EXPECT_FALSE(env->CreateDirIfMissing(dir.Join("file")).ok());
  EXPECT_TRUE(env->CreateDirIfMissing(dir.Join("sub")).ok());
  EXPECT_TRUE(env->CreateDirIfMissing(dir.Join("sub")).ok());
}

}  // namespace
}  // namespace jadedb
