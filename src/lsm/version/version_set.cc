#include "lsm/version/version_set.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "lsm/base/filename.h"
#include "lsm/version/version_builder.h"

namespace jadedb::lsm {

VersionSet::VersionSet(std::string dbname, const Options* options, TableCache* table_cache,
                       const InternalKeyComparator* icmp)
    : env_(options->env != nullptr ? options->env : Env::Default()),
      dbname_(std::move(dbname)),
      options_(options),
      table_cache_(table_cache),
      icmp_(icmp),
      dummy_versions_(this) {
  AppendVersion(new Version(this));
}

VersionSet::~VersionSet() {
  current_->Unref();
  assert(dummy_versions_.next_ == &dummy_versions_);  // every Version was released
  descriptor_log_.reset();
  if (descriptor_file_ != nullptr) descriptor_file_->Close();
}

void VersionSet::AppendVersion(Version* v) {
  assert(v->refs_ == 0);
  assert(v != current_);
  if (current_ != nullptr) {
    // A file reads marked for compaction stays marked while it is in the tree: otherwise a
    // flush landing between the mark and the pick would drop it, and with bloom filters the
    // next charge that would mark it again may be long in coming.
    if (FileMetaData* f = current_->file_to_compact()) {
      v->SetFileToCompact(ReadCharge{f, current_->file_to_compact_level()});
    }
    current_->Unref();
  }
  current_ = v;
  v->Ref();
  // Link at the tail of the circular list.
  v->prev_ = dummy_versions_.prev_;
  v->next_ = &dummy_versions_;
  v->prev_->next_ = v;
  v->next_->prev_ = v;
}

Status VersionSet::LogAndApply(VersionEdit* edit, std::mutex* mu) {
  if (edit->has_log_number()) {
    if (edit->log_number() < log_number_ || edit->log_number() >= next_file_number_) {
      return Status::InvalidArgument(
          "version edit log number " + std::to_string(edit->log_number()) + " outside [" +
          std::to_string(log_number_) + ", " + std::to_string(next_file_number_) + ")");
    }
  } else {
    edit->SetLogNumber(log_number_);
  }
  if (!edit->has_prev_log_number()) edit->SetPrevLogNumber(prev_log_number_);

  const bool new_manifest = descriptor_log_ == nullptr;
  const uint64_t new_manifest_number = new_manifest ? NewFileNumber() : 0;
  edit->SetNextFile(next_file_number_);
  edit->SetLastSequence(last_sequence_);

  auto* v = new Version(this);
  {
    VersionBuilder builder(icmp_, current_);
    Status s = builder.Apply(*edit);
    if (s.ok()) s = builder.SaveTo(v);
    if (!s.ok()) {
      delete v;
      if (new_manifest) ReuseFileNumber(new_manifest_number);
      return s;
    }
  }
  Finalize(v);

  // Encode under the mutex: the snapshot reads state (compact pointers) that other threads
  // change under it.
  std::string snapshot;
  if (new_manifest) EncodeSnapshot(&snapshot);
  std::string record;
  edit->EncodeTo(&record);

  // Write without the mutex: readers and writers must not wait for an fsync. Only one
  // LogAndApply runs at a time (the DB's guarantee), so the manifest members are ours.
  const std::string manifest_name =
      new_manifest ? ManifestFileName(dbname_, new_manifest_number) : std::string();
  std::unique_ptr<WritableFile> new_file;
  std::unique_ptr<log::Writer> new_log;
  bool current_attempted = false;
  mu->unlock();
  Status s;
  // The new tables' directory entries must be durable before the manifest names them, or a
  // power loss leaves a manifest pointing at files that vanished.
  if (!edit->new_files().empty()) s = env_->SyncDir(dbname_);
  log::Writer* writer = descriptor_log_.get();
  WritableFile* file = descriptor_file_.get();
  if (s.ok() && new_manifest) {
    s = env_->NewWritableFile(manifest_name, &new_file);
    if (s.ok()) {
      new_log = std::make_unique<log::Writer>(new_file.get(), log::LogKind::kManifest);
      writer = new_log.get();
      file = new_file.get();
      s = writer->AddRecord(snapshot);
    }
  }
  if (s.ok()) s = writer->AddRecord(record);
  if (s.ok()) s = file->Sync();
  if (s.ok() && new_manifest) {
    current_attempted = true;
    s = SetCurrentFile(env_, dbname_, new_manifest_number);
  }
  mu->lock();

  if (s.ok()) {
    if (new_manifest) {
      descriptor_file_ = std::move(new_file);
      descriptor_log_ = std::move(new_log);
      manifest_file_number_ = new_manifest_number;
    }
    AppendVersion(v);
    log_number_ = edit->log_number();
    prev_log_number_ = edit->prev_log_number();
    for (const auto& [level, key] : edit->compact_pointers()) {
      SetCompactPointer(level, key.Encode());
    }
    return s;
  }

  delete v;
  if (new_manifest) {
    new_log.reset();
    if (new_file != nullptr) new_file->Close();
    new_file.reset();
    // Once SetCurrentFile was tried, CURRENT may already name the new manifest: keep it then.
    // If CURRENT surely does not name it (absent, or naming another), remove it: a manifest
    // left without CURRENT makes the next open of a new DB refuse the directory.
    std::string current;
    Status cs;
    if (current_attempted) cs = ReadFileToString(env_, CurrentFileName(dbname_), &current);
    if (!current_attempted || cs.IsNotFound() ||
        (cs.ok() && current != manifest_name.substr(dbname_.size() + 1) + "\n")) {
      env_->RemoveFile(manifest_name);
    }
  } else {
    // The tail of the open manifest is now unknown (a partial record, or a record that may or
    // may not be durable). Start a new manifest, with a full snapshot, on the next call.
    descriptor_log_.reset();
    descriptor_file_->Close();
    descriptor_file_.reset();
  }
  Log(options_->info_log.get(), "MANIFEST write failed: %s", s.ToString().c_str());
  return s;
}

void VersionSet::EncodeSnapshot(std::string* record) const {
  VersionEdit edit;
  edit.SetFormatVersion(kManifestFormatVersion);
  edit.SetComparatorName(icmp_->user_comparator()->Name());
  // The counters too, so the snapshot alone is a complete state.
  edit.SetLogNumber(log_number_);
  edit.SetPrevLogNumber(prev_log_number_);
  edit.SetNextFile(next_file_number_);
  edit.SetLastSequence(last_sequence_);
  for (int level = 0; level < kNumLevels; level++) {
    if (!compact_pointer_[level].empty()) {
      InternalKey key;
      key.DecodeFrom(compact_pointer_[level]);
      edit.SetCompactPointer(level, key);
    }
    for (const FileMetaData* f : current_->files(level)) {
      edit.AddFile(level, f->number, f->file_size, f->smallest, f->largest);
    }
  }
  edit.EncodeTo(record);
}

void VersionSet::LevelTargets(const int64_t level_bytes[kNumLevels],
                              double targets[kNumLevels]) const {
  targets[0] = 0;
  for (int level = 1; level < kNumLevels; level++) targets[level] = StaticMaxBytesForLevel(level);
  if (!options_->lsm.level_compaction_dynamic_level_bytes) return;
  int last = 0;
  for (int level = kNumLevels - 1; level >= 2; level--) {
    if (level_bytes[level] > 0) {
      last = level;
      break;
    }
  }
  if (last == 0) return;  // at most level 1 holds data: nothing to size it from
  const double multiplier = std::max(1.0, options_->lsm.max_bytes_for_level_multiplier);
  const double floor = static_cast<double>(MaxFileSizeForLevel(1));
  double size = static_cast<double>(level_bytes[last]);
  for (int level = last - 1; level >= 1; level--) {
    size /= multiplier;
    targets[level] = std::clamp(size, std::min(floor, targets[level]), targets[level]);
  }
}

void VersionSet::Finalize(Version* v) const {
  int64_t level_bytes[kNumLevels];
  for (int level = 0; level < kNumLevels; level++) {
    level_bytes[level] = TotalFileSize(v->files(level));
  }
  double targets[kNumLevels];
  LevelTargets(level_bytes, targets);
  int best_level = -1;
  double best_score = -1;
  // The last level has nowhere to compact to.
  for (int level = 0; level < kNumLevels - 1; level++) {
    double score;
    if (level == 0) {
      // L0 is scored by file count, not bytes: every L0 file is searched by every read, and
      // with large write buffers a byte limit would allow too many files.
      int trigger = std::max(1, options_->lsm.level0_file_num_compaction_trigger);
      score = v->NumFiles(0) / static_cast<double>(trigger);
    } else {
      score = static_cast<double>(level_bytes[level]) / targets[level];
    }
    if (score > best_score) {
      best_level = level;
      best_score = score;
    }
  }
  v->compaction_level_ = best_level;
  v->compaction_score_ = best_score;
}

int VersionSet::NumLevelFiles(int level) const { return current_->NumFiles(level); }

int64_t VersionSet::NumLevelBytes(int level) const { return TotalFileSize(current_->files(level)); }

double VersionSet::MaxBytesForLevel(int level) const {
  int64_t level_bytes[kNumLevels];
  for (int l = 0; l < kNumLevels; l++) level_bytes[l] = TotalFileSize(current_->files(l));
  double targets[kNumLevels];
  LevelTargets(level_bytes, targets);
  return targets[level];
}

double VersionSet::StaticMaxBytesForLevel(int level) const {
  // Level 0 is scored by file count; treating it like level 1 keeps this total.
  double result =
      static_cast<double>(std::max<uint64_t>(1, options_->lsm.max_bytes_for_level_base));
  double multiplier = std::max(1.0, options_->lsm.max_bytes_for_level_multiplier);
  for (int l = level; l > 1; l--) result *= multiplier;
  return result;
}

uint64_t VersionSet::MaxFileSizeForLevel(int /*level*/) const {
  return std::max<uint64_t>(1, options_->lsm.target_file_size);
}

int64_t VersionSet::MaxGrandParentOverlapBytes() const {
  return 10 * static_cast<int64_t>(MaxFileSizeForLevel(0));
}

int64_t VersionSet::ExpandedCompactionByteSizeLimit() const {
  return 25 * static_cast<int64_t>(MaxFileSizeForLevel(0));
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) const {
  for (const Version* v = dummy_versions_.next_; v != &dummy_versions_; v = v->next_) {
    for (int level = 0; level < kNumLevels; level++) {
      for (const FileMetaData* f : v->files(level)) live->insert(f->number);
    }
  }
}

uint64_t VersionSet::ApproximateOffsetOf(Version* v, const InternalKey& ikey) {
  uint64_t result = 0;
  for (int level = 0; level < kNumLevels; level++) {
    for (const FileMetaData* f : v->files(level)) {
      if (icmp_->Compare(f->largest.Encode(), ikey.Encode()) <= 0) {
        result += f->file_size;  // the whole file is before ikey
      } else if (icmp_->Compare(f->smallest.Encode(), ikey.Encode()) > 0) {
        // The whole file is after ikey; in a sorted level so are all the following ones.
        if (level > 0) break;
      } else {
        result += table_cache_->ApproximateOffsetOf(f->number, f->file_size, ikey.Encode());
      }
    }
  }
  return result;
}

std::string VersionSet::LevelSummary() const {
  std::string r = "files[";
  for (int level = 0; level < kNumLevels; level++) {
    r += " " + std::to_string(current_->NumFiles(level));
  }
  r += " ]";
  return r;
}

}  // namespace jadedb::lsm
