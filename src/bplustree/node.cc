#include "bplustree/node.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <utility>
#include <vector>

#include "bplustree/page.h"
#include "util/coding.h"

namespace jadedb::bplustree {

// Node header: [u8 kind][u8 reserved][u16 count][u16 heap_top][u16 fragment bytes].

void OverflowRef::EncodeTo(char* dst) const {
  EncodeFixed64(dst, first_page);
  EncodeFixed32(dst + 8, length);
}

OverflowRef OverflowRef::Decode(const char* src) {
  OverflowRef r;
  r.first_page = DecodeFixed64(src);
  r.length = DecodeFixed32(src + 8);
  return r;
}

void Node::Init(char* data, size_t size, bool leaf) {
  assert(size < 65536 && size > kHeaderSize);
  std::memset(data, 0, kHeaderSize);
  data[0] = static_cast<char>(leaf ? kLeafKind : kInternalKind);
  EncodeFixed16(data + 4, static_cast<uint16_t>(size));
}

void Node::Format(bool leaf) {
  WillChange(0, kHeaderSize);
  Init(data_, size_, leaf);
}

void Node::WillChange(size_t off, size_t len) const {
  if (log_ != nullptr) log_->WillChange(base_ + off, len);
}

int Node::count() const { return DecodeFixed16(data_ + 2); }
void Node::set_count(int n) { EncodeFixed16(data_ + 2, static_cast<uint16_t>(n)); }
uint16_t Node::heap_top() const { return DecodeFixed16(data_ + 4); }
void Node::set_heap_top(uint16_t v) { EncodeFixed16(data_ + 4, v); }
uint16_t Node::frag() const { return DecodeFixed16(data_ + 6); }
void Node::set_frag(uint16_t v) { EncodeFixed16(data_ + 6, v); }
uint16_t Node::slot(int i) const { return DecodeFixed16(data_ + kHeaderSize + 2 * i); }
void Node::set_slot(int i, uint16_t off) { EncodeFixed16(data_ + kHeaderSize + 2 * i, off); }

Status Node::Validate(std::string_view what) const {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("bad B+tree node", std::string(what) + ": " + why);
  };
  uint8_t kind = static_cast<uint8_t>(data_[0]);
  if (kind != kLeafKind && kind != kInternalKind) return bad("unknown node kind");
  size_t n = count();
  size_t slots_end = kHeaderSize + 2 * n;
  if (heap_top() > size_ || slots_end > heap_top()) return bad("slot array overlaps heap");
  size_t used = 0;
  // Cells must not overlap, since RemoveCell, InsertCell and Compact move and overwrite them
  // as if every heap byte belonged to at most one cell. Checked with one bit per heap byte
  // (a page is read from disk on every buffer-pool miss, so this runs often: a bitmap is
  // linear in the cell bytes and allocates nothing, unlike sorting the cell extents).
  constexpr size_t kMaxWords = 65536 / 64;
  uint64_t taken[kMaxWords];
  if (size_ > 65536) return bad("node larger than 64 KiB");
  const size_t heap = heap_top();
  const size_t words = (size_ - heap + 63) / 64;
  std::memset(taken, 0, words * sizeof(uint64_t));
  for (size_t i = 0; i < n; i++) {
    size_t off = slot(static_cast<int>(i));
    if (off < heap || off >= size_) return bad("cell offset out of range");
    const char* p = data_ + off + 1;
    const char* limit = data_ + size_;
    uint32_t klen, vlen;
    p = GetVarint32Ptr(p, limit, &klen);
    if (p != nullptr) p = GetVarint32Ptr(p, limit, &vlen);
    if (p == nullptr || static_cast<size_t>(limit - p) < size_t{klen} + vlen) {
      return bad("cell overruns page");
    }
    uint8_t f = static_cast<uint8_t>(data_[off]);
    if ((f & kKeyOverflow) && klen != kInlineKeyPrefix + OverflowRef::kEncodedSize) {
      return bad("bad overflowed key");
    }
    if ((f & kValueOverflow) && vlen != OverflowRef::kEncodedSize) return bad("bad overflow ref");
    if (kind == kInternalKind && vlen != 8) return bad("bad child pointer");
    const size_t cell_size = static_cast<size_t>(p - (data_ + off)) + klen + vlen;
    used += cell_size;
    // Mark heap bytes [b, e] (relative to heap_top; cell_size >= 3) in the bitmap: a partial
    // first and last word, whole words between.
    const size_t b = off - heap, e = b + cell_size - 1;
    const size_t w0 = b / 64, w1 = e / 64;
    const uint64_t first = ~uint64_t{0} << (b % 64);
    const uint64_t last = ~uint64_t{0} >> (63 - e % 64);
    if (w0 == w1) {
      const uint64_t m = first & last;
      if (taken[w0] & m) return bad("cells overlap");
      taken[w0] |= m;
      continue;
    }
    uint64_t clash = (taken[w0] & first) | (taken[w1] & last);
    taken[w0] |= first;
    taken[w1] |= last;
    for (size_t w = w0 + 1; w < w1; w++) {
      clash |= taken[w];
      taken[w] = ~uint64_t{0};
    }
    if (clash != 0) return bad("cells overlap");
  }
  if (used + frag() > size_ - heap_top()) return bad("cells overlap");
  return Status::OK();
}

void Node::Parse(int i, uint8_t* flags, std::string_view* key, std::string_view* value) const {
  const char* base = data_ + slot(i);
  const char* limit = data_ + size_;
  *flags = static_cast<uint8_t>(base[0]);
  uint32_t klen = 0, vlen = 0;
  const char* p = GetVarint32Ptr(base + 1, limit, &klen);
  p = GetVarint32Ptr(p, limit, &vlen);
  *key = std::string_view(p, klen);
  *value = std::string_view(p + klen, vlen);
}

uint8_t Node::flags(int i) const { return static_cast<uint8_t>(data_[slot(i)]); }

std::string_view Node::raw_key(int i) const {
  uint8_t f;
  std::string_view k, v;
  Parse(i, &f, &k, &v);
  return k;
}

std::string_view Node::raw_value(int i) const {
  uint8_t f;
  std::string_view k, v;
  Parse(i, &f, &k, &v);
  return v;
}

std::string_view Node::KeyPrefix(int i) const {
  std::string_view k = raw_key(i);
  return key_overflow(i) ? k.substr(0, kInlineKeyPrefix) : k;
}

OverflowRef Node::KeyRef(int i) const {
  return OverflowRef::Decode(raw_key(i).data() + kInlineKeyPrefix);
}

OverflowRef Node::ValueRef(int i) const { return OverflowRef::Decode(raw_value(i).data()); }

uint64_t Node::child(int i) const { return DecodeFixed64(raw_value(i).data()); }

void Node::set_child(int i, uint64_t page) {
  char* p = const_cast<char*>(raw_value(i).data());
  WillChange(static_cast<size_t>(p - data_), 8);
  EncodeFixed64(p, page);
}

Status Node::FullKey(int i, const KeyLoader& loader, std::string* key) const {
  if (!key_overflow(i)) {
    key->assign(raw_key(i));
    return Status::OK();
  }
  if (!loader) return Status::Corruption("overflowed key without a loader");
  return loader(KeyRef(i), key);
}

std::string_view Node::Cell(int i) const {
  uint8_t f;
  std::string_view k, v;
  Parse(i, &f, &k, &v);
  const char* start = data_ + slot(i);
  return std::string_view(start, static_cast<size_t>(v.data() + v.size() - start));
}

size_t Node::CellSize(int i) const { return Cell(i).size(); }

int Node::Compare(int i, std::string_view target, const KeyLoader& loader, Status* s) const {
  // Fast path for the usual cell (inline key, key and value lengths < 128: one-byte varints):
  // every probe of every binary search on every level lands here.
  const char* base = data_ + slot(i);
  const auto klen = static_cast<uint8_t>(base[1]), vlen = static_cast<uint8_t>(base[2]);
  if ((base[0] & kKeyOverflow) == 0 && klen < 128 && vlen < 128) {
    return std::string_view(base + 3, klen).compare(target);
  }
  if (!key_overflow(i)) return raw_key(i).compare(target);
  std::string_view prefix = KeyPrefix(i);
  // The full key is longer than its prefix, so a prefix mismatch decides alone.
  int c = prefix.compare(target.substr(0, prefix.size()));
  if (c != 0) return c;
  if (target.size() <= prefix.size()) return 1;
  std::string full;
  Status ls = FullKey(i, loader, &full);
  if (!ls.ok()) {
    *s = ls;
    return 0;
  }
  return std::string_view(full).compare(target);
}

int Node::LowerBound(std::string_view target, const KeyLoader& loader, bool* found,
                     Status* s) const {
  int lo = 0, hi = count();
  *found = false;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = Compare(mid, target, loader, s);
    if (!s->ok()) return 0;
    if (c < 0) {
      lo = mid + 1;
    } else {
      if (c == 0) *found = true;
      hi = mid;
    }
  }
  if (lo < count() && *found) {
    // found was set on some mid; it is only meaningful for the final position.
    *found = Compare(lo, target, loader, s) == 0;
  }
  return lo;
}

int Node::ChildIndex(std::string_view target, const KeyLoader& loader, Status* s) const {
  // The last cell whose key <= target; cell 0 (minus infinity) always qualifies.
  int lo = 1, hi = count();
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    int c = Compare(mid, target, loader, s);
    if (!s->ok()) return 0;
    if (c <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

size_t Node::FreeSpace() const {
  return heap_top() - (kHeaderSize + 2 * static_cast<size_t>(count())) + frag();
}

bool Node::InsertCell(int pos, std::string_view cell) {
  if (!Fits(cell.size())) return false;
  size_t contiguous = heap_top() - (kHeaderSize + 2 * static_cast<size_t>(count()));
  if (contiguous < cell.size() + 2) Compact();
  uint16_t off = static_cast<uint16_t>(heap_top() - cell.size());
  int n = count();
  WillChange(off, cell.size());
  WillChange(kHeaderSize + 2 * static_cast<size_t>(pos), 2 * static_cast<size_t>(n - pos + 1));
  WillChange(2, 4);  // count, heap_top
  std::memcpy(data_ + off, cell.data(), cell.size());
  set_heap_top(off);
  char* slots = data_ + kHeaderSize;
  std::memmove(slots + 2 * (pos + 1), slots + 2 * pos, 2 * static_cast<size_t>(n - pos));
  set_slot(pos, off);
  set_count(n + 1);
  return true;
}

void Node::RemoveCell(int i) {
  size_t sz = CellSize(i);
  int n = count();
  char* slots = data_ + kHeaderSize;
  WillChange(2, 6);  // count, heap_top, frag
  WillChange(kHeaderSize + 2 * static_cast<size_t>(i), 2 * static_cast<size_t>(n - i - 1));
  if (slot(i) == heap_top()) {
    set_heap_top(static_cast<uint16_t>(heap_top() + sz));
  } else {
    set_frag(static_cast<uint16_t>(frag() + sz));
  }
  std::memmove(slots + 2 * i, slots + 2 * (i + 1), 2 * static_cast<size_t>(n - i - 1));
  set_count(n - 1);
}

bool Node::ReplaceCell(int i, std::string_view cell) {
  size_t old = CellSize(i);
  if (cell.size() == old) {
    WillChange(slot(i), cell.size());
    std::memmove(data_ + slot(i), cell.data(), cell.size());
    return true;
  }
  if (FreeSpace() + old < cell.size()) return false;
  std::string copy(cell);  // cell may point into this page
  RemoveCell(i);
  bool ok = InsertCell(i, copy);
  assert(ok);
  return ok;
}

void Node::Compact() {
  int n = count();
  size_t top = size_;
  // Copy cells out first: they may overlap their new places.
  std::vector<std::string> cells(n);
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    cells[i] = std::string(Cell(i));
    total += cells[i].size();
  }
  WillChange(size_ - total, total);
  WillChange(kHeaderSize, 2 * static_cast<size_t>(n));
  WillChange(4, 4);  // heap_top, frag
  for (int i = 0; i < n; i++) {
    top -= cells[i].size();
    std::memcpy(data_ + top, cells[i].data(), cells[i].size());
    set_slot(i, static_cast<uint16_t>(top));
  }
  set_heap_top(static_cast<uint16_t>(top));
  set_frag(0);
}

void Node::Clear() {
  WillChange(2, 6);  // count, heap_top, frag
  set_count(0);
  set_heap_top(static_cast<uint16_t>(size_));
  set_frag(0);
}

size_t Node::EncodedSize(size_t key_len, size_t value_len) {
  return 1 + VarintLength(key_len) + VarintLength(value_len) + key_len + value_len;
}

std::string Node::EncodeCell(uint8_t flags, std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(EncodedSize(key.size(), value.size()));
  out.push_back(static_cast<char>(flags));
  PutVarint32(&out, static_cast<uint32_t>(key.size()));
  PutVarint32(&out, static_cast<uint32_t>(value.size()));
  out.append(key);
  out.append(value);
  return out;
}

std::string Node::EncodeInternalCell(uint8_t flags, std::string_view key, uint64_t child) {
  char buf[8];
  EncodeFixed64(buf, child);
  return EncodeCell(flags, key, std::string_view(buf, 8));
}

}  // namespace jadedb::bplustree
