#include "server/value_codec.h"

#include <chrono>

#include "util/coding.h"

namespace jadedb::server {

void EncodeValue(ValueType type, int64_t expire_at_ms, std::string_view payload, std::string* out) {
  out->clear();
  out->reserve(payload.size() + 10);
  out->push_back(static_cast<char>(kValueMagicV1));
  uint8_t flags = static_cast<uint8_t>(type);
  if (expire_at_ms > 0) flags |= kValueHasExpiry;
  out->push_back(static_cast<char>(flags));
  if (expire_at_ms > 0) {
    char buf[8];
    EncodeFixed64(buf, static_cast<uint64_t>(expire_at_ms));
    out->append(buf, 8);
  }
  out->append(payload);
}

bool DecodeValue(std::string_view encoded, ValueView* view) {
  if (encoded.size() < 2 || static_cast<uint8_t>(encoded[0]) != kValueMagicV1) return false;
  const uint8_t flags = static_cast<uint8_t>(encoded[1]);
  if ((flags & ~(kValueHasExpiry | kValueTypeMask)) != 0) return false;
  if ((flags & kValueTypeMask) != static_cast<uint8_t>(ValueType::kString)) return false;
  view->type = ValueType::kString;
  size_t off = 2;
  view->expire_at_ms = 0;
  if (flags & kValueHasExpiry) {
    if (encoded.size() < 10) return false;
    view->expire_at_ms = static_cast<int64_t>(DecodeFixed64(encoded.data() + 2));
    if (view->expire_at_ms <= 0) return false;
    off = 10;
  }
  view->payload = encoded.substr(off);
  return true;
}

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace jadedb::server
