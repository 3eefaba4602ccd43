#include "server/http/http_server.h"

namespace jadedb::server {
namespace {

constexpr size_t kMaxHead = 8 << 10;

// One request/response exchange; owns its socket and buffers.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(asio::ip::tcp::socket socket, const HttpServer::Handler& handler)
      : socket_(std::move(socket)), handler_(handler) {}

  void Start() { Read(); }

 private:
  void Read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_), [this, self](std::error_code ec, size_t n) {
      if (ec) return;
      head_.append(buf_.data(), n);
      if (head_.find("\r\n\r\n") != std::string::npos || head_.find("\n\n") != std::string::npos) {
        return Respond();
      }
      if (head_.size() > kMaxHead) {
        HttpResponse r{431, "text/plain", "request header too large\n"};
        return Write(r);
      }
      Read();
    });
  }

  void Respond() {
    std::string method, path;
    HttpResponse r;
    if (!HttpServer::ParseRequestLine(head_, &method, &path)) {
      r = {400, "text/plain", "bad request\n"};
    } else {
      r = handler_(method, path);
    }
    Write(r);
  }

  void Write(const HttpResponse& r) {
    out_ = "HTTP/1.1 " + std::to_string(r.status) + " " + HttpServer::StatusText(r.status) +
           "\r\nContent-Type: " + r.content_type +
           "\r\nContent-Length: " + std::to_string(r.body.size()) +
           "\r\nConnection: close\r\n\r\n" + r.body;
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_), [this, self](std::error_code, size_t) {
      std::error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      socket_.close(ignored);
    });
  }

  asio::ip::tcp::socket socket_;
  HttpServer::Handler handler_;
  std::array<char, 2048> buf_;
  std::string head_;
  std::string out_;
};

}  // namespace

HttpServer::HttpServer(asio::io_context& io, Handler handler)
    : handler_(std::move(handler)), acceptor_(io) {}

HttpServer::~HttpServer() = default;

Status HttpServer::Listen(const std::string& address, int port) {
  std::error_code ec;
  asio::ip::address addr = asio::ip::make_address(address, ec);
  if (ec) return Status::InvalidArgument("bad HTTP bind address", address);
  asio::ip::tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen for HTTP on " + address + ":" + std::to_string(port),
                           ec.message());
  }
  Accept();
  return Status::OK();
}

int HttpServer::port() const {
  std::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpServer::Stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

void HttpServer::Accept() {
  acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) std::make_shared<HttpSession>(std::move(socket), handler_)->Start();
    Accept();
  });
}

bool HttpServer::ParseRequestLine(const std::string& head, std::string* method, std::string* path) {
  size_t eol = head.find('\n');
  std::string line = head.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t sp1 = line.find(' ');
  if (sp1 == std::string::npos || sp1 == 0) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string::npos || sp2 == sp1 + 1) return false;
  if (line.compare(sp2 + 1, 5, "HTTP/") != 0) return false;
  *method = line.substr(0, sp1);
  *path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = path->find('?');
  if (q != std::string::npos) path->resize(q);
  return true;
}

std::string HttpServer::StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace jadedb::server
