// ServerProcess: starts the real jadedb-server binary on free loopback ports in a temporary
// directory, waits until it accepts connections, and stops it (SIGTERM) or kills it (SIGKILL)
// for restart tests. The binary's path comes from JADEDB_SERVER_PATH (set by CMake).
//
// Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace jadedb::server::test {

// A loopback TCP port that was free a moment ago.
int FreePort();

class ServerProcess {
 public:
  ServerProcess() = default;
  ~ServerProcess();

  // Starts the server on `dir` with extra flags; false (and a message in error()) on failure.
  bool Start(const std::string& dir, const std::vector<std::string>& flags = {});
  // SIGTERM and wait; returns the exit status (0 = clean).
  int Stop();
  // Waits for the process to exit on its own; returns the exit status.
  int Wait();
  // SIGKILL and wait: a crash.
  void Kill();

  int port() const { return port_; }
  int http_port() const { return http_port_; }
  pid_t pid() const { return pid_; }
  const std::string& error() const { return error_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::string error_;
};

// Runs a shell command and returns its stdout (trailing newline removed).
std::string RunCommand(const std::string& cmd);

// A GET over HTTP/1.1 on loopback; returns the status code and fills *body. -1 on failure.
int HttpGet(int port, const std::string& path, std::string* body);

}  // namespace jadedb::server::test
