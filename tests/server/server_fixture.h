// ServerFixture: a gtest fixture that starts a fresh jadedb-server in a temporary directory for
// each test and connects a client to it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "server/resp_client.h"
#include "server/server_process.h"
#include "testutil/test_util.h"

namespace jadedb::server::test {

class ServerFixture : public ::testing::Test {
 protected:
  // Flags for the server; override per suite.
  virtual std::vector<std::string> Flags() { return {"--sync", "never"}; }

  void SetUp() override {
    ASSERT_TRUE(server_.Start(dir_.Join("db"), Flags())) << server_.error();
    ASSERT_TRUE(client_.Connect(server_.port()));
  }

  void Restart(const std::vector<std::string>& flags) {
    client_.Close();
    EXPECT_EQ(server_.Stop(), 0);
    ASSERT_TRUE(server_.Start(dir_.Join("db"), flags)) << server_.error();
    ASSERT_TRUE(client_.Connect(server_.port()));
  }

  // Sends a command and renders the reply ("+OK", ":1", "$v", "(nil)", "-ERR ...", "[...]").
  std::string Q(const std::vector<std::string>& args) { return client_.Cmd(args).ToString(); }

  jadedb::test::TempDir dir_;
  ServerProcess server_;
  RespClient client_;
};

}  // namespace jadedb::server::test
