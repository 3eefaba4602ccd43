#include "lsm/version/version_edit.h"

#include "util/coding.h"

namespace jadedb::lsm {
namespace {

// Field tags of the encoding. Persisted in every MANIFEST: never renumber or reuse a value
// (docs/formats/manifest.md). 8 was LevelDB's large-value reference and stays unused.
enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kCompactPointer = 5,
  kDeletedFile = 6,
  kNewFile = 7,
  kPrevLogNumber = 9,
  kFormatVersion = 10,
};

bool GetLevel(std::string_view* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= static_cast<uint32_t>(kNumLevels)) return false;
  *level = static_cast<int>(v);
  return true;
}

bool GetInternalKey(std::string_view* input, InternalKey* key) {
  std::string_view s;
  if (!GetLengthPrefixed(input, &s)) return false;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(s, &parsed)) return false;
  return key->DecodeFrom(s);
}

const char* TagName(uint32_t tag) {
  switch (tag) {
    case kComparator:
      return "comparator";
    case kLogNumber:
      return "log number";
    case kNextFileNumber:
      return "next file number";
    case kLastSequence:
      return "last sequence";
    case kCompactPointer:
      return "compact pointer";
    case kDeletedFile:
      return "deleted file";
    case kNewFile:
      return "new file";
    case kPrevLogNumber:
      return "previous log number";
    case kFormatVersion:
      return "format version";
    default:
      return "unknown";
  }
}

}  // namespace

void VersionEdit::Clear() { *this = VersionEdit(); }

void VersionEdit::AddFile(int level, uint64_t number, uint64_t file_size,
                          const InternalKey& smallest, const InternalKey& largest) {
  FileMetaData f;
  f.number = number;
  f.file_size = file_size;
  f.smallest = smallest;
  f.largest = largest;
  new_files_.emplace_back(level, std::move(f));
}

void VersionEdit::EncodeTo(std::string* dst) const {
  if (has_format_version_) {
    PutVarint32(dst, kFormatVersion);
    PutVarint32(dst, format_version_);
  }
  if (has_comparator_) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixed(dst, comparator_);
  }
  if (has_log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, log_number_);
  }
  if (has_prev_log_number_) {
    PutVarint32(dst, kPrevLogNumber);
    PutVarint64(dst, prev_log_number_);
  }
  if (has_next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, next_file_number_);
  }
  if (has_last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, last_sequence_);
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutVarint32(dst, kCompactPointer);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutLengthPrefixed(dst, key.Encode());
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixed(dst, f.smallest.Encode());
    PutLengthPrefixed(dst, f.largest.Encode());
  }
}

Status VersionEdit::DecodeFrom(std::string_view src) {
  Clear();
  std::string_view input = src;
  while (!input.empty()) {
    const size_t field_offset = src.size() - input.size();
    uint32_t tag;
    if (!GetVarint32(&input, &tag)) {
      return Status::Corruption("version edit: malformed tag at byte " +
                                std::to_string(field_offset));
    }
    bool ok = true;
    int level = 0;
    uint64_t number = 0;
    switch (tag) {
      case kFormatVersion: {
        uint32_t version;
        ok = GetVarint32(&input, &version);
        if (ok) SetFormatVersion(version);
        break;
      }
      case kComparator: {
        std::string_view name;
        ok = GetLengthPrefixed(&input, &name);
        if (ok) SetComparatorName(name);
        break;
      }
      case kLogNumber:
        ok = GetVarint64(&input, &number);
        if (ok) SetLogNumber(number);
        break;
      case kPrevLogNumber:
        ok = GetVarint64(&input, &number);
        if (ok) SetPrevLogNumber(number);
        break;
      case kNextFileNumber:
        ok = GetVarint64(&input, &number);
        if (ok) SetNextFile(number);
        break;
      case kLastSequence:
        ok = GetVarint64(&input, &number);
        if (ok) SetLastSequence(number);
        break;
      case kCompactPointer: {
        InternalKey key;
        ok = GetLevel(&input, &level) && GetInternalKey(&input, &key);
        if (ok) SetCompactPointer(level, key);
        break;
      }
      case kDeletedFile:
        ok = GetLevel(&input, &level) && GetVarint64(&input, &number);
        if (ok) RemoveFile(level, number);
        break;
      case kNewFile: {
        FileMetaData f;
        ok = GetLevel(&input, &level) && GetVarint64(&input, &f.number) &&
             GetVarint64(&input, &f.file_size) && GetInternalKey(&input, &f.smallest) &&
             GetInternalKey(&input, &f.largest);
        if (ok) new_files_.emplace_back(level, std::move(f));
        break;
      }
      default:
        return Status::Corruption("version edit: unknown tag " + std::to_string(tag) + " at byte " +
                                  std::to_string(field_offset));
    }
    if (!ok) {
      return Status::Corruption(std::string("version edit: malformed ") + TagName(tag) +
                                " field (tag " + std::to_string(tag) + ") at byte " +
                                std::to_string(field_offset));
    }
  }
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (has_format_version_) r += "\n  FormatVersion: " + std::to_string(format_version_);
  if (has_comparator_) r += "\n  Comparator: " + comparator_;
  if (has_log_number_) r += "\n  LogNumber: " + std::to_string(log_number_);
  if (has_prev_log_number_) r += "\n  PrevLogNumber: " + std::to_string(prev_log_number_);
  if (has_next_file_number_) r += "\n  NextFile: " + std::to_string(next_file_number_);
  if (has_last_sequence_) r += "\n  LastSeq: " + std::to_string(last_sequence_);
  for (const auto& [level, key] : compact_pointers_) {
    r += "\n  CompactPointer: " + std::to_string(level) + " " + key.DebugString();
  }
  for (const auto& [level, number] : deleted_files_) {
    r += "\n  RemoveFile: " + std::to_string(level) + " " + std::to_string(number);
  }
  for (const auto& [level, f] : new_files_) {
    r += "\n  AddFile: " + std::to_string(level) + " " + std::to_string(f.number) + " " +
         std::to_string(f.file_size) + " " + f.smallest.DebugString() + " .. " +
         f.largest.DebugString();
  }
  r += "\n}\n";
  return r;
}

}  // namespace jadedb::lsm
