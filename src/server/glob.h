// Glob matching with Redis's semantics (KEYS, SCAN MATCH, CONFIG GET): `*` any run, `?` one
// byte, `[abc]`, `[^a]`, `[a-z]` classes, `\x` a literal x. Byte-wise; thread-safe.
#pragma once

#include <string_view>

namespace jadedb::server {

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// The literal prefix every match of `pattern` starts with ("user:" for "user:*"), so a scan
// can seek instead of reading every key.
std::string_view GlobLiteralPrefix(std::string_view pattern);

}  // namespace jadedb::server
