// Tests of scan, load and dump (tools/jadedb/bulk.cc) through the jadedb binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_runner.h"
#include "testutil/test_util.h"

namespace jadedb::test {
namespace {

class BulkTest : public ::testing::Test {
 protected:
  CliResult Run(std::vector<std::string> args, const std::string& input = "",
                const std::string& db = "") {
    args.insert(args.begin(), {"--db", db.empty() ? db_ : db});
    return RunCli(args, input);
  }
  // Loads keys a..j with values 0..9.
  void LoadLetters() {
    std::string input;
    for (int i = 0; i < 10; ++i)
      input += std::string(1, char('a' + i)) + "\t" + std::to_string(i) + "\n";
    CliResult r = Run({"load"}, input);
    ASSERT_EQ(0, r.exit_code) << r.err;
  }
  std::string Scan(std::vector<std::string> args) {
    args.insert(args.begin(), "scan");
    CliResult r = Run(args);
    EXPECT_EQ(0, r.exit_code) << r.err;
    return r.out;
  }

  TempDir dir_;
  std::string db_ = dir_.Join("db");
};

TEST_F(BulkTest, ScanAll) {
  LoadLetters();
  EXPECT_EQ("a\t0\nb\t1\nc\t2\nd\t3\ne\t4\nf\t5\ng\t6\nh\t7\ni\t8\nj\t9\n", Scan({}));
}

TEST_F(BulkTest, ScanBoundsAreFromInclusiveToExclusive) {
  LoadLetters();
  EXPECT_EQ("c\t2\nd\t3\ne\t4\n", Scan({"--from", "c", "--to", "f"}));
  EXPECT_EQ("h\t7\ni\t8\nj\t9\n", Scan({"--from", "h"}));
  EXPECT_EQ("a\t0\nb\t1\n", Scan({"--to", "c"}));
  // Bounds between keys.
  EXPECT_EQ("d\t3\ne\t4\n", Scan({"--from=cc", "--to=ee"}));
  EXPECT_EQ("", Scan({"--from", "x"}));
  EXPECT_EQ("", Scan({"--from", "d", "--to", "d"}));
}

TEST_F(BulkTest, ScanLimit) {
  LoadLetters();
  EXPECT_EQ("a\t0\nb\t1\nc\t2\n", Scan({"--limit", "3"}));
  EXPECT_EQ("e\t4\nf\t5\n", Scan({"--from", "e", "--limit", "2"}));
  EXPECT_EQ("", Scan({"--limit", "0"}));
  EXPECT_EQ(10u, Lines(Scan({"--limit", "1000"})).size());
}

TEST_F(BulkTest, ScanReverse) {
  LoadLetters();
  EXPECT_EQ("j\t9\ni\t8\nh\t7\n", Scan({"--reverse", "--limit", "3"}));
  EXPECT_EQ("e\t4\nd\t3\nc\t2\n", Scan({"--from", "c", "--to", "f", "--reverse"}));
  EXPECT_EQ("b\t1\na\t0\n", Scan({"--reverse", "--to", "c"}));
  EXPECT_EQ("j\t9\ni\t8\n", Scan({"--reverse", "--from", "i"}));
}

TEST_F(BulkTest, ScanDoesNotShowDeletedKeys) {
  LoadLetters();
  ASSERT_EQ(0, Run({"del", "b"}).exit_code);
  EXPECT_EQ("a\t0\nc\t2\n", Scan({"--to", "d"}));
}

TEST_F(BulkTest, LoadThenDumpRoundTripsBinaryKeys) {
  // Keys and values with NUL, TAB, backslash, 0xff, newline and every other byte.
  std::vector<std::pair<std::string, std::string>> pairs = {
      {std::string("\0", 1), "nul key"},
      {std::string("a\0b", 3), std::string("v\0", 2)},
      {"tab\there", "value\twith\ttabs"},
      {"back\\slash", "\\"},
      {"\xff\xff", "\xff"},
      {"line\nbreak", "cr\r\n"},
      {"-dash", "looks like a delete but has a TAB"},
      {"", "empty key"},
      {"empty value", ""},
  };
  Random rnd(TestSeed());
  for (int i = 0; i < 200; ++i)
    pairs.emplace_back(RandomBytes(&rnd, 1 + i % 20), RandomBytes(&rnd, i));

  // The input is written by hand (independently of the CLI's own escaping).
  auto escape = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
      char buf[5];
      if (c >= 0x21 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        std::snprintf(buf, sizeof(buf), "\\x%02X", c);
        out += buf;
      }
    }
    return out;
  };
  std::string input;
  for (const auto& [k, v] : pairs) input += escape(k) + "\t" + escape(v) + "\n";
  CliResult r = Run({"load"}, input);
  ASSERT_EQ(0, r.exit_code) << r.err;

  CliResult dump1 = Run({"dump"});
  ASSERT_EQ(0, dump1.exit_code) << dump1.err;
  // Every line is KEY<TAB>VALUE: exactly one TAB, and the text never breaks a line.
  std::vector<std::string> lines = Lines(dump1.out);
  // Later lines win, as in load (the map range constructor would keep the first).
  std::map<std::string, std::string> want;
  for (const auto& [k, v] : pairs) want[k] = v;
  ASSERT_EQ(want.size(), lines.size());
  for (const auto& line : lines) {
    EXPECT_EQ(1, std::count(line.begin(), line.end(), '\t')) << line;
  }
  // Decoded (by hand: dump writes only \xHH escapes), the lines are exactly the pairs loaded,
  // in key order.
  auto unescape = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] == 'x') {
        out.push_back(static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
        i += 3;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  };
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& line : lines) {
    size_t tab = line.find('\t');
    got.emplace_back(unescape(line.substr(0, tab)), unescape(line.substr(tab + 1)));
  }
  std::vector<std::pair<std::string, std::string>> sorted(want.begin(), want.end());
  EXPECT_TRUE(sorted == got);
  // A key as dump printed it reads back with get.
  for (size_t i = 0; i < lines.size(); i += 20) {
    size_t tab = lines[i].find('\t');
    CliResult g = Run({"get", lines[i].substr(0, tab)});
    ASSERT_EQ(0, g.exit_code) << lines[i] << g.err;
    EXPECT_EQ(lines[i].substr(tab + 1) + "\n", g.out);
  }

  // dump | load into a fresh DB reproduces it exactly.
  std::string db2 = dir_.Join("db2");
  r = Run({"load"}, dump1.out, db2);
  ASSERT_EQ(0, r.exit_code) << r.err;
  CliResult dump2 = Run({"dump"}, "", db2);
  ASSERT_EQ(0, dump2.exit_code) << dump2.err;
  EXPECT_EQ(dump1.out, dump2.out);
}

TEST_F(BulkTest, LoadDeletionLines) {
  LoadLetters();
  CliResult r = Run({"load"}, "-b\n-d\nz\t26\n-z\n-missing\n");
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("5 records")) << r.err;
  EXPECT_EQ("a\t0\nc\t2\ne\t4\n", Scan({"--to", "f"}));
  EXPECT_EQ("", Scan({"--from", "k"}));
  // A deletion of a key with escaped bytes.
  ASSERT_EQ(0, Run({"load"}, "x\\x00y\tv\n").exit_code);
  ASSERT_EQ(0, Run({"load"}, "-x\\x00y\n").exit_code);
  EXPECT_EQ(1, Run({"get", "x\\x00y"}).exit_code);
}

TEST_F(BulkTest, LoadSyncBatchOne) {
  std::string input;
  for (int i = 0; i < 50; ++i)
    input += "k" + std::to_string(100 + i) + "\tv" + std::to_string(i) + "\n";
  input += "-k100\n";
  CliResult r = Run({"load", "--sync", "--batch", "1"}, input);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("51 records")) << r.err;
  EXPECT_NE(std::string::npos, r.err.find(" s")) << r.err;
  EXPECT_EQ(49u, Lines(Scan({})).size());
  EXPECT_EQ(1, Run({"get", "k100"}).exit_code);
  EXPECT_EQ("v49\n", Run({"get", "k149"}).out);
}

TEST_F(BulkTest, LoadSyncBatchOneAppliesEachLineBeforeReadingTheNext) {
  // The loader keeps the DB locked, so watch its write-ahead log instead: each line must reach
  // the log while stdin is still open (no waiting for a full batch or end of input), and
  // survive the loader being killed right after.
  auto log_contains = [&](const std::string& text) {
    for (const auto& e : std::filesystem::directory_iterator(db_)) {
      if (e.path().extension() != ".log") continue;
      std::ifstream f(e.path(), std::ios::binary);
      std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (data.find(text) != std::string::npos) return true;
    }
    return false;
  };
  auto wait_for_log = [&](const std::string& text) {
    for (int i = 0; i < 600; ++i) {
      if (std::filesystem::exists(db_) && log_contains(text)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  {
    CliProcess load({"--db", db_, "load", "--sync", "--batch", "1"});
    ASSERT_TRUE(load.started());
    for (int i = 0; i < 3; ++i) {
      std::string value = "value-of-line-" + std::to_string(i);
      ASSERT_TRUE(load.Write("line" + std::to_string(i) + "\t" + value + "\n"));
      ASSERT_TRUE(wait_for_log(value)) << "line " << i << " not applied while input stays open";
    }
    // Destroying the process kills it (SIGKILL) without closing its input first.
  }
  EXPECT_EQ("value-of-line-2\n", Run({"get", "line2"}).out);
  EXPECT_EQ(3u, Lines(Scan({})).size());
}

TEST_F(BulkTest, LoadBatchesSpanningTheInput) {
  std::string input;
  for (int i = 0; i < 2500; ++i) input += "key" + std::to_string(10000 + i) + "\tv\n";
  CliResult r = Run({"load", "--batch", "1000"}, input);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("2500 records")) << r.err;
  EXPECT_EQ(2500u, Lines(Scan({})).size());
}

TEST_F(BulkTest, LoadRejectsAMalformedLine) {
  CliResult r = Run({"load", "--batch", "2"}, "a\t1\nb\t2\nc\t3\nno tab here\nd\t4\n");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("jadedb: InvalidArgument: input line 4")) << r.err;
  // The full batch before the bad line was applied; the line after it was not.
  EXPECT_EQ("1\n", Run({"get", "a"}).out);
  EXPECT_EQ(1, Run({"get", "d"}).exit_code);

  r = Run({"load"}, "k\tv\tw\n");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("input line 1")) << r.err;
  r = Run({"load"}, "k\\q\tv\n");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("bad escape")) << r.err;
}

TEST_F(BulkTest, DumpOfEmptyDbIsEmpty) {
  CliResult r = Run({"dump"});
  EXPECT_EQ(0, r.exit_code) << r.err;
  EXPECT_EQ("", r.out);
}

}  // namespace
}  // namespace jadedb::test
