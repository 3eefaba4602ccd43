#include "lsm/version/version.h"

#include <algorithm>
#include <cassert>

#include "lsm/base/filename.h"
#include "lsm/version/level_iterator.h"
#include "lsm/version/version_set.h"

namespace jadedb::lsm {
namespace {

// Levels a flushed memtable may be pushed down to when it overlaps nothing (LevelDB's
// kMaxMemCompactLevel): deeper pushes would leave the upper levels empty and make later
// overwrites of the same keys travel far.
constexpr int kMaxMemCompactLevel = 2;

// user_key is after every key of f.
bool AfterFile(const Comparator* ucmp, const std::string_view* user_key, const FileMetaData* f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f->largest.user_key()) > 0;
}

// user_key is before every key of f.
bool BeforeFile(const Comparator* ucmp, const std::string_view* user_key, const FileMetaData* f) {
  return user_key != nullptr && ucmp->Compare(*user_key, f->smallest.user_key()) < 0;
}

}  // namespace

int FindFile(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& files,
             std::string_view key) {
  size_t left = 0;
  size_t right = files.size();
  while (left < right) {
    size_t mid = left + (right - left) / 2;
    if (icmp.Compare(files[mid]->largest.Encode(), key) < 0) {
      left = mid + 1;  // every file up to mid ends before key
    } else {
      right = mid;
    }
  }
  return static_cast<int>(right);
}

bool SomeFileOverlapsRange(const InternalKeyComparator& icmp, bool disjoint_sorted_files,
                           const std::vector<FileMetaData*>& files,
                           const std::string_view* smallest_user_key,
                           const std::string_view* largest_user_key) {
  const Comparator* ucmp = icmp.user_comparator();
  if (!disjoint_sorted_files) {
    for (const FileMetaData* f : files) {
      if (!AfterFile(ucmp, smallest_user_key, f) && !BeforeFile(ucmp, largest_user_key, f)) {
        return true;
      }
    }
    return false;
  }
  size_t index = 0;
  if (smallest_user_key != nullptr) {
    // The first file that may hold smallest_user_key: the smallest internal key of that user key
    // sorts first.
    InternalKey small_key(*smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
    index = static_cast<size_t>(FindFile(icmp, files, small_key.Encode()));
  }
  if (index >= files.size()) return false;  // the range starts after every file
  return !BeforeFile(ucmp, largest_user_key, files[index]);
}

int64_t TotalFileSize(const std::vector<FileMetaData*>& files) {
  int64_t sum = 0;
  for (const FileMetaData* f : files) sum += static_cast<int64_t>(f->file_size);
  return sum;
}

Version::~Version() {
  assert(refs_ == 0);
  prev_->next_ = next_;
  next_->prev_ = prev_;
  for (auto& level_files : files_) {
    for (FileMetaData* f : level_files) {
      assert(f->refs > 0);
      if (--f->refs <= 0) delete f;
    }
  }
}

void Version::Ref() { ++refs_; }

void Version::Unref() {
  assert(this != &vset_->dummy_versions_);
  assert(refs_ >= 1);
  if (--refs_ == 0) delete this;
}

Status Version::Get(const TableReadOptions& options, const LookupKey& key, std::string* value,
                    bool* is_pointer) {
  const std::string_view ikey = key.internal_key();
  const std::string_view user_key = key.user_key();
  const InternalKeyComparator* icmp = vset_->icmp();
  const Comparator* ucmp = icmp->user_comparator();

  enum class State { kNotInFile, kFound, kDeleted, kCorrupt };
  // Highest sequence of a range tombstone covering the key in the files searched so far.
  // Files are searched newest data first, so every entry found later is older than it.
  uint64_t covering_seq = 0;
  // Looks user_key up in one file; kNotInFile lets the search continue in older data.
  auto search = [&](const FileMetaData* f, State* state) -> Status {
    *state = State::kNotInFile;
    SequenceNumber found_seq = 0;
    Status s = vset_->table_cache()->Get(
        options, f->number, f->file_size, ikey,
        [&](std::string_view found_key, std::string_view found_value) {
          ParsedInternalKey parsed;
          if (!ParseInternalKey(found_key, &parsed)) {
            *state = State::kCorrupt;
          } else if (ucmp->Compare(parsed.user_key, user_key) == 0) {
            found_seq = parsed.sequence;
            if (parsed.type == kTypeValue || parsed.type == kTypeValuePointer) {
              *state = State::kFound;
              if (is_pointer != nullptr) *is_pointer = parsed.type == kTypeValuePointer;
              value->assign(found_value.data(), found_value.size());
            } else {
              *state = State::kDeleted;
            }
          }
        },
        ucmp, &covering_seq);
    if (s.IsNotFound()) {
      // The Env reports a missing file as NotFound; passed through, it would read as "key
      // absent" and hide the loss of a table the version needs.
      s = Status::Corruption(
          TableFileName(vset_->dbname(), f->number),
          "table of the current version cannot be opened: " + std::string(s.message()));
    } else if (s.ok() && *state == State::kCorrupt) {
      s = Status::Corruption(TableFileName(vset_->dbname(), f->number),
                             "malformed internal key found by a lookup");
    } else if (s.ok() && covering_seq > 0 &&
               (*state == State::kNotInFile || found_seq < covering_seq)) {
      // A range tombstone here or in newer data hides this entry and everything older.
      if (*state == State::kFound) value->clear();
      *state = State::kDeleted;
    }
    return s;
  };
  // Returns true when the search is over (with *result set).
  auto done = [&](const FileMetaData* f, Status* result) -> bool {
    State state;
    *result = search(f, &state);
    if (!result->ok()) return true;
    switch (state) {
      case State::kNotInFile:
        return false;
      case State::kFound:
        return true;
      case State::kDeleted:
      case State::kCorrupt:  // unreachable: search turned it into an error
        *result = Status::NotFound("key not found");
        return true;
    }
    return false;
  };

  // L0 files may overlap each other: check each one holding the key, newest (highest number)
  // first, since a newer file's entry shadows an older one's.
  std::vector<FileMetaData*> l0;
  for (FileMetaData* f : files_[0]) {
    if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0 &&
        ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
      l0.push_back(f);
    }
  }
  std::sort(l0.begin(), l0.end(),
            [](const FileMetaData* a, const FileMetaData* b) { return a->number > b->number; });
  Status result;
  for (const FileMetaData* f : l0) {
    if (done(f, &result)) return result;
  }

  // Deeper levels are disjoint: at most one file per level can hold the key.
  for (int level = 1; level < kNumLevels; level++) {
    const std::vector<FileMetaData*>& files = files_[level];
    if (files.empty()) continue;
    size_t index = static_cast<size_t>(FindFile(*icmp, files, ikey));
    if (index >= files.size()) continue;
    const FileMetaData* f = files[index];
    if (ucmp->Compare(user_key, f->smallest.user_key()) < 0) continue;  // falls between files
    if (done(f, &result)) return result;
  }
  return Status::NotFound("key not found");
}

void Version::AddIterators(const TableReadOptions& options,
                           std::vector<std::unique_ptr<InternalIterator>>* iters) {
  TableCache* table_cache = vset_->table_cache();
  const Comparator* ucmp = vset_->icmp()->user_comparator();
  for (const FileMetaData* f : files_[0]) {
    if (FileOutsideBounds(ucmp, f, options.lower_bound, options.upper_bound)) continue;
    iters->push_back(table_cache->NewIterator(options, f->number, f->file_size));
  }
  for (int level = 1; level < kNumLevels; level++) {
    if (!files_[level].empty()) {
      iters->push_back(
          NewConcatenatingIterator(table_cache, vset_->icmp(), options, &files_[level]));
    }
  }
}

Status Version::AddRangeTombstones(const TableReadOptions& options,
                                   std::vector<RangeTombstone>* out) {
  TableCache* table_cache = vset_->table_cache();
  const Comparator* ucmp = vset_->icmp()->user_comparator();
  for (int level = 0; level < kNumLevels; level++) {
    for (const FileMetaData* f : files_[level]) {
      if (FileOutsideBounds(ucmp, f, options.lower_bound, options.upper_bound)) continue;
      Status s = table_cache->GetRangeTombstones(f->number, f->file_size, out);
      if (!s.ok()) return s;
    }
  }
  return Status::OK();
}

bool Version::OverlapInLevel(int level, const std::string_view* smallest_user_key,
                             const std::string_view* largest_user_key) const {
  return SomeFileOverlapsRange(*vset_->icmp(), level > 0, files_[level], smallest_user_key,
                               largest_user_key);
}

int Version::PickLevelForMemTableOutput(std::string_view smallest_user_key,
                                        std::string_view largest_user_key) const {
  int level = 0;
  if (OverlapInLevel(0, &smallest_user_key, &largest_user_key)) return level;
  // The widest internal-key range covering both user keys.
  InternalKey start(smallest_user_key, kMaxSequenceNumber, kValueTypeForSeek);
  InternalKey limit(largest_user_key, 0, static_cast<ValueType>(0));
  std::vector<FileMetaData*> overlaps;
  while (level < kMaxMemCompactLevel) {
    if (OverlapInLevel(level + 1, &smallest_user_key, &largest_user_key)) break;
    if (level + 2 < kNumLevels) {
      // A file pushed to level + 1 that overlaps much of level + 2 would make its own
      // compaction expensive.
      GetOverlappingInputs(level + 2, &start, &limit, &overlaps);
      if (TotalFileSize(overlaps) > vset_->MaxGrandParentOverlapBytes()) break;
    }
    level++;
  }
  return level;
}

void Version::GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                                   std::vector<FileMetaData*>* inputs) const {
  assert(level >= 0 && level < kNumLevels);
  inputs->clear();
  std::string_view user_begin, user_end;
  if (begin != nullptr) user_begin = begin->user_key();
  if (end != nullptr) user_end = end->user_key();
  const Comparator* ucmp = vset_->icmp()->user_comparator();
  const std::vector<FileMetaData*>& files = files_[level];
  for (size_t i = 0; i < files.size();) {
    FileMetaData* f = files[i++];
    std::string_view file_start = f->smallest.user_key();
    std::string_view file_limit = f->largest.user_key();
    if (begin != nullptr && ucmp->Compare(file_limit, user_begin) < 0) continue;  // before range
    if (end != nullptr && ucmp->Compare(file_start, user_end) > 0) continue;      // after range
    inputs->push_back(f);
    if (level == 0) {
      // L0 files overlap each other: a file that sticks out of the range widens it, and the
      // scan restarts so files overlapping the wider range are included too.
      if (begin != nullptr && ucmp->Compare(file_start, user_begin) < 0) {
        user_begin = file_start;
        inputs->clear();
        i = 0;
      } else if (end != nullptr && ucmp->Compare(file_limit, user_end) > 0) {
        user_end = file_limit;
        inputs->clear();
        i = 0;
      }
    }
  }
}

std::string Version::DebugString() const {
  std::string r;
  for (int level = 0; level < kNumLevels; level++) {
    r += "--- level " + std::to_string(level) + " ---\n";
    for (const FileMetaData* f : files_[level]) {
      r += " " + std::to_string(f->number) + ":" + std::to_string(f->file_size) + "[" +
           f->smallest.DebugString() + " .. " + f->largest.DebugString() + "]\n";
    }
  }
  return r;
}

}  // namespace jadedb::lsm
