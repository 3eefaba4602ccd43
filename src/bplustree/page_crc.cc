#include "bplustree/page_crc.h"

#include <cstring>

#include "util/crc32c.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace jadedb::bplustree {

#if defined(__x86_64__)
namespace {

// Each of the three chains covers kBlock bytes per round.
constexpr size_t kBlock = 1024;

// ShiftTable(len): the linear map "advance a raw CRC register over len zero bytes", as four
// byte-indexed tables (the map is linear over GF(2), so it splits by input byte).
struct ShiftTable {
  uint32_t t[4][256];
  uint32_t Apply(uint32_t x) const {
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
  }
};

__attribute__((target("sse4.2"))) uint32_t AdvanceZeros(uint32_t crc, size_t len) {
  uint64_t c = crc;
  for (size_t i = 0; i < len / 8; i++) c = _mm_crc32_u64(c, 0);
  return static_cast<uint32_t>(c);
}

ShiftTable MakeShiftTable(size_t len) {
  uint32_t basis[32];
  for (int i = 0; i < 32; i++) basis[i] = AdvanceZeros(uint32_t{1} << i, len);
  ShiftTable st;
  for (int k = 0; k < 4; k++) {
    for (uint32_t v = 0; v < 256; v++) {
      uint32_t r = 0;
      for (int b = 0; b < 8; b++) {
        if (v & (1u << b)) r ^= basis[8 * k + b];
      }
      st.t[k][v] = r;
    }
  }
  return st;
}

struct Tables {
  ShiftTable one = MakeShiftTable(kBlock);      // advance over one block
  ShiftTable two = MakeShiftTable(2 * kBlock);  // over two blocks
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

bool HasSse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}

inline uint64_t Load64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

__attribute__((target("sse4.2"))) uint32_t Extend3Way(uint32_t init_crc, const unsigned char* p,
                                                      size_t n) {
  const Tables& tables = GetTables();
  uint32_t c = ~init_crc;  // raw register
  while (n >= 3 * kBlock) {
    uint64_t c0 = c, c1 = 0, c2 = 0;
    const unsigned char* p1 = p + kBlock;
    const unsigned char* p2 = p + 2 * kBlock;
    for (size_t i = 0; i < kBlock; i += 8) {
      c0 = _mm_crc32_u64(c0, Load64(p + i));
      c1 = _mm_crc32_u64(c1, Load64(p1 + i));
      c2 = _mm_crc32_u64(c2, Load64(p2 + i));
    }
    // Register after all three blocks = c0 advanced over two blocks ^ c1 over one ^ c2.
    c = tables.two.Apply(static_cast<uint32_t>(c0)) ^ tables.one.Apply(static_cast<uint32_t>(c1)) ^
        static_cast<uint32_t>(c2);
    p += 3 * kBlock;
    n -= 3 * kBlock;
  }
  uint64_t c64 = c;
  while (n >= 8) {
    c64 = _mm_crc32_u64(c64, Load64(p));
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c64);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

}  // namespace
#endif

uint32_t PageCrcExtend(uint32_t init_crc, const char* data, size_t n) {
#if defined(__x86_64__)
  if (n >= 3 * kBlock && HasSse42()) {
    return Extend3Way(init_crc, reinterpret_cast<const unsigned char*>(data), n);
  }
#endif
  return crc32c::Extend(init_crc, data, n);
}

}  // namespace jadedb::bplustree
