#include "lsm/compaction/compaction.h"

#include <cassert>

namespace jadedb::lsm {

Compaction::Compaction(VersionSet* vset, Version* input_version, int level,
                       std::vector<FileMetaData*> inputs0, std::vector<FileMetaData*> inputs1,
                       std::vector<FileMetaData*> grandparents)
    : vset_(vset),
      input_version_(input_version),
      level_(level),
      max_output_file_size_(vset->MaxFileSizeForLevel(level + 1)),
      max_grandparent_overlap_bytes_(vset->MaxGrandParentOverlapBytes()),
      grandparents_(std::move(grandparents)) {
  assert(level >= 0 && level + 1 < kNumLevels);
  inputs_[0] = std::move(inputs0);
  inputs_[1] = std::move(inputs1);
  input_version_->Ref();
}

Compaction::~Compaction() { ReleaseInputs(); }

bool Compaction::IsTrivialMove() const {
  // With grandparent overlap the move would be cheap now but leave a file whose own
  // compaction into level + 2 later is expensive.
  return num_input_files(0) == 1 && num_input_files(1) == 0 &&
         TotalFileSize(grandparents_) <= max_grandparent_overlap_bytes_;
}

void Compaction::AddInputDeletions(VersionEdit* edit) const {
  for (int which = 0; which < 2; which++) {
    for (const FileMetaData* f : inputs_[which]) edit->RemoveFile(level_ + which, f->number);
  }
}

bool Compaction::IsBaseLevelForKey(std::string_view user_key) {
  const Comparator* ucmp = vset_->icmp()->user_comparator();
  for (int lvl = level_ + 2; lvl < kNumLevels; lvl++) {
    const std::vector<FileMetaData*>& files = input_version_->files(lvl);
    // Keys come in increasing order, so files ending before this key can be skipped for good.
    while (level_ptrs_[lvl] < files.size()) {
      const FileMetaData* f = files[level_ptrs_[lvl]];
      if (ucmp->Compare(user_key, f->largest.user_key()) <= 0) {
        if (ucmp->Compare(user_key, f->smallest.user_key()) >= 0) return false;  // f may hold it
        break;
      }
      level_ptrs_[lvl]++;
    }
  }
  return true;
}

bool Compaction::ShouldStopBefore(std::string_view internal_key) {
  const InternalKeyComparator* icmp = vset_->icmp();
  // Count the grandparent files the current output has passed entirely.
  while (grandparent_index_ < grandparents_.size() &&
         icmp->Compare(internal_key, grandparents_[grandparent_index_]->largest.Encode()) > 0) {
    if (seen_key_) {
      overlapped_bytes_ += static_cast<int64_t>(grandparents_[grandparent_index_]->file_size);
    }
    grandparent_index_++;
  }
  seen_key_ = true;
  if (overlapped_bytes_ > max_grandparent_overlap_bytes_) {
    overlapped_bytes_ = 0;  // the next output starts fresh
    return true;
  }
  return false;
}

void Compaction::ReleaseInputs() {
  if (input_version_ != nullptr) {
    input_version_->Unref();
    input_version_ = nullptr;
  }
}

int64_t Compaction::InputBytes(int which) const { return TotalFileSize(inputs_[which]); }

}  // namespace jadedb::lsm
