// Entry layout in the arena (one allocation per Add):
//   internal_key_size : varint32  (user key size + 8)
//   user_key          : internal_key_size - 8 bytes
//   tag               : fixed64   (sequence << 8 | type)
//   value_size        : varint32
//   value             : value_size bytes
// The skiplist stores a pointer to the entry; KeyComparator orders entries by their
// internal key.
#include "lsm/memtable/memtable.h"

#include <atomic>
#include <cassert>
#include <cstring>
#include <mutex>

#include "lsm/memtable/skiplist.h"
#include "util/arena.h"
#include "util/coding.h"

namespace jadedb::lsm {

namespace {

// The length-prefixed slice at p. Entries are built by Add, so the varint is well formed.
inline std::string_view GetLengthPrefixedSlice(const char* p) {
  uint32_t len = static_cast<unsigned char>(*p);
  if (len < 128) return std::string_view(p + 1, len);  // keys and values under 128 bytes
  const char* q = GetVarint32PtrFallback(p, p + 5, &len);
  assert(q != nullptr);
  return std::string_view(q, len);
}

// Orders memtable entries by internal key. The skiplist calls it in every step of every
// search, so with the default bytewise user comparator it decodes both length prefixes
// inline and compares with memcmp; only a custom user comparator costs a virtual call.
struct KeyComparator {
  const InternalKeyComparator* icmp;
  bool bytewise;
  int operator()(const char* a, const char* b) const {
    if (bytewise)
      return CompareBytewiseInternalKeys(GetLengthPrefixedSlice(a), GetLengthPrefixedSlice(b));
    return icmp->Compare(GetLengthPrefixedSlice(a), GetLengthPrefixedSlice(b));
  }
};

using Table = SkipList<const char*, KeyComparator>;

class MemTableIterator final : public InternalIterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Seek(std::string_view target) override {
    // The skiplist compares memtable entries: give the target the same length prefix.
    tmp_.clear();
    PutLengthPrefixed(&tmp_, target);
    iter_.Seek(tmp_.data());
  }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override { return GetLengthPrefixedSlice(iter_.key()); }
  std::string_view value() const override {
    std::string_view k = GetLengthPrefixedSlice(iter_.key());
    return GetLengthPrefixedSlice(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  Table::Iterator iter_;
  std::string tmp_;  // encoded Seek target
};

}  // namespace

struct MemTable::Rep {
  explicit Rep(const InternalKeyComparator& cmp)
      : comparator(cmp), table(KeyComparator{&comparator, comparator.bytewise()}, &arena) {}

  const InternalKeyComparator comparator;
  Arena arena;
  Table table;
  // Written by the single writer, read by anyone.
  std::atomic<uint64_t> num_entries{0};
  // Range tombstones are few; a plain list behind a small lock is enough (readers copy it).
  mutable std::mutex range_mu;
  std::vector<RangeTombstone> range_tombstones;
  std::atomic<bool> has_range_tombstones{false};
};

MemTable::MemTable(const InternalKeyComparator& comparator)
    : rep_(std::make_unique<Rep>(comparator)) {}

MemTable::~MemTable() { assert(refs_ == 0); }

void MemTable::Unref() {
  --refs_;
  assert(refs_ >= 0);
  if (refs_ <= 0) delete this;
}

size_t MemTable::ApproximateMemoryUsage() const { return rep_->arena.MemoryUsage(); }

void MemTable::AddRangeTombstone(SequenceNumber seq, std::string_view begin, std::string_view end) {
  // An empty range deletes nothing; it still used its sequence number (the caller's count).
  if (rep_->comparator.user_comparator()->Compare(begin, end) >= 0) return;
  {
    std::lock_guard<std::mutex> lock(rep_->range_mu);
    rep_->range_tombstones.push_back(RangeTombstone{std::string(begin), std::string(end), seq});
  }
  // Charged to the arena so a stream of range deletions still fills the memtable.
  rep_->arena.Allocate(begin.size() + end.size() + 16);
  rep_->has_range_tombstones.store(true, std::memory_order_release);
  rep_->num_entries.store(rep_->num_entries.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
}

void MemTable::GetRangeTombstones(std::vector<RangeTombstone>* out) const {
  if (!HasRangeTombstones()) return;
  std::lock_guard<std::mutex> lock(rep_->range_mu);
  out->insert(out->end(), rep_->range_tombstones.begin(), rep_->range_tombstones.end());
}

bool MemTable::HasRangeTombstones() const {
  return rep_->has_range_tombstones.load(std::memory_order_acquire);
}

std::unique_ptr<InternalIterator> MemTable::NewIterator() {
  return std::make_unique<MemTableIterator>(&rep_->table);
}

void MemTable::Add(SequenceNumber seq, ValueType type, std::string_view key,
                   std::string_view value) {
  const size_t key_size = key.size();
  const size_t val_size = value.size();
  const size_t internal_key_size = key_size + 8;
  const size_t encoded_len = static_cast<size_t>(VarintLength(internal_key_size)) +
                             internal_key_size + static_cast<size_t>(VarintLength(val_size)) +
                             val_size;
  char* buf = rep_->table.AllocateBehindNextNode(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(internal_key_size));
  // Empty views may have a null data(): memcpy must not see it.
  if (key_size > 0) std::memcpy(p, key.data(), key_size);
  p += key_size;
  EncodeFixed64(p, PackSequenceAndType(seq, type));
  p += 8;
  p = EncodeVarint32(p, static_cast<uint32_t>(val_size));
  if (val_size > 0) std::memcpy(p, value.data(), val_size);
  assert(p + val_size == buf + encoded_len);
  rep_->table.Insert(buf);
  rep_->num_entries.store(rep_->num_entries.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* s, SequenceNumber* found_seq,
                   bool* is_pointer) {
  Table::Iterator iter(&rep_->table);
  // Lands on the newest entry of the user key with a sequence <= the lookup's, if any: for
  // one user key, entries sort by sequence descending.
  iter.Seek(key.memtable_key().data());
  if (!iter.Valid()) return false;
  std::string_view internal_key = GetLengthPrefixedSlice(iter.key());
  const std::string_view found_user_key = ExtractUserKey(internal_key);
  const bool same_user_key =
      rep_->comparator.bytewise()
          ? CompareBytewise(found_user_key, key.user_key()) == 0
          : rep_->comparator.user_comparator()->Compare(found_user_key, key.user_key()) == 0;
  if (!same_user_key) return false;  // the next entry is another user key
  if (found_seq != nullptr) *found_seq = ExtractTag(internal_key) >> 8;
  switch (static_cast<ValueType>(ExtractTag(internal_key) & 0xff)) {
    case kTypeRangeDeletion:
      break;  // never stored among point entries
    case kTypeValue:
    case kTypeValuePointer: {
      if (is_pointer != nullptr) {
        *is_pointer = (ExtractTag(internal_key) & 0xff) == kTypeValuePointer;
      }
      std::string_view v = GetLengthPrefixedSlice(internal_key.data() + internal_key.size());
      value->assign(v.data(), v.size());
      *s = Status::OK();
      return true;
    }
    case kTypeDeletion:
      *s = Status::NotFound("key deleted");
      return true;
  }
  return false;  // unreachable: Add only stores known types
}

uint64_t MemTable::NumEntries() const { return rep_->num_entries.load(std::memory_order_relaxed); }

}  // namespace jadedb::lsm
