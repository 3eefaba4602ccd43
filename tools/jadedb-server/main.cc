// jadedb-server: serves a JadeDB database over the Redis protocol. See --help.
#include <cstdio>

#include "server/server.h"
#include "server/server_options.h"

int main(int argc, char** argv) {
  using namespace jadedb::server;
  ServerOptions options;
  jadedb::Status s = ParseServerFlags(argc - 1, argv + 1, &options);
  if (!s.ok()) {
    std::fprintf(stderr, "jadedb-server: %s\n(see --help)\n", s.ToString().c_str());
    return 2;
  }
  if (options.help) {
    std::fputs(ServerHelpText().c_str(), stdout);
    return 0;
  }
  Server server(options);
  s = server.Open();
  if (!s.ok()) {
    std::fprintf(stderr, "jadedb-server: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "jadedb-server: serving %s (%s, sync %s) on %s:%d", options.dir.c_str(),
               options.engine.c_str(), SyncPolicyName(options.sync), options.bind.c_str(),
               server.port());
  if (server.http_port() != 0) std::fprintf(stderr, ", http on port %d", server.http_port());
  std::fprintf(stderr, "\n");
  s = server.Run();
  if (!s.ok()) {
    std::fprintf(stderr, "jadedb-server: shutdown: %s\n", s.ToString().c_str());
    return 1;
  }
  std::fprintf(stderr, "jadedb-server: stopped cleanly\n");
  return 0;
}
