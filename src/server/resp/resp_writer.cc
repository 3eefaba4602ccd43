#include "server/resp/resp_writer.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace jadedb::server {

void RespWriter::Header(char type, int64_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, end - buf);
}

void RespWriter::Simple(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n");
}

void RespWriter::Error(std::string_view s) {
  out_->push_back('-');
  // An error line must not contain CR/LF; replace them so framing survives.
  for (char c : s) out_->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out_->append("\r\n");
}

void RespWriter::Integer(int64_t v) { Header(':', v); }

void RespWriter::Bulk(std::string_view s) {
  // A small value (every GET of a short string) is framed on the stack and appended once:
  // three appends cost more than the bytes they copy.
  constexpr size_t kSmall = 64;
  if (s.size() > kSmall) {
    Header('$', static_cast<int64_t>(s.size()));
    out_->append(s);
    out_->append("\r\n");
    return;
  }
  char buf[kSmall + 8];  // "$64\r\n" + value + "\r\n"
  buf[0] = '$';
  char* p = buf + 1;
  if (s.size() >= 10) *p++ = static_cast<char>('0' + s.size() / 10);
  *p++ = static_cast<char>('0' + s.size() % 10);
  *p++ = '\r';
  *p++ = '\n';
  if (!s.empty()) std::memcpy(p, s.data(), s.size());
  p += s.size();
  *p++ = '\r';
  *p++ = '\n';
  out_->append(buf, p - buf);
}

void RespWriter::Null() { out_->append(resp3_ ? "_\r\n" : "$-1\r\n"); }
void RespWriter::NullArray() { out_->append(resp3_ ? "_\r\n" : "*-1\r\n"); }
void RespWriter::ArrayHeader(int64_t n) { Header('*', n); }
void RespWriter::MapHeader(int64_t n) { resp3_ ? Header('%', n) : Header('*', 2 * n); }
void RespWriter::SetHeader(int64_t n) { Header(resp3_ ? '~' : '*', n); }

void RespWriter::Double(double v) {
  char buf[64];
  int len = std::snprintf(buf, sizeof(buf), "%.17g", v);
  if (resp3_) {
    out_->push_back(',');
    out_->append(buf, len);
    out_->append("\r\n");
  } else {
    Bulk(std::string_view(buf, len));
  }
}

void RespWriter::Verbatim(std::string_view s) {
  if (!resp3_) return Bulk(s);
  Header('=', static_cast<int64_t>(s.size() + 4));
  out_->append("txt:");
  out_->append(s);
  out_->append("\r\n");
}

}  // namespace jadedb::server
