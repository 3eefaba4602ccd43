#include "lsm/base/dbformat.h"

#include <cstdio>

namespace jadedb::lsm {
namespace {

std::string EscapeForDebug(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out.append(buf);
    }
  }
  return out;
}

}  // namespace

void AppendInternalKey(std::string* result, const ParsedInternalKey& key) {
  result->append(key.user_key.data(), key.user_key.size());
  PutFixed64(result, PackSequenceAndType(key.sequence, key.type));
}

bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result) {
  if (internal_key.size() < 8) return false;
  uint64_t tag = ExtractTag(internal_key);
  auto type = static_cast<uint8_t>(tag & 0xff);
  result->user_key = ExtractUserKey(internal_key);
  result->sequence = tag >> 8;
  result->type = static_cast<ValueType>(type);
  return type <= kTypeValuePointer;
}

std::string ParsedInternalKey::DebugString() const {
  return "'" + EscapeForDebug(user_key) + "' @ " + std::to_string(sequence) + " : " +
         std::to_string(static_cast<int>(type));
}

std::string InternalKey::DebugString() const {
  ParsedInternalKey parsed;
  if (ParseInternalKey(rep_, &parsed)) return parsed.DebugString();
  return "(bad)" + EscapeForDebug(rep_);
}

int InternalKeyComparator::CompareWithUserComparator(std::string_view a, std::string_view b) const {
  if (a.size() < 8 || b.size() < 8) {
    // Not internal keys: only a damaged block (data blocks are not checksummed on every
    // read) yields them. Order them before every valid key, bytewise among themselves, so a
    // comparison never reads outside them; the reader rejects them once they surface.
    if (a.size() >= 8) return +1;
    if (b.size() >= 8) return -1;
    return a.compare(b);
  }
  int r = user_comparator_->Compare(ExtractUserKey(a), ExtractUserKey(b));
  if (r == 0) {
    uint64_t anum = ExtractTag(a);
    uint64_t bnum = ExtractTag(b);
    if (anum > bnum) {
      r = -1;
    } else if (anum < bnum) {
      r = +1;
    }
  }
  return r;
}

void InternalKeyComparator::FindShortestSeparator(std::string* start,
                                                  std::string_view limit) const {
  std::string_view user_start = ExtractUserKey(*start);
  std::string_view user_limit = ExtractUserKey(limit);
  std::string tmp(user_start);
  user_comparator_->FindShortestSeparator(&tmp, user_limit);
  if (tmp.size() < user_start.size() && user_comparator_->Compare(user_start, tmp) < 0) {
    // The user key got shorter but larger: give it the earliest tag so it still sorts
    // before limit and after start.
    PutFixed64(&tmp, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    start->swap(tmp);
  }
}

void InternalKeyComparator::FindShortSuccessor(std::string* key) const {
  std::string_view user_key = ExtractUserKey(*key);
  std::string tmp(user_key);
  user_comparator_->FindShortSuccessor(&tmp);
  if (tmp.size() < user_key.size() && user_comparator_->Compare(user_key, tmp) < 0) {
    PutFixed64(&tmp, PackSequenceAndType(kMaxSequenceNumber, kValueTypeForSeek));
    key->swap(tmp);
  }
}

void InternalFilterPolicy::CreateFilter(const std::vector<std::string_view>& keys,
                                        std::string* dst) const {
  std::vector<std::string_view> user_keys;
  user_keys.reserve(keys.size());
  for (std::string_view k : keys) user_keys.push_back(ExtractUserKey(k));
  user_policy_->CreateFilter(user_keys, dst);
}

bool InternalFilterPolicy::KeyMayMatch(std::string_view key, std::string_view filter) const {
  return user_policy_->KeyMayMatch(ExtractUserKey(key), filter);
}

LookupKey::LookupKey(std::string_view user_key, SequenceNumber s) {
  size_t usize = user_key.size();
  size_t needed = usize + 13;  // varint32 (<= 5 bytes) + tag (8 bytes)
  char* dst = needed <= sizeof(space_) ? space_ : new char[needed];
  start_ = dst;
  dst = EncodeVarint32(dst, static_cast<uint32_t>(usize + 8));
  kstart_ = dst;
  std::memcpy(dst, user_key.data(), usize);
  dst += usize;
  EncodeFixed64(dst, PackSequenceAndType(s, kValueTypeForSeek));
  dst += 8;
  end_ = dst;
}

LookupKey::~LookupKey() {
  if (start_ != space_) delete[] start_;
}

}  // namespace jadedb::lsm
