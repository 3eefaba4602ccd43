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
  // Two spare words: the three-word marking below may touch (with empty masks) words past
  // the last one.
  constexpr size_t kMaxWords = 65536 / 64 + 2;
  uint64_t taken[kMaxWords];
  if (size_ > 65536) return bad("node larger than 64 KiB");
  const size_t heap = heap_top();
  const size_t words = (size_ - heap + 63) / 64 + 2;
  std::memset(taken, 0, words * sizeof(uint64_t));
  for (size_t i = 0; i < n; i++) {
    size_t off = slot(static_cast<int>(i));
    if (off < heap || off >= size_) return bad("cell offset out of range");
    const auto* c = reinterpret_cast<const uint8_t*>(data_ + off);
    const uint8_t f = c[0];
    uint32_t klen, vlen;
    size_t cell_size;
    if (off + 3 <= size_ && ((c[1] | c[2]) & 0x80) == 0) {
      // The usual cell: one-byte key and value lengths.
      klen = c[1];
      vlen = c[2];
      cell_size = 3 + size_t{klen} + vlen;
      if (off + cell_size > size_) return bad("cell overruns page");
    } else {
      const char* p = data_ + off + 1;
      const char* limit = data_ + size_;
      p = GetVarint32Ptr(p, limit, &klen);
      if (p != nullptr) p = GetVarint32Ptr(p, limit, &vlen);
      if (p == nullptr || static_cast<size_t>(limit - p) < size_t{klen} + vlen) {
        return bad("cell overruns page");
      }
      cell_size = static_cast<size_t>(p - (data_ + off)) + klen + vlen;
    }
    if (f != 0 || kind != kLeafKind) {  // a plain leaf cell has nothing more to check
      if ((f & kKeyOverflow) && klen != kInlineKeyPrefix + OverflowRef::kEncodedSize) {
        return bad("bad overflowed key");
      }
      if ((f & kValueOverflow) && vlen != OverflowRef::kEncodedSize) return bad("bad overflow ref");
      if (kind == kInternalKind && vlen != 8) return bad("bad child pointer");
    }
    used += cell_size;
    // Mark heap bytes [b, e] (relative to heap_top; cell_size >= 3) in the bitmap: a partial
    // first and last word, whole words between. A usual cell (< 130 bytes) spans at most
    // three words, marked with masks and no loop or branch.
    const size_t b = off - heap, e = b + cell_size - 1;
    const size_t w0 = b / 64, w1 = e / 64;
    const uint64_t first = ~uint64_t{0} << (b % 64);
    const uint64_t last = ~uint64_t{0} >> (63 - e % 64);
    uint64_t clash;
    if (w1 - w0 <= 2) {
      const size_t span = w1 - w0;
      const uint64_t m0 = span == 0 ? first & last : first;
      const uint64_t m1 = span == 0 ? 0 : (span == 1 ? last : ~uint64_t{0});
      const uint64_t m2 = span == 2 ? last : 0;
      clash = (taken[w0] & m0) | (taken[w0 + 1] & m1) | (taken[w0 + 2] & m2);
      taken[w0] |= m0;
      taken[w0 + 1] |= m1;
      taken[w0 + 2] |= m2;
    } else {
      clash = (taken[w0] & first) | (taken[w1] & last);
      taken[w0] |= first;
      taken[w1] |= last;
      for (size_t w = w0 + 1; w < w1; w++) {
        clash |= taken[w];
        taken[w] = ~uint64_t{0};
      }
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

namespace {
// Bytewise three-way compare (the sign of memcmp, then the shorter first), inline and eight
// bytes at a time: for short keys a call to the library memcmp costs more than the compare.
inline int CompareKeyBytes(const char* a, size_t a_len, std::string_view b) {
  const size_t n = std::min(a_len, b.size());
  const char* bp = b.data();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, bp + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; i < n; i++) {
    const auto x = static_cast<uint8_t>(a[i]), y = static_cast<uint8_t>(bp[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a_len < b.size() ? -1 : (a_len > b.size() ? 1 : 0);
}
}  // namespace

inline int Node::CompareInline(int i, std::string_view target, const KeyLoader& loader,
                               Status* s) const {
  // Fast path for the usual cell (inline key, key and value lengths < 128: one-byte varints):
  // every probe of every binary search on every level lands here.
  const char* base = data_ + slot(i);
  const auto klen = static_cast<uint8_t>(base[1]), vlen = static_cast<uint8_t>(base[2]);
  if ((base[0] & kKeyOverflow) == 0 && klen < 128 && vlen < 128) {
    return CompareKeyBytes(base + 3, klen, target);
  }
  return CompareSlow(i, target, loader, s);
}

int Node::Compare(int i, std::string_view target, const KeyLoader& loader, Status* s) const {
  return CompareInline(i, target, loader, s);
}

int Node::CompareSlow(int i, std::string_view target, const KeyLoader& loader, Status* s) const {
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

// Binary search over a node that may not be in the CPU cache (a page just read, or one of
// many hot pages): each probe reads a slot and then a cell at an unrelated offset, so a plain
// search waits for one memory miss per probe, one after another. Here the slot array is
// fetched up front (its lines in parallel), and each probe asks for the cells of both
// possible next probes before it compares, so the one needed next is already on its way
// while this comparison waits for its own cell: the misses overlap instead of queueing.
void Node::PrefetchSlots(int n) const {
  const char* begin = data_ + kHeaderSize;
  const char* end = begin + 2 * static_cast<size_t>(n);
  if (end - begin <= kPrefetchSlotBytes) {
    for (const char* p = begin; p < end; p += 64) __builtin_prefetch(p);
    if (n > 0) __builtin_prefetch(end - 1);
    return;
  }
  // A large array (big pages, short keys): only the slots of the first three levels of the
  // search (at the eighths); deeper probes fall within an eighth of the array.
  for (int k = 1; k < 8; k++) __builtin_prefetch(begin + 2 * (static_cast<size_t>(n) * k / 8));
}

void Node::PrefetchCell(int i) const {
  // The cell header and, for the usual short key, the rest of the key (which may cross into
  // the next cache line).
  const char* c = data_ + slot(i);
  __builtin_prefetch(c);
  __builtin_prefetch(c + 24);
}

// Prefetches the cells of the probes after mid in a search over [lo, hi).
inline void Node::PrefetchNextProbes(int lo, int mid, int hi) const {
  const int left = lo + (mid - lo) / 2;  // next probe when the answer is below mid
  if (left < mid) PrefetchCell(left);
  const int right = mid + 1 + (hi - mid - 1) / 2;  // and when it is above
  if (right < hi) PrefetchCell(right);
}

int Node::LowerBound(std::string_view target, const KeyLoader& loader, bool* found,
                     Status* s) const {
  *found = false;
  const int n = count();
  PrefetchSlots(n);
  int lo = 0, hi = n;
  // The answer is the last mid that set hi (or n when none did); it equals target exactly
  // when that probe compared equal.
  bool last_equal = false;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    PrefetchNextProbes(lo, mid, hi);
    int c = CompareInline(mid, target, loader, s);
    if (!s->ok()) return 0;
    if (c < 0) {
      lo = mid + 1;
    } else {
      last_equal = c == 0;
      hi = mid;
    }
  }
  *found = lo < n && last_equal;
  return lo;
}

int Node::ChildIndex(std::string_view target, const KeyLoader& loader, Status* s) const {
  // The last cell whose key <= target; cell 0 (minus infinity) always qualifies.
  const int n = count();
  PrefetchSlots(n);
  int lo = 1, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    PrefetchNextProbes(lo, mid, hi);
    int c = CompareInline(mid, target, loader, s);
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
