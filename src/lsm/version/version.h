// Version: one immutable snapshot of the LSM tree's file set — the table files of every level.
// Reads (Get, iterators) and compactions work on a Version; a flush or compaction produces a
// new one through VersionSet::LogAndApply. Versions are reference counted: a reader Refs the
// current Version, reads, and Unrefs it, so the files it reads are not deleted under it.
//
// Thread safety: a Version's file lists never change after it is installed.
// - Ref, Unref (and thus destruction) require the DB mutex.
// - Get, AddIterators, OverlapInLevel, GetOverlappingInputs, PickLevelForMemTableOutput,
//   NumFiles, files, DebugString only read immutable state: they may run without the DB mutex
//   as long as the caller holds a reference on the Version.
// - Get keeps the tables it opens pinned in the table cache (set up with atomics, so
//   concurrent Gets may race safely) until the Version is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/status.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/table.h"
#include "lsm/sstable/table_options.h"
#include "lsm/version/version_edit.h"

namespace jadedb::lsm {

class VersionSet;

// Index of the first file in `files` (sorted, disjoint) whose largest key is >= key;
// files.size() when there is none.
int FindFile(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& files,
             std::string_view key);

// True when some file in `files` overlaps the user-key range [*smallest, *largest]. A null
// bound means unbounded on that side. disjoint_sorted_files: files are sorted and disjoint
// (levels >= 1), which allows a binary search; otherwise every file is checked.
bool SomeFileOverlapsRange(const InternalKeyComparator& icmp, bool disjoint_sorted_files,
                           const std::vector<FileMetaData*>& files,
                           const std::string_view* smallest_user_key,
                           const std::string_view* largest_user_key);

// Sum of file_size over files.
int64_t TotalFileSize(const std::vector<FileMetaData*>& files);

// A table file a read should charge for read-triggered compaction (file null: none).
struct ReadCharge {
  FileMetaData* file = nullptr;
  int level = -1;
};

class Version {
 public:
  Version(const Version&) = delete;
  Version& operator=(const Version&) = delete;

  // DB mutex held.
  void Ref();
  // DB mutex held. Destroys the Version (and frees files no other Version holds) on the last
  // reference.
  void Unref();

  // Looks up key.user_key() as of key's sequence. OK and *value for a value; NotFound when the
  // newest visible entry is a deletion or there is none; read errors (Corruption naming the
  // file) are passed through. Searches the L0 files overlapping the key newest first, then at
  // most one file per deeper level.
  // *is_pointer (when non-null) tells whether a value found is a value-log pointer.
  // *charge (when non-null) is set to the file this lookup wasted a read in, when the lookup
  // went on to another file (see the rule in version.cc); left alone otherwise.
  Status Get(const TableReadOptions& options, const LookupKey& key, std::string* value,
             bool* is_pointer = nullptr, ReadCharge* charge = nullptr);

  // --- read-triggered compaction (LsmOptions::read_triggered_compaction) ---
  // Without the DB mutex (with a reference on the Version).
  //
  // The file an iterator's read sample at user_key charges, or none. from_seek false (a
  // sample of the bytes an iterator yielded, LevelDB's rule): the first file holding the key
  // (L0 newest first, then by level) when at least two files do. from_seek true (a sample of
  // the Seeks): the newest L0 file holding the key when at least two files do, never a
  // deeper one — a Seek positions a cursor in every sorted run, and only merging L0 files
  // into L1 removes runs; compacting an L1 file down leaves the level's cursor to be
  // positioned in its next file, so it would cost compaction I/O for nothing.
  ReadCharge SampleCharge(std::string_view user_key, bool from_seek) const;
  // Charges `seeks` to charge.file's budget. True when the budget is exhausted and this
  // Version has no file to compact yet: the caller then takes the DB mutex and calls
  // SetFileToCompact.
  bool ChargeRead(const ReadCharge& charge, int32_t seeks);
  // DB mutex held. Marks charge.file as this Version's next read-triggered compaction unless
  // a file is marked already, or charge.file is not at charge.level of this Version, or that
  // is the last level; true when it was marked. (VersionSet carries the mark over to the
  // next current Version while the file stays.)
  bool SetFileToCompact(const ReadCharge& charge);
  // DB mutex held (the picker). The marked file (null: none) and its level.
  FileMetaData* file_to_compact() const { return file_to_compact_.load(std::memory_order_relaxed); }
  int file_to_compact_level() const { return file_to_compact_level_; }
  // The level of this Version holding f (by identity), or -1.
  int LevelOf(const FileMetaData* f) const;

  // Appends iterators that together yield every entry of this Version (to be merged by the
  // caller): one per L0 file, one concatenating iterator per non-empty deeper level. The caller
  // must keep this Version referenced while the iterators live.
  void AddIterators(const TableReadOptions& options,
                    std::vector<std::unique_ptr<InternalIterator>>* iters);

  // Appends the range tombstones of every table that may hold keys within options' bounds
  // (opening those tables). Same reference rule as AddIterators.
  Status AddRangeTombstones(const TableReadOptions& options, std::vector<RangeTombstone>* out);

  int NumFiles(int level) const { return static_cast<int>(files_[level].size()); }
  // Files of `level`: L0 in the order they were added (sorted by smallest key), deeper levels
  // sorted by key and disjoint.
  const std::vector<FileMetaData*>& files(int level) const { return files_[level]; }

  // True when some file of `level` overlaps the user-key range [*smallest, *largest] (null
  // bound = unbounded).
  bool OverlapInLevel(int level, const std::string_view* smallest_user_key,
                      const std::string_view* largest_user_key) const;

  // The level a flushed memtable covering [smallest, largest] should go to: 0 if it overlaps
  // L0; otherwise pushed down (at most to level 2) while the next level has no overlap and the
  // level after it overlaps no more than the grandparent limit (10 target file sizes), so
  // non-overlapping bulk loads skip the L0->L1 compaction.
  int PickLevelForMemTableOutput(std::string_view smallest_user_key,
                                 std::string_view largest_user_key) const;

  // Sets *inputs to the files of `level` overlapping [begin, end] (null = unbounded). For L0
  // the range is widened to the union of the overlapping files' ranges until it is stable,
  // because a key's versions may be spread over several L0 files.
  void GetOverlappingInputs(int level, const InternalKey* begin, const InternalKey* end,
                            std::vector<FileMetaData*>* inputs) const;

  // Level with the highest compaction score and that score (computed when the Version was
  // installed; >= 1 means a compaction is needed).
  int compaction_level() const { return compaction_level_; }
  double compaction_score() const { return compaction_score_; }

  // One line per level with the file numbers, sizes and key ranges.
  std::string DebugString() const;

  VersionSet* vset() const { return vset_; }

 private:
  friend class VersionSet;
  friend class VersionBuilder;

  explicit Version(VersionSet* vset) : vset_(vset), next_(this), prev_(this) {}
  ~Version();

  // The open tables of this version's files, pinned in the table cache on a Get's first
  // visit, so later lookups skip the table cache's hashing and locking. Built on first use
  // (the file lists are final by then); with no slots when the version has too many files
  // to keep open (TableCache::CanPin).
  struct PinnedTables;
  // The slot for files_[level][index], or null when this version does not pin.
  std::atomic<Cache::Handle*>* PinSlot(int level, size_t index);
  // TableCache::Get on files_[level][index] (f), through its pinned table when possible.
  Status TableGet(const TableReadOptions& options, int level, size_t index, const FileMetaData* f,
                  std::string_view ikey, KeyValueCallback callback, const Comparator* ucmp,
                  uint64_t* covering_seq);

  VersionSet* vset_;
  Version* next_;  // in VersionSet's circular list of live versions
  Version* prev_;
  int refs_ = 0;

  std::vector<FileMetaData*> files_[kNumLevels];
  std::atomic<PinnedTables*> pinned_{nullptr};

  double compaction_score_ = -1;
  int compaction_level_ = -1;

  // Read-triggered compaction candidate: written under the DB mutex, read by readers without
  // it (only to skip taking the mutex once a file is marked).
  std::atomic<FileMetaData*> file_to_compact_{nullptr};
  int file_to_compact_level_ = -1;
};

}  // namespace jadedb::lsm
