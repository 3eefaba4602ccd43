// HttpServer: a minimal HTTP/1.1 server for the observability endpoints (GET /metrics,
// GET /health). One request per connection (Connection: close), request head limited to 8 KiB;
// anything else gets 400/404/405. Runs on the caller's asio io_context.
//
// Thread safety: Listen and Stop must be called from one thread or through the io_context;
// the handler may be called from any thread running the io_context.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "jadedb/status.h"

namespace jadedb::server {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const std::string& method, const std::string& path)>;

  HttpServer(asio::io_context& io, Handler handler);
  ~HttpServer();

  Status Listen(const std::string& address, int port);
  int port() const;
  // Stops accepting (open requests finish).
  void Stop();

  // Parses the head of a request ("GET /path HTTP/1.1\r\n..."); false when malformed.
  static bool ParseRequestLine(const std::string& head, std::string* method, std::string* path);
  static std::string StatusText(int status);

 private:
  void Accept();

  Handler handler_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace jadedb::server
