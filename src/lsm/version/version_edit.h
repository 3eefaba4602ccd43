// VersionEdit: one change to the LSM tree's file set — files added to and removed from levels,
// plus the counters that must survive a restart (log number, next file number, last sequence,
// compaction pointers). The MANIFEST is a log of encoded VersionEdits; replaying them in order
// rebuilds the current Version (docs/formats/manifest.md describes every tag byte by byte).
//
// FileMetaData describes one table file of a Version. Both are plain values; not thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jadedb/status.h"
#include "lsm/base/dbformat.h"

namespace jadedb::lsm {

// Levels of the tree: L0 holds flushed memtables (files may overlap), L1..L6 hold disjoint,
// sorted files. Persisted in the manifest: never change without a format version bump.
inline constexpr int kNumLevels = 7;

// The read budget of a table file for read-triggered compaction (LevelDB's allowed_seeks):
// how many wasted reads the file may cause before compacting it is judged cheaper than
// paying for them. Readers charge it concurrently without the DB mutex, so it is atomic;
// copying (FileMetaData is a plain value in edits) copies the current count.
class SeekBudget {
 public:
  SeekBudget() = default;
  SeekBudget(const SeekBudget& other) : left_(other.load()) {}
  SeekBudget& operator=(const SeekBudget& other) {
    left_.store(other.load(), std::memory_order_relaxed);
    return *this;
  }

  // LevelDB's calibration: one wasted seek costs about as much as compacting 16 KiB of the
  // file (a 10 ms disk seek against ~40 KiB of compaction I/O per KiB moved, halved to be
  // conservative), with a floor so small files are not compacted after a handful of reads.
  void ResetForFileSize(uint64_t file_size) {
    const uint64_t seeks = file_size / (16 << 10);
    left_.store(seeks < 100 ? 100 : static_cast<int32_t>(std::min<uint64_t>(seeks, 1 << 30)),
                std::memory_order_relaxed);
  }
  int32_t load() const { return left_.load(std::memory_order_relaxed); }
  // Charges `seeks` and returns the budget left (<= 0: exhausted). An exhausted budget is not
  // charged further, so the count cannot wrap however long reads go on.
  int32_t Charge(int32_t seeks) {
    int32_t left = load();
    if (left <= 0) return left;
    return left_.fetch_sub(seeks, std::memory_order_relaxed) - seeks;
  }

 private:
  std::atomic<int32_t> left_{1 << 30};  // effectively unlimited until reset
};

// One table file as a Version sees it. Shared by every Version that contains it; `refs` counts
// those Versions (maintained by VersionSet under the DB mutex) and the metadata is freed when
// the last one goes away.
struct FileMetaData {
  int refs = 0;
  uint64_t number = 0;
  uint64_t file_size = 0;  // bytes of the .sst file
  InternalKey smallest;    // smallest internal key in the table
  InternalKey largest;     // largest internal key in the table
  // In memory only (never in the manifest): set when a Version first takes the file in
  // (VersionBuilder::SaveTo), charged by reads (Version::ChargeRead).
  SeekBudget allowed_seeks;
};

// Format version of the manifest written by this code, recorded in the first record of every
// manifest (tag 10). Recovery refuses a higher version with NotSupported.
inline constexpr uint32_t kManifestFormatVersion = 1;

class VersionEdit {
 public:
  VersionEdit() = default;

  // Resets to an empty edit.
  void Clear();

  // Written at the head of each manifest (VersionSet does it).
  void SetFormatVersion(uint32_t version) {
    has_format_version_ = true;
    format_version_ = version;
  }
  void SetComparatorName(std::string_view name) {
    has_comparator_ = true;
    comparator_.assign(name.data(), name.size());
  }
  // WAL files numbered below `num` are no longer needed (their data is in tables).
  void SetLogNumber(uint64_t num) {
    has_log_number_ = true;
    log_number_ = num;
  }
  // Kept for LevelDB compatibility of the recovery logic: the log being compacted while a new
  // one was started (0 = none).
  void SetPrevLogNumber(uint64_t num) {
    has_prev_log_number_ = true;
    prev_log_number_ = num;
  }
  // The next unused file number.
  void SetNextFile(uint64_t num) {
    has_next_file_number_ = true;
    next_file_number_ = num;
  }
  void SetLastSequence(SequenceNumber seq) {
    has_last_sequence_ = true;
    last_sequence_ = seq;
  }
  // Where the next size-triggered compaction of `level` starts (round robin over the key space).
  void SetCompactPointer(int level, const InternalKey& key) {
    compact_pointers_.emplace_back(level, key);
  }

  // Adds table `number` to `level`. smallest/largest are its smallest and largest internal keys.
  void AddFile(int level, uint64_t number, uint64_t file_size, const InternalKey& smallest,
               const InternalKey& largest);
  // Removes table `number` from `level`.
  void RemoveFile(int level, uint64_t number) { deleted_files_.insert({level, number}); }

  // Appends the encoding (docs/formats/manifest.md) to *dst.
  void EncodeTo(std::string* dst) const;
  // Replaces this edit with the one encoded in src. Corruption naming the bad field on any
  // malformed varint or string, unknown tag, out-of-range level or invalid internal key; the
  // edit is unspecified then. Never reads outside src.
  Status DecodeFrom(std::string_view src);

  // Multi-line human-readable form, for logs and tools.
  std::string DebugString() const;

  // Read access (used by VersionSet when applying the edit, and by tests/tools).
  bool has_format_version() const { return has_format_version_; }
  uint32_t format_version() const { return format_version_; }
  bool has_comparator() const { return has_comparator_; }
  const std::string& comparator() const { return comparator_; }
  bool has_log_number() const { return has_log_number_; }
  uint64_t log_number() const { return log_number_; }
  bool has_prev_log_number() const { return has_prev_log_number_; }
  uint64_t prev_log_number() const { return prev_log_number_; }
  bool has_next_file_number() const { return has_next_file_number_; }
  uint64_t next_file_number() const { return next_file_number_; }
  bool has_last_sequence() const { return has_last_sequence_; }
  SequenceNumber last_sequence() const { return last_sequence_; }

  using DeletedFileSet = std::set<std::pair<int, uint64_t>>;  // (level, file number)
  const std::vector<std::pair<int, InternalKey>>& compact_pointers() const {
    return compact_pointers_;
  }
  const DeletedFileSet& deleted_files() const { return deleted_files_; }
  const std::vector<std::pair<int, FileMetaData>>& new_files() const { return new_files_; }

 private:
  std::string comparator_;
  uint64_t log_number_ = 0;
  uint64_t prev_log_number_ = 0;
  uint64_t next_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint32_t format_version_ = 0;
  bool has_format_version_ = false;
  bool has_comparator_ = false;
  bool has_log_number_ = false;
  bool has_prev_log_number_ = false;
  bool has_next_file_number_ = false;
  bool has_last_sequence_ = false;

  std::vector<std::pair<int, InternalKey>> compact_pointers_;
  DeletedFileSet deleted_files_;
  std::vector<std::pair<int, FileMetaData>> new_files_;
};

}  // namespace jadedb::lsm
