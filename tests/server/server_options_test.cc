#include "server/server_options.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testutil/test_util.h"

namespace jadedb::server {
namespace {

TEST(ServerOptionsTest, FlagsOverrideConfigFile) {
  test::TempDir dir;
  const std::string path = dir.Join("jadedb.conf");
  {
    std::ofstream f(path);
    f << "# comment\nport 7000\nsync always\nrequirepass  secret word \n\nengine lsm\n";
  }
  ServerOptions o;
  const char* argv[] = {"--config", path.c_str(), "--port", "7001", "--cache-mb=8"};
  ASSERT_TRUE(ParseServerFlags(5, argv, &o).ok());
  EXPECT_EQ(o.port, 7001);
  EXPECT_EQ(o.sync, SyncPolicy::kAlways);
  EXPECT_EQ(o.requirepass, "secret word");
  EXPECT_EQ(o.cache_mb, 8);
}

TEST(ServerOptionsTest, Errors) {
  ServerOptions o;
  const char* bad_port[] = {"--port", "70000"};
  EXPECT_TRUE(ParseServerFlags(2, bad_port, &o).IsInvalidArgument());
  const char* unknown[] = {"--nope", "1"};
  EXPECT_TRUE(ParseServerFlags(2, unknown, &o).IsInvalidArgument());
  const char* missing[] = {"--port"};
  EXPECT_TRUE(ParseServerFlags(1, missing, &o).IsInvalidArgument());
  const char* sync[] = {"--sync", "sometimes"};
  EXPECT_TRUE(ParseServerFlags(2, sync, &o).IsInvalidArgument());
  EXPECT_TRUE(LoadConfigFile("/nonexistent/file", &o).IsIOError());
}

TEST(ServerOptionsTest, BusyPollMicroseconds) {
  ServerOptions o;
  EXPECT_EQ(o.busy_poll_us, 50);
  const char* off[] = {"--busy-poll-us", "0"};
  ASSERT_TRUE(ParseServerFlags(2, off, &o).ok());
  EXPECT_EQ(o.busy_poll_us, 0);
  const char* negative[] = {"--busy-poll-us", "-1"};
  EXPECT_TRUE(ParseServerFlags(2, negative, &o).IsInvalidArgument());
}

TEST(ServerOptionsTest, HelpListsEveryOption) {
  const std::string help = ServerHelpText();
  for (const std::string& name : ServerOptionNames()) {
    EXPECT_NE(help.find("--" + name), std::string::npos) << name;
  }
  ServerOptions o;
  const char* argv[] = {"--help"};
  ASSERT_TRUE(ParseServerFlags(1, argv, &o).ok());
  EXPECT_TRUE(o.help);
}

TEST(ServerOptionsTest, WriteBufferDefaultFollowsTheEngine) {
  // The server must not override the LSM engine's tuned memtable size, and --help says it.
  ServerOptions o;
  EXPECT_EQ(static_cast<size_t>(o.write_buffer_mb) << 20, LsmOptions().write_buffer_size);
  EXPECT_NE(ServerHelpText().find("MiB (default " + std::to_string(o.write_buffer_mb) + ")"),
            std::string::npos);
}

TEST(ServerOptionsTest, GetMatchesSet) {
  ServerOptions o;
  for (const std::string& name : ServerOptionNames()) {
    std::string v;
    if (name == "config") continue;
    ASSERT_TRUE(GetServerOption(o, name, &v)) << name;
    EXPECT_TRUE(SetServerOption(&o, name, v).ok()) << name << "=" << v;
  }
}

}  // namespace
}  // namespace jadedb::server
