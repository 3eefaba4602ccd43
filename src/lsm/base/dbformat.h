// The LSM engine's internal key format and the comparators built on it.
//
// An internal key is the user key followed by an 8-byte little-endian tag,
//   tag = (sequence << 8) | value_type,
// so every version of a user key is a separate entry. Internal keys sort by user key
// ascending, then by sequence descending (newest first), then by type descending.
// See docs/formats/sstable.md.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "lsm/base/comparator.h"
#include "lsm/base/filter_policy.h"
#include "util/coding.h"

namespace jadedb::lsm {

using SequenceNumber = uint64_t;
// Sequences use 56 bits so they fit in the tag with the type.
inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

// Persisted in tables and logs: never renumber. The values equal WriteBatch record tags.
enum ValueType : uint8_t {
  kTypeDeletion = 0x0,
  kTypeValue = 0x1,
  // Range deletions live in their own list/block (range_tombstone.h), never among point
  // entries; the type appears in the internal keys of a range-deletion block and in table
  // bounds that a tombstone extends.
  kTypeRangeDeletion = 0x2,
  // A value kept in the value log: the entry's value is an encoded vlog::ValuePointer
  // (docs/formats/vlog.md). Reads resolve it; compaction carries it like any value.
  kTypeValuePointer = 0x3,
};
// The type used when seeking: entries sort by type descending within a sequence, so seeking
// for (key, seq, kValueTypeForSeek) lands before every entry of key at or below seq. It must
// be the highest type value.
inline constexpr ValueType kValueTypeForSeek = kTypeValuePointer;

inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType t) { return (seq << 8) | t; }

struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeValue;

  ParsedInternalKey() = default;
  ParsedInternalKey(std::string_view u, SequenceNumber seq, ValueType t)
      : user_key(u), sequence(seq), type(t) {}
  std::string DebugString() const;
};

inline size_t InternalKeyEncodingLength(const ParsedInternalKey& k) {
  return k.user_key.size() + 8;
}
void AppendInternalKey(std::string* result, const ParsedInternalKey& key);
// False when internal_key is too short or has an unknown type.
bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result);

// Requires internal_key.size() >= 8.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  return internal_key.substr(0, internal_key.size() - 8);
}
inline uint64_t ExtractTag(std::string_view internal_key) {
  return DecodeFixed64(internal_key.data() + internal_key.size() - 8);
}

// Compares two internal keys (each at least 8 bytes) whose user keys are ordered bytewise:
// user key ascending by memcmp, then tag descending. Inline and free of virtual calls, since
// it is the innermost operation of every memtable, block and merge step.
inline int CompareBytewiseInternalKeys(std::string_view a, std::string_view b) {
  const size_t a_user = a.size() - 8;
  const size_t b_user = b.size() - 8;
  const size_t n = a_user < b_user ? a_user : b_user;
  const int r = CompareBytes(a.data(), b.data(), n);
  if (r != 0) return r;
  if (a_user != b_user) return a_user < b_user ? -1 : +1;
  const uint64_t a_tag = DecodeFixed64(a.data() + a_user);
  const uint64_t b_tag = DecodeFixed64(b.data() + b_user);
  return a_tag > b_tag ? -1 : (a_tag < b_tag ? +1 : 0);
}

// cmp->Compare(a, b), without virtual calls when cmp orders internal keys bytewise (keys too
// short to be internal keys, as in a damaged block, take the comparator's own path).
inline int CompareKeys(const Comparator* cmp, std::string_view a, std::string_view b) {
  if (cmp->is_bytewise_internal() && a.size() >= 8 && b.size() >= 8) {
    return CompareBytewiseInternalKeys(a, b);
  }
  return cmp->Compare(a, b);
}

// Orders internal keys: user key by the user comparator, then tag descending.
class InternalKeyComparator final : public Comparator {
 public:
  explicit InternalKeyComparator(const Comparator* user)
      : user_comparator_(user), bytewise_(user == BytewiseComparator()) {
    bytewise_internal_ = bytewise_;
  }
  // Inline so that callers holding an InternalKeyComparator (not a Comparator*) compile the
  // bytewise case to a memcmp.
  int Compare(std::string_view a, std::string_view b) const override {
    if (bytewise_ && a.size() >= 8 && b.size() >= 8) return CompareBytewiseInternalKeys(a, b);
    return CompareWithUserComparator(a, b);
  }
  // True when the user comparator is BytewiseComparator() (CompareBytewiseInternalKeys
  // applies).
  bool bytewise() const { return bytewise_; }
  const char* Name() const override { return "jadedb.InternalKeyComparator"; }
  void FindShortestSeparator(std::string* start, std::string_view limit) const override;
  void FindShortSuccessor(std::string* key) const override;
  const Comparator* user_comparator() const { return user_comparator_; }

 private:
  int CompareWithUserComparator(std::string_view a, std::string_view b) const;

  const Comparator* user_comparator_;
  bool bytewise_;
};

// Applies a user-key filter policy to internal keys by stripping the tag.
class InternalFilterPolicy final : public FilterPolicy {
 public:
  explicit InternalFilterPolicy(const FilterPolicy* user) : user_policy_(user) {}
  const char* Name() const override { return user_policy_->Name(); }
  void CreateFilter(const std::vector<std::string_view>& keys, std::string* dst) const override;
  bool KeyMayMatch(std::string_view key, std::string_view filter) const override;

 private:
  const FilterPolicy* user_policy_;
};

// An owned internal key (used for file boundaries in versions).
class InternalKey {
 public:
  InternalKey() = default;
  InternalKey(std::string_view user_key, SequenceNumber s, ValueType t) {
    AppendInternalKey(&rep_, ParsedInternalKey(user_key, s, t));
  }
  // False when the encoding is not a valid internal key.
  bool DecodeFrom(std::string_view s) {
    rep_.assign(s.data(), s.size());
    return rep_.size() >= 8;
  }
  std::string_view Encode() const { return rep_; }
  std::string_view user_key() const { return ExtractUserKey(rep_); }
  void SetFrom(const ParsedInternalKey& p) {
    rep_.clear();
    AppendInternalKey(&rep_, p);
  }
  void Clear() { rep_.clear(); }
  bool empty() const { return rep_.empty(); }
  std::string DebugString() const;

 private:
  std::string rep_;
};

inline int CompareInternalKeys(const InternalKeyComparator& icmp, const InternalKey& a,
                               const InternalKey& b) {
  return icmp.Compare(a.Encode(), b.Encode());
}

// The key a memtable lookup searches for: varint32 length of the internal key, the user key,
// and the tag (sequence, kValueTypeForSeek). Gives the memtable key, the internal key and the
// user key without copies.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey();

  std::string_view memtable_key() const { return std::string_view(start_, end_ - start_); }
  std::string_view internal_key() const { return std::string_view(kstart_, end_ - kstart_); }
  std::string_view user_key() const { return std::string_view(kstart_, end_ - kstart_ - 8); }

 private:
  const char* start_;
  const char* kstart_;
  const char* end_;
  char space_[200];  // avoids allocation for short keys
};

}  // namespace jadedb::lsm
