// Tests of the one-shot commands of the jadedb binary (tools/jadedb/commands.cc): put, get,
// del, stats, compact, check, dump-sst, their exit codes and error lines, and the directory
// lock against a second process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "testutil/test_util.h"

namespace jadedb::test {
namespace {

class CommandsTest : public ::testing::Test {
 protected:
  CliResult Run(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {"--db", db_});
    return RunCli(args, input);
  }
  // The .sst files of the DB, by path.
  std::vector<std::string> TableFiles() {
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(db_)) {
      if (e.path().extension() == ".sst") files.push_back(e.path().string());
    }
    return files;
  }
  // Loads n pairs and compacts, so the data is in table files.
  void FillAndCompact(int n) {
    std::string input;
    for (int i = 0; i < n; ++i) {
      char line[128];
      std::snprintf(line, sizeof(line), "key%08d\tvalue-%08d-%s\n", i, i,
                    std::string(60, static_cast<char>('a' + i % 26)).c_str());
      input += line;
    }
    CliResult r = Run({"load"}, input);
    ASSERT_EQ(0, r.exit_code) << r.err;
    r = Run({"compact"});
    ASSERT_EQ(0, r.exit_code) << r.err;
    ASSERT_FALSE(TableFiles().empty()) << "compact left no .sst file";
  }

  TempDir dir_;
  std::string db_ = dir_.Join("db");
};

TEST_F(CommandsTest, PutGetDel) {
  CliResult r = Run({"put", "k1", "v1"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("", r.out);
  EXPECT_EQ("", r.err);

  r = Run({"get", "k1"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("v1\n", r.out);

  r = Run({"put", "k1", "v2"});
  ASSERT_EQ(0, r.exit_code) << r.err;
  r = Run({"get", "k1"});
  EXPECT_EQ("v2\n", r.out);

  r = Run({"del", "k1"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  r = Run({"get", "k1"});
  EXPECT_EQ(1, r.exit_code);
  EXPECT_EQ("", r.out);
  // Deleting an absent key is not an error.
  r = Run({"del", "k1"});
  EXPECT_EQ(0, r.exit_code) << r.err;
}

TEST_F(CommandsTest, GetOfAbsentKeyExitsOne) {
  CliResult r = Run({"get", "nothing-here"});
  EXPECT_EQ(1, r.exit_code) << r.err;
  EXPECT_EQ("", r.out);
  EXPECT_NE(std::string::npos, r.err.find("nothing-here")) << r.err;
}

TEST_F(CommandsTest, CreatesTheDirectoryOnFirstUse) {
  ASSERT_FALSE(std::filesystem::exists(db_));
  CliResult r = Run({"get", "x"});
  EXPECT_EQ(1, r.exit_code) << r.err;
  EXPECT_TRUE(std::filesystem::is_directory(db_));
}

TEST_F(CommandsTest, ArgumentsAndOutputUseEscapes) {
  CliResult r = Run({"put", "a\\x00b", "tab\\x09and\\x5c\\xff"});
  ASSERT_EQ(0, r.exit_code) << r.err;
  r = Run({"get", "a\\x00b"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("tab\\x09and\\x5c\\xff\n", r.out);
  // The raw key "a" with no NUL is a different key.
  EXPECT_EQ(1, Run({"get", "a"}).exit_code);
  // Spaces in one argument stay part of it.
  ASSERT_EQ(0, Run({"put", "two words", "x y"}).exit_code);
  EXPECT_EQ("x y\n", Run({"get", "two words"}).out);
}

TEST_F(CommandsTest, BadUsageExitsTwoWithOneLine) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"frobnicate"},
           {"put", "k"},
           {"put", "k", "v", "extra"},
           {"get"},
           {"del"},
           {"scan", "--limit", "ten"},
           {"scan", "--limit", "-1"},
           {"scan", "--from"},
           {"scan", "--bogus"},
           {"load", "--batch", "0"},
           {"load", "--batch"},
           {"dump", "extra"},
           {"dump-sst"},
           {"get", "bad\\escape"},
       }) {
    CliResult r = Run(args);
    std::string what = args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_EQ(2, r.exit_code) << what;
    EXPECT_EQ("", r.out) << what;
    ASSERT_EQ(1u, Lines(r.err).size()) << what << ": " << r.err;
    EXPECT_EQ(0u, r.err.find("jadedb: ")) << r.err;
    EXPECT_NE(std::string::npos, r.err.find("--help")) << r.err;
  }
  // Arguments are checked before the DB is opened: bad usage creates nothing.
  EXPECT_FALSE(std::filesystem::exists(db_));
}

TEST_F(CommandsTest, StatsAndCompact) {
  ASSERT_EQ(0, Run({"put", "a", "1"}).exit_code);
  CliResult r = Run({"stats"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_FALSE(r.out.empty());
  r = Run({"compact"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("1\n", Run({"get", "a"}).out);
}

TEST_F(CommandsTest, CheckOnHealthyDbExitsZero) {
  FillAndCompact(2000);
  CliResult r = Run({"check"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_FALSE(r.out.empty());
  EXPECT_EQ("", r.err);
}

TEST_F(CommandsTest, CheckFindsAFlippedByteInATable) {
  FillAndCompact(20000);
  std::vector<std::string> tables = TableFiles();
  std::string victim = tables[0];
  uint64_t size = std::filesystem::file_size(victim);
  ASSERT_GT(size, 4096u);
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(size / 2));
    char c;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x40);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.write(&c, 1);
    ASSERT_TRUE(f.good());
  }
  CliResult r = Run({"check"});
  EXPECT_EQ(2, r.exit_code) << r.out << r.err;
  std::vector<std::string> err = Lines(r.err);
  ASSERT_EQ(1u, err.size()) << r.err;
  EXPECT_EQ(0u, err[0].find("jadedb: Corruption: ")) << r.err;
  std::string name = std::filesystem::path(victim).filename().string();
  EXPECT_NE(std::string::npos, err[0].find(name)) << r.err;
}

TEST_F(CommandsTest, SecondProcessIsRefusedWithTheLockFile) {
  // The shell opens the DB at start and holds it while its stdin stays open.
  CliProcess shell({"--db", db_});
  ASSERT_TRUE(shell.started());
  ASSERT_TRUE(shell.Write("put x 1\nget x\n"));
  ASSERT_TRUE(shell.WaitForOutput("1\n")) << "shell did not answer";

  CliResult r = Run({"get", "x"});
  EXPECT_EQ(2, r.exit_code) << r.out << r.err;
  EXPECT_EQ("", r.out);
  std::vector<std::string> err = Lines(r.err);
  ASSERT_EQ(1u, err.size()) << r.err;
  EXPECT_EQ(0u, err[0].find("jadedb: ")) << r.err;
  EXPECT_NE(std::string::npos, err[0].find("LOCK")) << r.err;

  CliResult s = shell.Finish();
  EXPECT_EQ(0, s.exit_code) << s.err;
  // Once the shell is gone the DB opens again, with the shell's write in it.
  r = Run({"get", "x"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("1\n", r.out);
}

TEST_F(CommandsTest, DumpSstPrintsATable) {
  FillAndCompact(500);
  CliResult r = RunCli({"dump-sst", TableFiles()[0]});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("key00000000")) << r.out.substr(0, 2000);
}

TEST_F(CommandsTest, DumpSstOfAMissingFileIsAnError) {
  CliResult r = Run({"dump-sst", dir_.Join("no-such.sst")});
  EXPECT_EQ(2, r.exit_code);
  ASSERT_EQ(1u, Lines(r.err).size()) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("no-such.sst")) << r.err;
  // dump-sst never opens (or creates) the DB.
  EXPECT_FALSE(std::filesystem::exists(db_));
}

}  // namespace
}  // namespace jadedb::test
