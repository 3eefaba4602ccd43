// Tests of the global options of the jadedb binary (tools/jadedb/main.cc).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "cli/cli_runner.h"
#include "testutil/test_util.h"

namespace jadedb::test {
namespace {

TEST(MainTest, HelpPrintsUsage) {
  for (const char* flag : {"--help", "-h", "help"}) {
    CliResult r = RunCli({flag});
    EXPECT_EQ(0, r.exit_code) << flag;
    EXPECT_EQ(0u, r.out.find("usage: jadedb [--db DIR] [--engine lsm|bplustree]")) << r.out;
    for (const char* cmd :
         {"put", "get", "del", "scan", "load", "dump", "stats", "compact", "check", "dump-sst"}) {
      EXPECT_NE(std::string::npos, r.out.find(std::string("  ") + cmd + " ")) << cmd;
    }
    EXPECT_EQ("", r.err);
  }
}

TEST(MainTest, UnknownOptionIsUsageError) {
  CliResult r = RunCli({"--bogus", "get", "a"});
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ("", r.out);
  ASSERT_EQ(1u, Lines(r.err).size()) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("--bogus")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("--help")) << r.err;
}

TEST(MainTest, OptionWithoutValueIsUsageError) {
  CliResult r = RunCli({"--db"});
  EXPECT_EQ(2, r.exit_code);
  ASSERT_EQ(1u, Lines(r.err).size()) << r.err;
  r = RunCli({"--engine"});
  EXPECT_EQ(2, r.exit_code);
}

TEST(MainTest, UnknownEngineIsUsageError) {
  TempDir dir;
  CliResult r = RunCli({"--db", dir.Join("db"), "--engine", "btree", "get", "a"});
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("unknown engine 'btree'")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.Join("db")));
}

TEST(MainTest, DbOptionForms) {
  TempDir dir;
  std::string db = dir.Join("db");
  ASSERT_EQ(0, RunCli({"--db=" + db, "--engine=lsm", "put", "k", "v"}).exit_code);
  CliResult r = RunCli({"--engine", "lsm", "--db", db, "get", "k"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("v\n", r.out);
}

TEST(MainTest, DefaultDirectoryIsJadedbData) {
  TempDir dir;
  // The child runs in dir, so ./jadedb-data lands there.
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  CliResult r = RunCli({"put", "k", "v"});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(dir.Join("jadedb-data")));
}

TEST(MainTest, OtherEngineIsRefusedOnAnLsmDb) {
  TempDir dir;
  std::string db = dir.Join("db");
  ASSERT_EQ(0, RunCli({"--db", db, "put", "k", "v"}).exit_code);
  CliResult r = RunCli({"--db", db, "--engine", "bplustree", "get", "k"});
  EXPECT_EQ(2, r.exit_code);
  ASSERT_EQ(1u, Lines(r.err).size()) << r.err;
  EXPECT_EQ(0u, r.err.find("jadedb: ")) << r.err;
}

TEST(MainTest, ExistingDbOpensWithItsOwnEngineWithoutEngineFlag) {
  TempDir dir;
  std::string db = dir.Join("db");
  ASSERT_EQ(0, RunCli({"--db", db, "--engine", "bplustree", "put", "k", "v"}).exit_code);
  // No --engine: the ENGINE marker decides, for reads and for every other command.
  CliResult r = RunCli({"--db", db, "get", "k"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("v\n", r.out);
  r = RunCli({"--db", db, "check"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  r = RunCli({"--db", db, "--engine", "lsm", "get", "k"});
  EXPECT_EQ(2, r.exit_code) << r.out;
  EXPECT_NE(std::string::npos, r.err.find("bplustree")) << r.err;
}

}  // namespace
}  // namespace jadedb::test
