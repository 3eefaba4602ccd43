#include "escaping.h"

namespace jadedb::cli {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escape that starts at in[*pos] (a backslash), appends the byte to *out and
// advances *pos past it.
bool DecodeEscape(std::string_view in, size_t* pos, std::string* out, std::string* error) {
  size_t i = *pos;
  if (i + 1 < in.size() && (in[i + 1] == '\\' || in[i + 1] == '"')) {
    out->push_back(in[i + 1]);
    *pos = i + 2;
    return true;
  }
  if (i + 3 < in.size() && in[i + 1] == 'x') {
    int hi = HexValue(in[i + 2]);
    int lo = HexValue(in[i + 3]);
    if (hi >= 0 && lo >= 0) {
      out->push_back(static_cast<char>(hi * 16 + lo));
      *pos = i + 4;
      return true;
    }
  }
  *error = "bad escape at byte " + std::to_string(i) + " (use \\xHH, \\\\ or \\\")";
  return false;
}

}  // namespace

std::string Escape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7e && c != '\\') {
      out.push_back(ch);
    } else {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

bool Unescape(std::string_view in, std::string* out, std::string* error) {
  out->clear();
  out->reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    if (in[i] == '\\') {
      if (!DecodeEscape(in, &i, out, error)) return false;
    } else {
      out->push_back(in[i++]);
    }
  }
  return true;
}

bool SplitWords(std::string_view line, std::vector<std::string>* words, std::string* error) {
  words->clear();
  std::string word;
  bool in_word = false;  // a word has started (even an empty quoted one)
  bool quoted = false;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (c == '\\') {
      if (!DecodeEscape(line, &i, &word, error)) return false;
      in_word = true;
    } else if (c == '"') {
      quoted = !quoted;
      in_word = true;
      ++i;
    } else if ((c == ' ' || c == '\t') && !quoted) {
      if (in_word) words->push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (quoted) {
    *error = "unterminated double quote";
    return false;
  }
  if (in_word) words->push_back(std::move(word));
  return true;
}

}  // namespace jadedb::cli
