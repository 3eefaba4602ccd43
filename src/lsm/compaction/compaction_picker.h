// Leveled compaction picking: which files to compact next, and the merged iterator over a
// compaction's inputs.
//
// Size-triggered compactions (LevelDB's rule): the level with the highest score (L0: file
// count / level0_file_num_compaction_trigger; L1+: bytes / target bytes of the level) is
// compacted when its score is >= 1. Within the level, files are taken round robin: the first
// file after the level's compact pointer. L0 inputs are widened to every overlapping L0 file;
// the level+1 inputs are the files overlapping that range; the level inputs are then grown as
// long as that does not add level+1 files and stays under ExpandedCompactionByteSizeLimit.
//
// Read-triggered compactions (LsmOptions::read_triggered_compaction): when no level needs a
// size-triggered compaction, the file reads marked (Version::file_to_compact, its seek budget
// exhausted) is compacted into the next level, with the same input widening.
//
// Thread safety: PickCompaction and PickRangeCompaction require the DB mutex (they read the
// current Version and update compact pointers). MakeCompactionInputIterator needs no mutex;
// the Compaction must outlive the iterator.
#pragma once

#include <memory>

#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/compaction/compaction.h"
#include "lsm/version/version_set.h"

namespace jadedb::lsm {

// The next size-triggered compaction of vset->current(), else its read-triggered one, or null
// when neither is due. Records the new compact pointer in the Compaction's edit and in vset.
std::unique_ptr<Compaction> PickCompaction(VersionSet* vset);

// A compaction of the files of `level` overlapping [begin, end] (null = unbounded) into
// level + 1, or null when no file overlaps. For level > 0 the inputs are capped at about
// MaxFileSizeForLevel bytes (at least one file), so a caller compacting a large range calls
// this repeatedly. Requires 0 <= level < kNumLevels - 1.
std::unique_ptr<Compaction> PickRangeCompaction(VersionSet* vset, int level,
                                                const InternalKey* begin, const InternalKey* end);

// The entries of every input file of c merged in internal-key order: one iterator per L0 input,
// one concatenating iterator per other input level. Reads with fill_cache = false and
// verify_checksums = true.
std::unique_ptr<InternalIterator> MakeCompactionInputIterator(VersionSet* vset, Compaction* c);

}  // namespace jadedb::lsm
