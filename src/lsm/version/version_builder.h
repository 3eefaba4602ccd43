// VersionBuilder: applies a sequence of VersionEdits to a base Version and produces the
// resulting file lists without building each intermediate Version (manifest replay applies
// thousands of edits; LogAndApply applies one). Private to the version component.
//
// Not thread-safe. The base Version is Ref'd for the builder's lifetime, so the DB mutex must
// be held when constructing and destroying it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "jadedb/status.h"
#include "lsm/base/dbformat.h"
#include "lsm/version/version.h"
#include "lsm/version/version_edit.h"

namespace jadedb::lsm {

class VersionBuilder {
 public:
  VersionBuilder(const InternalKeyComparator* icmp, Version* base);
  VersionBuilder(const VersionBuilder&) = delete;
  VersionBuilder& operator=(const VersionBuilder&) = delete;
  ~VersionBuilder();

  // Records the file additions and deletions of edit (deletions first, so an edit may delete
  // and re-add the same file number). Compact pointers and counters are the caller's business.
  // InvalidArgument (and nothing applied) when the edit names a level outside [0, kNumLevels).
  Status Apply(const VersionEdit& edit);

  // Fills v's (empty) file lists with base + applied edits, each level sorted by smallest key.
  // Corruption when two files of a level >= 1 overlap or a file's smallest key is after its
  // largest (a damaged manifest or a bug): such a Version would return wrong answers.
  Status SaveTo(Version* v) const;

 private:
  struct LevelState {
    std::set<uint64_t> deleted;
    std::map<uint64_t, FileMetaData> added;  // by file number
  };

  const InternalKeyComparator* const icmp_;
  Version* const base_;
  LevelState levels_[kNumLevels];
};

}  // namespace jadedb::lsm
