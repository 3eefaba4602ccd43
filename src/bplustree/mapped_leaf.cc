#include "bplustree/mapped_leaf.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "bplustree/node.h"
#include "bplustree/page.h"
#include "util/coding.h"

namespace jadedb::bplustree {

namespace {

// A cell's inline key and value, or false when the cell is out of bounds or has an
// overflowed key (whose order the inline prefix alone cannot decide).
bool ReadCell(const char* node, size_t size, uint16_t off, std::string_view* key,
              std::string_view* value, uint8_t* flags) {
  if (off < Node::kHeaderSize || off >= size) return false;
  const char* p = node + off;
  const char* limit = node + size;
  *flags = static_cast<uint8_t>(*p++);
  uint32_t key_len, value_len;
  p = GetVarint32Ptr(p, limit, &key_len);
  if (p == nullptr) return false;
  p = GetVarint32Ptr(p, limit, &value_len);
  if (p == nullptr) return false;
  if (static_cast<size_t>(limit - p) < uint64_t{key_len} + value_len) return false;
  if (*flags & kKeyOverflow) return false;
  *key = std::string_view(p, key_len);
  *value = std::string_view(p + key_len, value_len);
  return true;
}

}  // namespace

MappedLeafResult FindInMappedLeaf(const char* page, size_t page_size, std::string_view key,
                                  std::string* value) {
  if (PageView(page, page_size).type() != PageType::kLeaf) return MappedLeafResult::kUnsure;
  const char* node = page + PayloadBegin();
  const size_t size = PayloadSize(page_size);
  if (static_cast<uint8_t>(node[0]) != Node::kLeafKind) return MappedLeafResult::kUnsure;
  const size_t count = DecodeFixed16(node + 2);
  if (Node::kHeaderSize + 2 * count > size) return MappedLeafResult::kUnsure;
  // The slot array is read at every probe: start loading it (up to 16 lines) at once.
  const char* slots = node + Node::kHeaderSize;
  for (size_t b = 0; b < std::min<size_t>(2 * count, 1024); b += 64) __builtin_prefetch(slots + b);

  size_t lo = 0, hi = count;
  bool last_equal = false;
  std::string_view found_value;
  uint8_t found_flags = 0;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    std::string_view k, v;
    uint8_t flags;
    if (!ReadCell(node, size, DecodeFixed16(slots + 2 * mid), &k, &v, &flags)) {
      return MappedLeafResult::kUnsure;
    }
    const int c = k.compare(key);
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
      last_equal = c == 0;
      if (last_equal) {
        found_value = v;
        found_flags = flags;
      }
    }
  }
  if (!last_equal) return MappedLeafResult::kNotFound;
  if (found_flags & kValueOverflow) return MappedLeafResult::kUnsure;
  value->assign(found_value.data(), found_value.size());
  return MappedLeafResult::kFound;
}

}  // namespace jadedb::bplustree
