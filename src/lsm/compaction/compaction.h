// Compaction: the description of one compaction chosen by the picker (compaction_picker.h):
// the files of `level` and of `level + 1` to merge, the grandparent files (level + 2) that
// limit how much each output may overlap, and the edit that will record the result. The DB
// executes it: merges the inputs (MakeCompactionInputIterator), writes output tables cut by
// MaxOutputFileSize / ShouldStopBefore, then adds the outputs and AddInputDeletions to edit()
// and calls VersionSet::LogAndApply.
//
// Thread safety: the input lists never change after construction. IsBaseLevelForKey and
// ShouldStopBefore keep cursors (they expect increasing keys) and are for the one thread
// running the compaction; they need no mutex. Construction, ReleaseInputs and destruction
// Ref/Unref the input Version and so require the DB mutex.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/version/version.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"

namespace jadedb::lsm {

class Compaction {
 public:
  // Compacts inputs0 (files of `level`) with inputs1 (files of level + 1) of input_version
  // (which is Ref'd until ReleaseInputs or destruction). grandparents: files of level + 2
  // overlapping the compaction's range. Normally created by the picker.
  Compaction(VersionSet* vset, Version* input_version, int level,
             std::vector<FileMetaData*> inputs0, std::vector<FileMetaData*> inputs1,
             std::vector<FileMetaData*> grandparents);
  Compaction(const Compaction&) = delete;
  Compaction& operator=(const Compaction&) = delete;
  // DB mutex held (Unrefs the input version if ReleaseInputs was not called).
  ~Compaction();

  // The level being compacted; outputs go to level() + 1.
  int level() const { return level_; }
  // The edit the DB fills with the outputs; holds the compact pointer update already.
  VersionEdit* edit() { return &edit_; }

  // which = 0: files of level(); which = 1: files of level() + 1.
  int num_input_files(int which) const { return static_cast<int>(inputs_[which].size()); }
  FileMetaData* input(int which, int i) const { return inputs_[which][i]; }
  const std::vector<FileMetaData*>& inputs(int which) const { return inputs_[which]; }
  const std::vector<FileMetaData*>& grandparents() const { return grandparents_; }

  // Output tables should be cut at about this many bytes.
  uint64_t MaxOutputFileSize() const { return max_output_file_size_; }

  // True when the compaction can be done by moving its single input file to level() + 1
  // unchanged: nothing to merge with, and not too much grandparent overlap (which would make a
  // later compaction of the moved file expensive).
  bool IsTrivialMove() const;

  // Adds every input file as a deletion to *edit.
  void AddInputDeletions(VersionEdit* edit) const;

  // True when no level deeper than level() + 1 holds user_key in the input version, so a
  // deletion tombstone for it (with no snapshot needing it) can be dropped. Calls must come in
  // increasing user-key order.
  bool IsBaseLevelForKey(std::string_view user_key);

  // True when the current output table should be finished before internal_key is added,
  // because it already overlaps too many grandparent bytes. Calls must come in increasing
  // internal-key order.
  bool ShouldStopBefore(std::string_view internal_key);

  // Unrefs the input version early (once the compaction is done with it). DB mutex held.
  // Afterwards the input FileMetaData may be freed and IsBaseLevelForKey must not be called.
  void ReleaseInputs();

  // True for a compaction chosen because reads exhausted a file's seek budget (not because
  // of a level's size); for logs and statistics.
  bool read_triggered() const { return read_triggered_; }
  void set_read_triggered(bool v) { read_triggered_ = v; }

  Version* input_version() const { return input_version_; }
  VersionSet* vset() const { return vset_; }

  // Total bytes of the input files of `which`.
  int64_t InputBytes(int which) const;

 private:
  VersionSet* const vset_;
  Version* input_version_;
  const int level_;
  const uint64_t max_output_file_size_;
  const int64_t max_grandparent_overlap_bytes_;
  VersionEdit edit_;
  bool read_triggered_ = false;

  std::vector<FileMetaData*> inputs_[2];
  std::vector<FileMetaData*> grandparents_;

  // ShouldStopBefore state.
  size_t grandparent_index_ = 0;
  bool seen_key_ = false;
  int64_t overlapped_bytes_ = 0;

  // IsBaseLevelForKey state: per level, the index of the first file whose largest key may
  // still be >= the keys asked about.
  size_t level_ptrs_[kNumLevels] = {};
};

}  // namespace jadedb::lsm
