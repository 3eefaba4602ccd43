#include "lsm/compaction/compaction_picker.h"

#include <algorithm>

#include "lsm/base/merging_iterator.h"
#include "lsm/version/level_iterator.h"

namespace jadedb::lsm {
namespace {

// Sets *smallest, *largest to the smallest and largest keys of files (non-empty).
void GetRange(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& files,
              InternalKey* smallest, InternalKey* largest) {
  *smallest = files[0]->smallest;
  *largest = files[0]->largest;
  for (size_t i = 1; i < files.size(); i++) {
    const FileMetaData* f = files[i];
    if (icmp.Compare(f->smallest.Encode(), smallest->Encode()) < 0) *smallest = f->smallest;
    if (icmp.Compare(f->largest.Encode(), largest->Encode()) > 0) *largest = f->largest;
  }
}

// Range of the union of a and b (not both empty).
void GetRange2(const InternalKeyComparator& icmp, const std::vector<FileMetaData*>& a,
               const std::vector<FileMetaData*>& b, InternalKey* smallest, InternalKey* largest) {
  std::vector<FileMetaData*> all = a;
  all.insert(all.end(), b.begin(), b.end());
  GetRange(icmp, all, smallest, largest);
}

// The file of level_files starting with the same user key as largest_key but after it (an
// older version of that user key), with the smallest such start; null when there is none.
FileMetaData* FindSmallestBoundaryFile(const InternalKeyComparator& icmp,
                                       const std::vector<FileMetaData*>& level_files,
                                       const InternalKey& largest_key) {
  const Comparator* ucmp = icmp.user_comparator();
  FileMetaData* best = nullptr;
  for (FileMetaData* f : level_files) {
    if (icmp.Compare(f->smallest.Encode(), largest_key.Encode()) > 0 &&
        ucmp->Compare(f->smallest.user_key(), largest_key.user_key()) == 0) {
      if (best == nullptr || icmp.Compare(f->smallest.Encode(), best->smallest.Encode()) < 0) {
        best = f;
      }
    }
  }
  return best;
}

// A user key's versions may straddle two neighbouring files of a level. Compacting only the
// file with the newer versions would move them below the older ones still in this level, and a
// read would then find the older version first. So the files holding the rest of the boundary
// user key join the inputs (LevelDB's AddBoundaryInputs).
void AddBoundaryInputs(const InternalKeyComparator& icmp,
                       const std::vector<FileMetaData*>& level_files,
                       std::vector<FileMetaData*>* inputs) {
  if (inputs->empty()) return;
  InternalKey smallest, largest;
  GetRange(icmp, *inputs, &smallest, &largest);
  while (FileMetaData* f = FindSmallestBoundaryFile(icmp, level_files, largest)) {
    largest = f->largest;
    inputs->push_back(f);
  }
}

// Given the level inputs, picks the level + 1 inputs and grandparents, grows the level inputs
// when that is free, and builds the Compaction (LevelDB's SetupOtherInputs).
std::unique_ptr<Compaction> SetupOtherInputs(VersionSet* vset, int level,
                                             std::vector<FileMetaData*> inputs0) {
  const InternalKeyComparator& icmp = *vset->icmp();
  Version* current = vset->current();

  AddBoundaryInputs(icmp, current->files(level), &inputs0);
  InternalKey smallest, largest;
  GetRange(icmp, inputs0, &smallest, &largest);

  std::vector<FileMetaData*> inputs1;
  current->GetOverlappingInputs(level + 1, &smallest, &largest, &inputs1);
  AddBoundaryInputs(icmp, current->files(level + 1), &inputs1);

  InternalKey all_start, all_limit;
  GetRange2(icmp, inputs0, inputs1, &all_start, &all_limit);

  // Take in more level files when they fall inside the range already covered by the level + 1
  // inputs: that merges more data for the same level + 1 rewrite cost.
  if (!inputs1.empty()) {
    std::vector<FileMetaData*> expanded0;
    current->GetOverlappingInputs(level, &all_start, &all_limit, &expanded0);
    AddBoundaryInputs(icmp, current->files(level), &expanded0);
    const int64_t inputs1_size = TotalFileSize(inputs1);
    const int64_t expanded0_size = TotalFileSize(expanded0);
    if (expanded0.size() > inputs0.size() &&
        inputs1_size + expanded0_size < vset->ExpandedCompactionByteSizeLimit()) {
      InternalKey new_start, new_limit;
      GetRange(icmp, expanded0, &new_start, &new_limit);
      std::vector<FileMetaData*> expanded1;
      current->GetOverlappingInputs(level + 1, &new_start, &new_limit, &expanded1);
      AddBoundaryInputs(icmp, current->files(level + 1), &expanded1);
      if (expanded1.size() == inputs1.size()) {
        largest = new_limit;
        inputs0 = std::move(expanded0);
        inputs1 = std::move(expanded1);
        GetRange2(icmp, inputs0, inputs1, &all_start, &all_limit);
      }
    }
  }

  std::vector<FileMetaData*> grandparents;
  if (level + 2 < kNumLevels) {
    current->GetOverlappingInputs(level + 2, &all_start, &all_limit, &grandparents);
  }

  auto c = std::make_unique<Compaction>(vset, current, level, std::move(inputs0),
                                        std::move(inputs1), std::move(grandparents));
  // Move the round-robin pointer now rather than when the edit is applied, so that a failed
  // compaction tries another range next time.
  vset->SetCompactPointer(level, largest.Encode());
  c->edit()->SetCompactPointer(level, largest);
  return c;
}

// The file of `level` (>= 1) whose overlap with level + 1 is smallest relative to its own
// size (RocksDB's kMinOverlappingRatio): moving it down rewrites the least of level + 1 per
// byte moved. Both levels are sorted and disjoint, so one pass with a cursor into level + 1
// finds every file's overlap. Ties go to the earlier file. files(level) is not empty.
FileMetaData* PickMinOverlapFile(const Version* current, const Comparator* ucmp, int level) {
  const std::vector<FileMetaData*>& files = current->files(level);
  const std::vector<FileMetaData*>& next = current->files(level + 1);
  FileMetaData* best = nullptr;
  double best_ratio = 0;
  size_t first = 0;  // the first next-level file that does not end before the current file
  for (FileMetaData* f : files) {
    while (first < next.size() &&
           ucmp->Compare(next[first]->largest.user_key(), f->smallest.user_key()) < 0) {
      first++;
    }
    uint64_t overlap = 0;
    for (size_t i = first;
         i < next.size() && ucmp->Compare(next[i]->smallest.user_key(), f->largest.user_key()) <= 0;
         i++) {
      overlap += next[i]->file_size;
    }
    const double ratio =
        static_cast<double>(overlap) / static_cast<double>(std::max<uint64_t>(1, f->file_size));
    if (best == nullptr || ratio < best_ratio) {
      best = f;
      best_ratio = ratio;
    }
  }
  return best;
}

// The size-triggered compaction of PickCompaction, or null.
std::unique_ptr<Compaction> PickSizeCompaction(VersionSet* vset) {
  Version* current = vset->current();
  if (current->compaction_score() < 1) return nullptr;
  const int level = current->compaction_level();
  if (level < 0 || level + 1 >= kNumLevels) return nullptr;
  const std::vector<FileMetaData*>& files = current->files(level);
  if (files.empty()) return nullptr;

  std::vector<FileMetaData*> inputs0;
  if (level > 0 && vset->options()->lsm.compaction_pick_min_overlap) {
    inputs0.push_back(PickMinOverlapFile(current, vset->icmp()->user_comparator(), level));
  } else {
    // The first file after the compact pointer, wrapping around to the first file.
    const std::string& pointer = vset->CompactPointer(level);
    for (FileMetaData* f : files) {
      if (pointer.empty() || vset->icmp()->Compare(f->largest.Encode(), pointer) > 0) {
        inputs0.push_back(f);
        break;
      }
    }
    if (inputs0.empty()) inputs0.push_back(files[0]);
  }

  if (level == 0) {
    // L0 files overlap: every L0 file overlapping the chosen one must go along, or an older
    // version left behind in L0 would shadow the newer one moved to L1.
    InternalKey smallest, largest;
    GetRange(*vset->icmp(), inputs0, &smallest, &largest);
    current->GetOverlappingInputs(0, &smallest, &largest, &inputs0);
  }
  return SetupOtherInputs(vset, level, std::move(inputs0));
}

}  // namespace

std::unique_ptr<Compaction> PickCompaction(VersionSet* vset) {
  if (std::unique_ptr<Compaction> c = PickSizeCompaction(vset)) return c;
  // Read-triggered: only when no level is over its size, so it never delays the compactions
  // that keep writes from stalling.
  if (!vset->options()->lsm.read_triggered_compaction) return nullptr;
  Version* current = vset->current();
  FileMetaData* f = current->file_to_compact();
  const int level = current->file_to_compact_level();
  if (f == nullptr || level < 0 || level + 1 >= kNumLevels) return nullptr;
  std::vector<FileMetaData*> inputs0 = {f};
  if (level == 0) {
    // As for a size-triggered L0 compaction: every L0 file overlapping it goes along.
    InternalKey smallest = f->smallest, largest = f->largest;
    current->GetOverlappingInputs(0, &smallest, &largest, &inputs0);
  }
  std::unique_ptr<Compaction> c = SetupOtherInputs(vset, level, std::move(inputs0));
  c->set_read_triggered(true);
  return c;
}

std::unique_ptr<Compaction> PickRangeCompaction(VersionSet* vset, int level,
                                                const InternalKey* begin, const InternalKey* end) {
  if (level < 0 || level + 1 >= kNumLevels) return nullptr;
  std::vector<FileMetaData*> inputs;
  vset->current()->GetOverlappingInputs(level, begin, end, &inputs);
  if (inputs.empty()) return nullptr;
  // Keep one compaction of a deeper level to about one output file of input, so a manual
  // compaction of a large range runs as many small steps. L0 files overlap and cannot be
  // split that way.
  if (level > 0) {
    const uint64_t limit = vset->MaxFileSizeForLevel(level);
    uint64_t total = 0;
    for (size_t i = 0; i < inputs.size(); i++) {
      total += inputs[i]->file_size;
      if (total >= limit) {
        inputs.resize(i + 1);
        break;
      }
    }
  }
  return SetupOtherInputs(vset, level, std::move(inputs));
}

std::unique_ptr<InternalIterator> MakeCompactionInputIterator(VersionSet* vset, Compaction* c) {
  TableReadOptions options;
  // Always verified (as RocksDB does): a corrupt block must fail the compaction, never be
  // rewritten into a new table with a fresh, valid checksum.
  options.verify_checksums = true;
  options.fill_cache = false;  // compaction reads each block once; keep the cache for readers

  std::vector<std::unique_ptr<InternalIterator>> iters;
  for (int which = 0; which < 2; which++) {
    const std::vector<FileMetaData*>& files = c->inputs(which);
    if (files.empty()) continue;
    if (c->level() + which == 0) {
      for (const FileMetaData* f : files) {
        iters.push_back(vset->table_cache()->NewIterator(options, f->number, f->file_size));
      }
    } else {
      iters.push_back(NewConcatenatingIterator(vset->table_cache(), vset->icmp(), options, &files));
    }
  }
  return NewMergingIterator(vset->icmp(), std::move(iters));
}

}  // namespace jadedb::lsm
