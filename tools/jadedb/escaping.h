// Text forms of arbitrary byte strings for the jadedb CLI.
//
// Keys and values are arbitrary bytes, but the CLI speaks lines of text: `load`/`dump`/`scan`
// use `KEY<TAB>VALUE` lines and the shell splits commands into words. So every byte that is
// not printable ASCII, and `\` and TAB themselves, is written as `\xHH` (two hex digits);
// reading accepts the same form (either case) plus `\\` and `\"`. Any byte string therefore
// round-trips through Escape/Unescape, which is what makes `dump | load` exact.
//
// Pure functions; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jadedb::cli {

// `in` with every byte outside 0x20..0x7e, and every `\`, written as `\xHH` (lowercase hex).
// TAB (0x09) is outside the printable range, so it is always escaped.
std::string Escape(std::string_view in);

// Reverses Escape. False, with a message in *error, on a `\` not followed by `xHH`, `\` or `"`.
bool Unescape(std::string_view in, std::string* out, std::string* error);

// Splits a shell line into words: words are separated by runs of spaces or TABs; a double
// quote starts/ends a quoted part in which spaces do not separate (`"a b"c` is one word `a bc`,
// `""` is an empty word); escapes are decoded as by Unescape, so `\x20` and `\"` are literal.
// False, with a message in *error, on a bad escape or an unterminated quote.
bool SplitWords(std::string_view line, std::vector<std::string>* words, std::string* error);

}  // namespace jadedb::cli
