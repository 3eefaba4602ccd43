// VersionSet: the LSM tree's current Version, the list of older Versions still referenced, the
// file-number and sequence counters, and the MANIFEST that makes them durable.
//
// Lifecycle:
// - Existing DB: construct, Recover() (reads CURRENT, replays the MANIFEST), then the first
//   LogAndApply writes a fresh MANIFEST holding a snapshot plus the edit and points CURRENT at
//   it. The recovered MANIFEST is never appended to.
// - New DB: construct and call LogAndApply with an edit (e.g. SetLogNumber(0)); no manifest is
//   open, so it writes MANIFEST-<n> and CURRENT.
// See docs/formats/manifest.md.
//
// Thread safety: every method must be called with the DB mutex held, except the constructor,
// destructor and Recover (called before the DB is shared). LogAndApply releases that mutex
// while it writes and syncs the manifest; the DB must ensure only one LogAndApply runs at a
// time. Versions obtained from current() must be Ref'd before the mutex is released.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "jadedb/env.h"
#include "jadedb/options.h"
#include "jadedb/status.h"
#include "lsm/base/dbformat.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version.h"
#include "lsm/version/version_edit.h"
#include "lsm/wal/log_writer.h"

namespace jadedb::lsm {

class VersionSet {
 public:
  // options (options->env null = Env::Default(); options->lsm sizes the levels), table_cache and
  // icmp are not owned and must outlive the VersionSet.
  VersionSet(std::string dbname, const Options* options, TableCache* table_cache,
             const InternalKeyComparator* icmp);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  // Every Version but current() must have been released.
  ~VersionSet();

  // Loads the last persisted state: reads CURRENT, replays the MANIFEST it names. Errors:
  // NotFound when CURRENT does not exist (no DB here); Corruption for a malformed CURRENT, a
  // missing manifest, damage in the middle of the manifest (naming the manifest and offset), an
  // undecodable edit, a comparator other than icmp's user comparator, or missing counters. A
  // torn tail of the manifest (a crash mid-append) is dropped silently: those edits were never
  // acknowledged. *save_manifest is set to true: the caller must LogAndApply once so a fresh
  // manifest is written (JadeDB never appends to a recovered manifest).
  Status Recover(bool* save_manifest);

  // Applies *edit to the current Version and makes the result current. Fills in the edit's
  // log number / prev log number (when unset), next file number and last sequence (always
  // overwritten with NextFileNumber/LastSequence(): call SetLastSequence first). Requires *mu
  // to be held on entry; it is released while the manifest is written and synced and held
  // again on return. The new Version is installed only after the edit is durable.
  // When no manifest is open (new DB, after Recover, or after a failed write) a new
  // MANIFEST-<n> is written with a snapshot of the whole state and CURRENT is switched to it.
  // On error the current Version is unchanged, and the next call starts a new manifest. The
  // edit may nevertheless have reached the disk, so the caller must neither reuse nor delete
  // the files it added, and should stop background work (LevelDB's bg_error).
  Status LogAndApply(VersionEdit* edit, std::mutex* mu);

  Version* current() const { return current_; }

  // Allocates a file number (for a log, table or manifest).
  uint64_t NewFileNumber() { return next_file_number_++; }
  // Gives back a number obtained from NewFileNumber if it was not used and no other number was
  // allocated since (e.g. creating the new log failed).
  void ReuseFileNumber(uint64_t number) {
    if (next_file_number_ == number + 1) next_file_number_ = number;
  }
  // Ensures NewFileNumber never returns `number` or anything below it.
  void MarkFileNumberUsed(uint64_t number) {
    if (next_file_number_ <= number) next_file_number_ = number + 1;
  }
  // Number of the manifest CURRENT points at: the recovered one until the first LogAndApply
  // writes a new one (0 before either). Manifests with a smaller number are obsolete.
  uint64_t ManifestFileNumber() const { return manifest_file_number_; }

  SequenceNumber LastSequence() const { return last_sequence_; }
  // seq must not be below LastSequence().
  void SetLastSequence(SequenceNumber seq) { last_sequence_ = seq; }
  // WAL files numbered below LogNumber() (other than PrevLogNumber()) are obsolete.
  uint64_t LogNumber() const { return log_number_; }
  uint64_t PrevLogNumber() const { return prev_log_number_; }

  int NumLevelFiles(int level) const;
  int64_t NumLevelBytes(int level) const;
  // Target bytes of a level >= 1 in the current Version. Static sizing:
  // max_bytes_for_level_base * multiplier^(level-1). With level_compaction_dynamic_level_bytes
  // the levels above the deepest non-empty one are sized from it (see LevelTargets).
  double MaxBytesForLevel(int level) const;
  // The static target of a level >= 1: max_bytes_for_level_base * multiplier^(level-1).
  double StaticMaxBytesForLevel(int level) const;
  // Fills targets[1..kNumLevels-1] for a version whose level sizes are level_bytes. Static:
  // StaticMaxBytesForLevel. Dynamic: with `last` the deepest non-empty level >= 2, level
  // l < last targets level_bytes[last] / multiplier^(last-l), clamped to
  // [target_file_size, StaticMaxBytesForLevel(l)]; `last` keeps its static target, so a last
  // level outgrowing it spills into the next level, which then becomes the last. The upper
  // clamp keeps an L0->L1 compaction proportional to max_bytes_for_level_base however large
  // the DB; the lower one keeps a level from being drained below one output file.
  void LevelTargets(const int64_t level_bytes[kNumLevels], double targets[kNumLevels]) const;
  // Target size of a compaction output table (LsmOptions::target_file_size).
  uint64_t MaxFileSizeForLevel(int level) const;
  // Compaction limits derived from target_file_size (LevelDB's constants): an output stops
  // growing when it overlaps 10 target sizes of grandparent (level + 2) data, and a
  // compaction's level inputs are not expanded beyond 25 target sizes.
  int64_t MaxGrandParentOverlapBytes() const;
  int64_t ExpandedCompactionByteSizeLimit() const;

  // True when the current Version's compaction score is >= 1, or reads marked one of its
  // files for a read-triggered compaction.
  bool NeedsCompaction() const {
    return current_->compaction_score() >= 1 || current_->file_to_compact() != nullptr;
  }
  double CompactionScore() const { return current_->compaction_score(); }
  int CompactionLevel() const { return current_->compaction_level(); }

  // Adds the table numbers of every live Version (current and still-referenced older ones).
  // A table file may be deleted only when absent from this set (and not being written).
  void AddLiveFiles(std::set<uint64_t>* live) const;

  // Approximate byte offset of key in the data of Version v (the sum of the sizes of the files
  // before it plus its offset within the file containing it).
  uint64_t ApproximateOffsetOf(Version* v, const InternalKey& key);

  // "files[ 4 2 0 0 0 0 0 ]".
  std::string LevelSummary() const;

  // For the compaction picker: the internal key after which the next size-triggered
  // compaction of `level` starts (empty = from the beginning). Updated by the picker at once
  // (so a failed compaction moves on to another range) and persisted through the edit.
  const std::string& CompactPointer(int level) const { return compact_pointer_[level]; }
  void SetCompactPointer(int level, std::string_view internal_key) {
    compact_pointer_[level].assign(internal_key.data(), internal_key.size());
  }

  const InternalKeyComparator* icmp() const { return icmp_; }
  TableCache* table_cache() const { return table_cache_; }
  const Options* options() const { return options_; }
  Env* env() const { return env_; }
  const std::string& dbname() const { return dbname_; }

 private:
  friend class Version;

  // Computes the compaction score and level of v.
  void Finalize(Version* v) const;
  // Makes v current (Ref'd) and links it into the list of live versions.
  void AppendVersion(Version* v);
  // The edit that recreates the current state from nothing (comparator, compact pointers,
  // every file), for the head of a new manifest.
  void EncodeSnapshot(std::string* record) const;

  Env* const env_;
  const std::string dbname_;
  const Options* const options_;
  TableCache* const table_cache_;
  const InternalKeyComparator* const icmp_;

  uint64_t next_file_number_ = 1;
  uint64_t manifest_file_number_ = 0;
  SequenceNumber last_sequence_ = 0;
  uint64_t log_number_ = 0;
  uint64_t prev_log_number_ = 0;

  // The open manifest (null until the first LogAndApply, and after a failed write).
  std::unique_ptr<WritableFile> descriptor_file_;
  std::unique_ptr<log::Writer> descriptor_log_;

  Version dummy_versions_;  // head of the circular list of live versions
  Version* current_ = nullptr;

  std::string compact_pointer_[kNumLevels];
};

}  // namespace jadedb::lsm
