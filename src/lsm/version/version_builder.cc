#include "lsm/version/version_builder.h"

#include <algorithm>

#include "lsm/version/version_set.h"

namespace jadedb::lsm {

VersionBuilder::VersionBuilder(const InternalKeyComparator* icmp, Version* base)
    : icmp_(icmp), base_(base) {
  base_->Ref();
}

VersionBuilder::~VersionBuilder() { base_->Unref(); }

Status VersionBuilder::Apply(const VersionEdit& edit) {
  for (const auto& [level, number] : edit.deleted_files()) {
    if (level < 0 || level >= kNumLevels) {
      return Status::InvalidArgument("version edit deletes a file at level " +
                                     std::to_string(level));
    }
  }
  for (const auto& [level, f] : edit.new_files()) {
    if (level < 0 || level >= kNumLevels) {
      return Status::InvalidArgument("version edit adds a file at level " + std::to_string(level));
    }
  }
  for (const auto& [level, number] : edit.deleted_files()) {
    levels_[level].deleted.insert(number);
    levels_[level].added.erase(number);
  }
  for (const auto& [level, f] : edit.new_files()) {
    levels_[level].deleted.erase(f.number);
    FileMetaData copy = f;
    copy.refs = 0;
    levels_[level].added[f.number] = std::move(copy);
  }
  return Status::OK();
}

Status VersionBuilder::SaveTo(Version* v) const {
  std::vector<FileMetaData*> levels[kNumLevels];
  std::vector<FileMetaData*> created;  // freed again on error
  auto by_smallest = [this](const FileMetaData* a, const FileMetaData* b) {
    int r = icmp_->Compare(a->smallest.Encode(), b->smallest.Encode());
    return r != 0 ? r < 0 : a->number < b->number;
  };

  Status s;
  for (int level = 0; level < kNumLevels && s.ok(); level++) {
    const LevelState& state = levels_[level];
    std::vector<FileMetaData*>& files = levels[level];
    for (FileMetaData* f : base_->files(level)) {
      // A file re-added by an edit replaces the base's entry.
      if (!state.deleted.contains(f->number) && !state.added.contains(f->number)) {
        files.push_back(f);
      }
    }
    for (const auto& [number, meta] : state.added) {
      auto* f = new FileMetaData(meta);
      f->allowed_seeks.ResetForFileSize(f->file_size);
      created.push_back(f);
      files.push_back(f);
    }
    std::sort(files.begin(), files.end(), by_smallest);

    for (size_t i = 0; i < files.size() && s.ok(); i++) {
      const FileMetaData* f = files[i];
      if (icmp_->Compare(f->smallest.Encode(), f->largest.Encode()) > 0) {
        s = Status::Corruption("file " + std::to_string(f->number) + " at level " +
                               std::to_string(level) + " has smallest key " +
                               f->smallest.DebugString() + " after largest key " +
                               f->largest.DebugString());
      } else if (level > 0 && i > 0 &&
                 icmp_->Compare(files[i - 1]->largest.Encode(), f->smallest.Encode()) >= 0) {
        s = Status::Corruption("overlapping files " + std::to_string(files[i - 1]->number) +
                               " and " + std::to_string(f->number) + " at level " +
                               std::to_string(level));
      }
    }
  }
  if (!s.ok()) {
    for (FileMetaData* f : created) delete f;
    return s;
  }
  for (int level = 0; level < kNumLevels; level++) {
    for (FileMetaData* f : levels[level]) f->refs++;
    v->files_[level] = std::move(levels[level]);
  }
  return Status::OK();
}

}  // namespace jadedb::lsm
