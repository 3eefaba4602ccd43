#include "server/resp/resp_parser.h"

#include <algorithm>
#include <cstring>

namespace jadedb::server {

void RespParser::Compact() {
  buf_.Consume(pos_);
  pos_ = 0;
}

RespParser::Result RespParser::Fail(std::string msg) {
  error_ = std::move(msg);
  return Result::kError;
}

RespParser::Result RespParser::FailInvalid(const char* what) {
  return Fail(std::string("Protocol error: invalid ") + what);
}

RespParser::Result RespParser::FailExpected(char want, char got) {
  return Fail(std::string("Protocol error: expected '") + want + "', got '" + got + "'");
}

RespParser::Result RespParser::ReadLength(size_t* off, char prefix, int64_t* value,
                                          const char* what) {
  const size_t start = *off;
  if (start >= buf_.size()) return Result::kIncomplete;
  if (buf_[start] != prefix) return FailExpected(prefix, buf_[start]);
  // One pass over "[-]digits\r\n" (this runs for every argument of every request).
  const char* p = buf_.data();
  const size_t size = buf_.size();
  size_t i = start + 1;
  const bool negative = i < size && p[i] == '-';
  if (negative) i++;
  const size_t first = i;
  int64_t v = 0;
  for (; i < size && p[i] >= '0' && p[i] <= '9'; i++) {
    if (i - first == 18) return FailInvalid(what);
    v = v * 10 + (p[i] - '0');
  }
  if (i == size) return Result::kIncomplete;
  if (i == first || p[i] != '\r') return FailInvalid(what);
  if (i + 1 == size) return Result::kIncomplete;
  if (p[i + 1] != '\n') return FailInvalid(what);
  *value = negative ? -v : v;
  *off = i + 2;
  return Result::kCommand;
}

RespParser::Result RespParser::Next(std::vector<std::string_view>* args) {
  args->clear();
  if (!error_.empty()) return Result::kError;
  // Empty requests ("*0", "*-1") are skipped like Redis does.
  while (pending_count_ < 0) {
    if (pos_ >= buf_.size()) return Result::kIncomplete;
    if (buf_[pos_] != '*') return ParseInline(args);
    size_t off = pos_;
    int64_t count = 0;
    Result r = ReadLength(&off, '*', &count, "multibulk length");
    if (r != Result::kCommand) return r;
    if (count > static_cast<int64_t>(limits_.max_args)) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count <= 0) {
      pos_ = off;
      continue;
    }
    pending_count_ = count;
    pending_off_ = off - pos_;
    pending_args_.clear();
  }

  // The arguments go straight into *args as views; only when the request is not all here
  // yet are they kept as offsets (pending_args_), which stay valid across Compact. Most
  // requests arrive whole, so they never touch pending_args_.
  const char* base = buf_.data() + pos_;
  args->reserve(static_cast<size_t>(std::min<int64_t>(pending_count_, 1024)));
  for (const auto& [off, len] : pending_args_) args->emplace_back(base + off, len);
  pending_args_.clear();
  size_t off = pos_ + pending_off_;
  while (static_cast<int64_t>(args->size()) < pending_count_) {
    int64_t len = 0;
    Result r = ReadLength(&off, '$', &len, "bulk length");
    if (r == Result::kCommand && (len < 0 || static_cast<uint64_t>(len) > limits_.max_bulk_len)) {
      r = Fail("Protocol error: invalid bulk length");
    }
    const size_t need = off + static_cast<size_t>(len) + 2;
    if (r == Result::kCommand && buf_.size() < need) r = Result::kIncomplete;
    if (r != Result::kCommand) return Suspend(args, r);
    if (buf_[need - 2] != '\r' || buf_[need - 1] != '\n') {
      return Suspend(args, Fail("Protocol error: bulk string not terminated by CRLF"));
    }
    args->emplace_back(buf_.data() + off, static_cast<size_t>(len));
    off = need;
    pending_off_ = need - pos_;
  }

  pos_ += pending_off_;
  pending_count_ = -1;
  pending_off_ = 0;
  return Result::kCommand;
}

RespParser::Result RespParser::Suspend(std::vector<std::string_view>* args, Result r) {
  // Keeps the arguments parsed so far as offsets from pos_ for the next call.
  const char* base = buf_.data() + pos_;
  for (std::string_view a : *args) pending_args_.emplace_back(a.data() - base, a.size());
  args->clear();
  return r;
}

RespParser::Result RespParser::ParseInline(std::vector<std::string_view>* args) {
  const size_t nl = buf_.view().find('\n', pos_);
  if (nl == std::string::npos) {
    if (buf_.size() - pos_ > limits_.max_inline_len) {
      return Fail("Protocol error: too big inline request");
    }
    return Result::kIncomplete;
  }
  if (nl - pos_ > limits_.max_inline_len) return Fail("Protocol error: too big inline request");
  size_t end = nl;
  if (end > pos_ && buf_[end - 1] == '\r') end--;
  std::string_view line(buf_.data() + pos_, end - pos_);
  inline_storage_.clear();
  if (!SplitInlineArgs(line, &inline_storage_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  if (inline_storage_.size() > limits_.max_args) {
    return Fail("Protocol error: invalid multibulk length");
  }
  pos_ = nl + 1;
  for (const std::string& s : inline_storage_) args->emplace_back(s);
  return Result::kCommand;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && IsSpace(line[i])) i++;
    if (i >= n) return true;
    std::string cur;
    if (line[i] == '"') {
      i++;
      while (true) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 4;
        } else if (c == '\\' && i + 1 < n) {
          char e = line[i + 1];
          cur.push_back(e == 'n'   ? '\n'
                        : e == 'r' ? '\r'
                        : e == 't' ? '\t'
                        : e == 'b' ? '\b'
                        : e == 'a' ? '\a'
                                   : e);
          i += 2;
        } else if (c == '"') {
          i++;
          // The closing quote must be followed by a space or the end.
          if (i < n && !IsSpace(line[i])) return false;
          break;
        } else {
          cur.push_back(c);
          i++;
        }
      }
    } else if (line[i] == '\'') {
      i++;
      while (true) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          cur.push_back('\'');
          i += 2;
        } else if (c == '\'') {
          i++;
          if (i < n && !IsSpace(line[i])) return false;
          break;
        } else {
          cur.push_back(c);
          i++;
        }
      }
    } else {
      while (i < n && !IsSpace(line[i])) cur.push_back(line[i++]);
    }
    out->push_back(std::move(cur));
  }
}

}  // namespace jadedb::server
