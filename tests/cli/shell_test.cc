// Tests of the jadedb shell (tools/jadedb/shell.cc): commands read from stdin.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "testutil/test_util.h"

namespace jadedb::test {
namespace {

class ShellTest : public ::testing::Test {
 protected:
  CliResult Shell(const std::string& input) { return RunCli({"--db", db_}, input); }

  TempDir dir_;
  std::string db_ = dir_.Join("db");
};

TEST_F(ShellTest, RunsCommandsFromStdin) {
  CliResult r = Shell(
      "put k1 v1\n"
      "put k2 v2\n"
      "get k1\n"
      "del k1\n"
      "get k1\n"
      "\n"
      "   \n"
      "scan\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  // No prompt: stdin is not a terminal.
  EXPECT_EQ("v1\nk2\tv2\n", r.out);
  EXPECT_NE(std::string::npos, r.err.find("NotFound")) << r.err;
  // The writes are in the DB afterwards.
  CliResult g = RunCli({"--db", db_, "get", "k2"});
  EXPECT_EQ("v2\n", g.out);
}

TEST_F(ShellTest, QuotesAndEscapes) {
  CliResult r = Shell(
      "put \"a key\" \"a value with  two spaces\"\n"
      "get \"a key\"\n"
      "put bin\\x00key \\xff\\x09\\\"\n"
      "get bin\\x00key\n"
      "put \"\" empty-key\n"
      "get \"\"\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("a value with  two spaces\n\\xff\\x09\"\nempty-key\n", r.out);
}

TEST_F(ShellTest, QuitStopsReading) {
  CliResult r = Shell("put a 1\nquit\nput b 2\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(1, RunCli({"--db", db_, "get", "b"}).exit_code);
  r = Shell("exit\nput b 2\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ(1, RunCli({"--db", db_, "get", "b"}).exit_code);
}

TEST_F(ShellTest, HelpPrintsUsage) {
  CliResult r = Shell("help\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("usage: jadedb")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("dump-sst")) << r.out;
}

TEST_F(ShellTest, ErrorsDoNotStopTheShell) {
  CliResult r = Shell("frobnicate\nput \"open\nget\nput a 1\nget a\n");
  // Each bad line gives one error line; the good ones still run; the exit code tells a
  // script that something failed.
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ("1\n", r.out);
  std::vector<std::string> err = Lines(r.err);
  ASSERT_EQ(3u, err.size()) << r.err;
  EXPECT_NE(std::string::npos, err[0].find("unknown command 'frobnicate'")) << r.err;
  EXPECT_NE(std::string::npos, err[1].find("quote")) << r.err;
  EXPECT_NE(std::string::npos, err[2].find("missing argument")) << r.err;
  for (const auto& line : err) EXPECT_NE(std::string::npos, line.find("help")) << line;
}

TEST_F(ShellTest, AbsentKeyIsNotAnError) {
  CliResult r = Shell("get nope\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("", r.out);
}

TEST_F(ShellTest, LoadReadsUntilADotLine) {
  CliResult r = Shell(
      "load --batch 2\n"
      "a\t1\n"
      "b\t2\n"
      "-a\n"
      "c\\x00\t3\n"
      ".\n"
      "dump\n");
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("b\t2\nc\\x00\t3\n", r.out);
  EXPECT_NE(std::string::npos, r.err.find("4 records")) << r.err;
}

TEST_F(ShellTest, PromptOnlyOnATerminal) {
  // A pseudo-terminal as stdin makes the shell interactive.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(0, ::grantpt(master));
  ASSERT_EQ(0, ::unlockpt(master));
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  CliProcess shell({"--db", db_}, slave);
  ::close(slave);
  ASSERT_TRUE(shell.started());
  ASSERT_TRUE(shell.WaitForOutput("jadedb> ")) << "no prompt on a terminal";
  std::string cmd = "put a 1\nget a\nquit\n";
  ASSERT_EQ(static_cast<ssize_t>(cmd.size()), ::write(master, cmd.data(), cmd.size()));
  CliResult r = shell.Finish(60);
  ::close(master);
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("jadedb> jadedb> 1\njadedb> ", r.out);
}

TEST_F(ShellTest, FailsAtOnceWhenTheDbCannotOpen) {
  // A regular file where the DB directory should be.
  std::string file = dir_.Join("file");
  ASSERT_EQ(0, RunCli({"--db", dir_.Join("ok"), "put", "a", "b"}).exit_code);
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(nullptr, f);
  std::fclose(f);
  CliResult r = RunCli({"--db", file}, "put a 1\n");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ("", r.out);
  ASSERT_EQ(1u, Lines(r.err).size()) << r.err;
  EXPECT_EQ(0u, r.err.find("jadedb: ")) << r.err;
}

}  // namespace
}  // namespace jadedb::test
