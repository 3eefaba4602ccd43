#include "server/resp/resp_writer.h"

#include <charconv>
#include <cstdio>

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
  Header('$', static_cast<int64_t>(s.size()));
  out_->append(s);
  out_->append("\r\n");
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
