#include "server/glob.h"

#include <cctype>
#include <utility>

namespace jadedb::server {
namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one non-star token at the front of p against c. Sets *len to the token's length;
// false when it does not match.
bool MatchToken(std::string_view p, char c, bool nocase, size_t* len) {
  c = Fold(c, nocase);
  if (p[0] == '?') {
    *len = 1;
    return true;
  }
  if (p[0] == '[') {
    size_t i = 1;
    bool negate = i < p.size() && p[i] == '^';
    if (negate) i++;
    bool match = false;
    while (i < p.size() && p[i] != ']') {
      if (p[i] == '\\' && i + 1 < p.size()) {
        if (Fold(p[i + 1], nocase) == c) match = true;
        i += 2;
      } else if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
        char lo = Fold(p[i], nocase), hi = Fold(p[i + 2], nocase);
        if (lo > hi) std::swap(lo, hi);
        if (c >= lo && c <= hi) match = true;
        i += 3;
      } else {
        if (Fold(p[i], nocase) == c) match = true;
        i++;
      }
    }
    if (i < p.size()) i++;  // ']'; a missing one ends the class, as in Redis
    *len = i;
    return negate ? !match : match;
  }
  if (p[0] == '\\' && p.size() >= 2) {
    *len = 2;
    return Fold(p[1], nocase) == c;
  }
  *len = 1;
  return Fold(p[0], nocase) == c;
}

// Greedy matching with backtracking to the last star only: O(pattern * string) at worst,
// so a hostile pattern cannot take exponential time.
bool Match(std::string_view p, std::string_view s, bool nocase) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') pi++;
      star_p = pi;
      star_s = si;
      continue;
    }
    size_t len = 0;
    if (pi < p.size() && MatchToken(p.substr(pi), s[si], nocase, &len)) {
      pi += len;
      si++;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') pi++;
  return pi == p.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  return Match(pattern, str, nocase);
}

std::string_view GlobLiteralPrefix(std::string_view pattern) {
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '*' || c == '?' || c == '[' || c == '\\') break;
    i++;
  }
  return pattern.substr(0, i);
}

}  // namespace jadedb::server
