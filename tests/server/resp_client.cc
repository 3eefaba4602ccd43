#include "server/resp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace jadedb::server::test {

std::string Reply::ToString() const {
  switch (type) {
    case Type::kStatus:
      return "+" + str;
    case Type::kError:
      return "-" + str;
    case Type::kInteger:
      return ":" + std::to_string(integer);
    case Type::kBulk:
    case Type::kVerbatim:
      return "$" + str;
    case Type::kDouble:
      return "," + str;
    case Type::kBool:
      return integer ? "#t" : "#f";
    case Type::kNull:
      return "(nil)";
    case Type::kClosed:
      return "(closed)";
    case Type::kArray:
    case Type::kMap:
    case Type::kSet: {
      std::string s = type == Type::kMap ? "{" : "[";
      for (size_t i = 0; i < elements.size(); i++) {
        if (i) s += ",";
        s += elements[i].ToString();
      }
      return s + (type == Type::kMap ? "}" : "]");
    }
  }
  return "?";
}

RespClient::~RespClient() { Close(); }

bool RespClient::Connect(int port, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      return true;
    }
    ::close(fd_);
    fd_ = -1;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void RespClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
  pos_ = 0;
}

std::string RespClient::Encode(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

bool RespClient::SendRaw(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool RespClient::Send(const std::vector<std::string>& args) { return SendRaw(Encode(args)); }

bool RespClient::Fill() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 10000) <= 0) return false;  // a test must not hang forever
  char tmp[65536];
  ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buf_.append(tmp, static_cast<size_t>(n));
  return true;
}

bool RespClient::ReadLine(std::string* line) {
  while (true) {
    size_t nl = buf_.find("\r\n", pos_);
    if (nl != std::string::npos) {
      line->assign(buf_, pos_, nl - pos_);
      pos_ = nl + 2;
      return true;
    }
    if (!Fill()) return false;
  }
}

bool RespClient::ReadN(size_t n, std::string* out) {
  while (buf_.size() - pos_ < n + 2) {
    if (!Fill()) return false;
  }
  out->assign(buf_, pos_, n);
  pos_ += n + 2;
  return true;
}

Reply RespClient::Read() {
  Reply r;
  std::string line;
  if (fd_ < 0 || !ReadLine(&line) || line.empty()) return r;  // kClosed
  const char t = line[0];
  std::string rest = line.substr(1);
  switch (t) {
    case '+':
      r.type = Reply::Type::kStatus;
      r.str = rest;
      break;
    case '-':
      r.type = Reply::Type::kError;
      r.str = rest;
      break;
    case ':':
      r.type = Reply::Type::kInteger;
      r.integer = std::stoll(rest);
      break;
    case ',':
      r.type = Reply::Type::kDouble;
      r.str = rest;
      break;
    case '#':
      r.type = Reply::Type::kBool;
      r.integer = rest == "t";
      break;
    case '_':
      r.type = Reply::Type::kNull;
      break;
    case '$':
    case '=': {
      int64_t n = std::stoll(rest);
      if (n < 0) {
        r.type = Reply::Type::kNull;
        break;
      }
      r.type = t == '$' ? Reply::Type::kBulk : Reply::Type::kVerbatim;
      if (!ReadN(static_cast<size_t>(n), &r.str)) return Reply();
      if (t == '=' && r.str.size() >= 4) r.str = r.str.substr(4);
      break;
    }
    case '*':
    case '~':
    case '%': {
      int64_t n = std::stoll(rest);
      if (n < 0) {
        r.type = Reply::Type::kNull;
        break;
      }
      r.type = t == '*' ? Reply::Type::kArray : t == '~' ? Reply::Type::kSet : Reply::Type::kMap;
      if (t == '%') n *= 2;
      for (int64_t i = 0; i < n; i++) {
        r.elements.push_back(Read());
        if (r.elements.back().type == Reply::Type::kClosed) return Reply();
      }
      break;
    }
    default:
      r.type = Reply::Type::kError;
      r.str = "client: unknown reply type: " + line;
  }
  return r;
}

bool RespClient::WaitClosed(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) {
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

}  // namespace jadedb::server::test
