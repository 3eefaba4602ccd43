// The encoding of every value jadedb-server stores in the engine: a small header (magic and
// format version, type, optional expiry) before the user's bytes, so TYPE and expiry survive a
// restart. Byte layout: docs/formats/server-value.md.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jadedb::server {

inline constexpr uint8_t kValueMagicV1 = 0xA1;  // high nibble: magic 0xA; low nibble: version 1
inline constexpr uint8_t kValueHasExpiry = 0x80;
inline constexpr uint8_t kValueTypeMask = 0x0F;

enum class ValueType : uint8_t { kString = 0 };

struct ValueView {
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;  // unix milliseconds; 0 = no expiry
  std::string_view payload;
};

// Appends the encoded value to *out (cleared first).
void EncodeValue(ValueType type, int64_t expire_at_ms, std::string_view payload, std::string* out);
inline std::string EncodeString(std::string_view payload, int64_t expire_at_ms = 0) {
  std::string out;
  EncodeValue(ValueType::kString, expire_at_ms, payload, &out);
  return out;
}
// False when `encoded` is not a valid value of this format (wrong magic, unknown type or flag,
// truncated header).
bool DecodeValue(std::string_view encoded, ValueView* view);

// Milliseconds since the Unix epoch (wall clock, as Redis expiry uses).
int64_t NowMs();

}  // namespace jadedb::server
