#include "lsm/version/version.h"

#include <algorithm>
#include <cassert>

#include "lsm/base/filename.h"
#include "lsm/sstable/table_cache.h"
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

struct Version::PinnedTables {
  // One slot per file of each level (none when the version does not pin); a slot holds the
  // table cache handle pinning that file's table, or null until a Get first opens it.
  std::unique_ptr<std::atomic<Cache::Handle*>[]> slots[kNumLevels];
  bool enabled = false;
};

Version::~Version() {
  assert(refs_ == 0);
  if (PinnedTables* pins = pinned_.load(std::memory_order_acquire)) {
    if (pins->enabled) {
      for (int level = 0; level < kNumLevels; level++) {
        for (size_t i = 0; i < files_[level].size(); i++) {
          Cache::Handle* h = pins->slots[level][i].load(std::memory_order_acquire);
          if (h != nullptr) vset_->table_cache()->Release(h);
        }
      }
    }
    delete pins;
  }
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

std::atomic<Cache::Handle*>* Version::PinSlot(int level, size_t index) {
  PinnedTables* pins = pinned_.load(std::memory_order_acquire);
  if (pins == nullptr) {
    size_t total = 0;
    for (const auto& level_files : files_) total += level_files.size();
    auto fresh = std::make_unique<PinnedTables>();
    fresh->enabled = vset_->table_cache()->CanPin(total);
    if (fresh->enabled) {
      for (int l = 0; l < kNumLevels; l++) {
        // Value-initialized: every slot starts null.
        fresh->slots[l].reset(new std::atomic<Cache::Handle*>[files_[l].size()]());
      }
    }
    // Readers may race to build it; one wins and the others use the winner's.
    if (pinned_.compare_exchange_strong(pins, fresh.get(), std::memory_order_acq_rel)) {
      pins = fresh.release();
    }
  }
  return pins->enabled ? &pins->slots[level][index] : nullptr;
}

Status Version::TableGet(const TableReadOptions& options, int level, size_t index,
                         const FileMetaData* f, std::string_view ikey, KeyValueCallback callback,
                         const Comparator* ucmp, uint64_t* covering_seq) {
  TableCache* table_cache = vset_->table_cache();
  if (std::atomic<Cache::Handle*>* slot = PinSlot(level, index)) {
    Cache::Handle* handle = slot->load(std::memory_order_acquire);
    // A table that cannot be opened is not pinned: the plain Get below reports the error.
    if (handle == nullptr && table_cache->Pin(f->number, f->file_size, &handle).ok()) {
      Cache::Handle* expected = nullptr;
      if (!slot->compare_exchange_strong(expected, handle, std::memory_order_acq_rel)) {
        table_cache->Release(handle);  // another reader pinned it first
        handle = expected;
      }
    }
    if (handle != nullptr) {
      return table_cache->GetPinned(handle, options, ikey, callback, ucmp, covering_seq);
    }
  }
  return table_cache->Get(options, f->number, f->file_size, ikey, callback, ucmp, covering_seq);
}

void Version::Unref() {
  assert(this != &vset_->dummy_versions_);
  assert(refs_ >= 1);
  if (--refs_ == 0) delete this;
}

Status Version::Get(const TableReadOptions& options, const LookupKey& key, std::string* value,
                    bool* is_pointer, ReadCharge* charge) {
  const std::string_view ikey = key.internal_key();
  const std::string_view user_key = key.user_key();
  const InternalKeyComparator* icmp = vset_->icmp();
  const Comparator* ucmp = icmp->user_comparator();

  enum class State { kNotInFile, kFound, kDeleted, kCorrupt };
  // Highest sequence of a range tombstone covering the key in the files searched so far.
  // Files are searched newest data first, so every entry found later is older than it.
  uint64_t covering_seq = 0;
  // Looks user_key up in one file; kNotInFile lets the search continue in older data.
  // *read_block: the table got past its filter and read a data block (the callback runs
  // exactly then).
  auto search = [&](int level, size_t index, State* state, bool* read_block) -> Status {
    const FileMetaData* f = files_[level][index];
    *state = State::kNotInFile;
    SequenceNumber found_seq = 0;
    Status s = TableGet(
        options, level, index, f, ikey,
        [&](std::string_view found_key, std::string_view found_value) {
          *read_block = true;
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
  // Read-triggered compaction charges the first file in which this lookup read a data block
  // without settling the key, once the lookup has to consult another file: compacting that
  // file into the next level would have merged the two reads into one (LevelDB charges the
  // first of two files consulted). Unlike LevelDB, a file whose bloom filter ruled the key
  // out is not a wasted read: the filter is in memory, so that costs a hash and a few cache
  // lines, and charging it would compact L0 on every miss-heavy read load for no gain. So
  // with filters only false positives (~1% per file at 10 bits per key) and keys whose data
  // block is read in vain (no filter) charge.
  FileMetaData* wasted = nullptr;
  int wasted_level = -1;
  // Returns true when the search is over (with *result set).
  auto done = [&](int level, size_t index, Status* result) -> bool {
    if (wasted != nullptr && charge != nullptr && charge->file == nullptr) {
      charge->file = wasted;
      charge->level = wasted_level;
    }
    State state;
    bool read_block = false;
    *result = search(level, index, &state, &read_block);
    if (!result->ok()) return true;
    switch (state) {
      case State::kNotInFile:
        if (read_block && wasted == nullptr) {
          wasted = files_[level][index];
          wasted_level = level;
        }
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
  // first, since a newer file's entry shadows an older one's. L0 is short (a few files; the
  // write stall bounds it), so the candidates are sorted in a stack array; a longer L0 takes
  // a heap vector.
  constexpr size_t kStackFiles = 32;
  uint32_t stack_l0[kStackFiles];  // indexes into files_[0]
  std::vector<uint32_t> heap_l0;
  uint32_t* l0 = stack_l0;
  const std::vector<FileMetaData*>& level0 = files_[0];
  if (level0.size() > kStackFiles) {
    heap_l0.resize(level0.size());
    l0 = heap_l0.data();
  }
  size_t num_l0 = 0;
  for (size_t i = 0; i < level0.size(); i++) {
    const FileMetaData* f = level0[i];
    if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0 &&
        ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
      l0[num_l0++] = static_cast<uint32_t>(i);
    }
  }
  std::sort(l0, l0 + num_l0,
            [&](uint32_t a, uint32_t b) { return level0[a]->number > level0[b]->number; });
  Status result;
  for (size_t i = 0; i < num_l0; i++) {
    if (done(0, l0[i], &result)) return result;
  }

  // Deeper levels are disjoint: at most one file per level can hold the key.
  for (int level = 1; level < kNumLevels; level++) {
    const std::vector<FileMetaData*>& files = files_[level];
    if (files.empty()) continue;
    size_t index = static_cast<size_t>(FindFile(*icmp, files, ikey));
    if (index >= files.size()) continue;
    const FileMetaData* f = files[index];
    if (ucmp->Compare(user_key, f->smallest.user_key()) < 0) continue;  // falls between files
    if (done(level, index, &result)) return result;
  }
  return Status::NotFound("key not found");
}

ReadCharge Version::SampleCharge(std::string_view user_key, bool from_seek) const {
  const Comparator* ucmp = vset_->icmp()->user_comparator();
  ReadCharge first;  // L0: the newest file holding the key
  int holders = 0;
  for (FileMetaData* f : files_[0]) {
    if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0 &&
        ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
      holders++;
      if (first.file == nullptr || f->number > first.file->number) {
        first.file = f;
        first.level = 0;
      }
    }
  }
  if (from_seek && first.file == nullptr) return ReadCharge();
  for (int level = 1; level < kNumLevels && holders < 2; level++) {
    const std::vector<FileMetaData*>& files = files_[level];
    if (files.empty()) continue;
    // The first file whose largest user key is >= user_key (FindFile on user keys, so no
    // internal key has to be built on this path, which runs on sampled Seeks).
    size_t index = 0;
    for (size_t right = files.size(); index < right;) {
      const size_t mid = index + (right - index) / 2;
      if (ucmp->Compare(files[mid]->largest.user_key(), user_key) < 0) {
        index = mid + 1;
      } else {
        right = mid;
      }
    }
    if (index >= files.size()) continue;
    if (ucmp->Compare(user_key, files[index]->smallest.user_key()) < 0) continue;
    holders++;
    if (first.file == nullptr) {
      first.file = files[index];
      first.level = level;
    }
  }
  return holders >= 2 ? first : ReadCharge();
}

bool Version::ChargeRead(const ReadCharge& charge, int32_t seeks) {
  if (charge.file == nullptr || charge.level >= kNumLevels - 1) return false;
  if (charge.file->allowed_seeks.Charge(seeks) > 0) return false;
  return file_to_compact_.load(std::memory_order_relaxed) == nullptr;
}

bool Version::SetFileToCompact(const ReadCharge& charge) {
  if (charge.file == nullptr || charge.level < 0 || charge.level >= kNumLevels - 1) return false;
  if (file_to_compact_.load(std::memory_order_relaxed) != nullptr) return false;
  if (LevelOf(charge.file) != charge.level) return false;
  file_to_compact_level_ = charge.level;
  file_to_compact_.store(charge.file, std::memory_order_relaxed);
  return true;
}

int Version::LevelOf(const FileMetaData* f) const {
  for (int level = 0; level < kNumLevels; level++) {
    for (const FileMetaData* g : files_[level]) {
      if (g == f) return level;
    }
  }
  return -1;
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
