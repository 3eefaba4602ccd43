// Leveled compaction: the background job, manual CompactRange, and the merge that writes a
// compaction's output tables. One compaction runs at a time; flushes run beside it.
#include <map>
#include <string>
#include <vector>

#include "lsm/base/filename.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/compaction/compaction.h"
#include "lsm/compaction/compaction_picker.h"
#include "lsm/lsm_db_impl.h"
#include "lsm/sstable/table_builder.h"
#include "lsm/table_build.h"

namespace jadedb::lsm {
namespace {

// The output table being written by a compaction.
struct CompactionOutput {
  FileMetaData meta;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;
};

}  // namespace

void LsmDB::MaybeScheduleCompaction() {
  if (compaction_scheduled_ || compaction_running_ ||
      shutting_down_.load(std::memory_order_acquire) || !bg_error_.ok() ||
      !versions_->NeedsCompaction()) {
    return;
  }
  compaction_scheduled_ = true;
  pool_->Schedule([this] { BackgroundCompaction(); });
}

void LsmDB::BackgroundCompaction() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!compaction_running_ && !shutting_down_.load(std::memory_order_acquire) && bg_error_.ok()) {
    compaction_running_ = true;
    compaction_scheduled_ = false;
    std::unique_ptr<Compaction> c = PickCompaction(versions_.get());
    if (c != nullptr) {
      Status s = RunCompaction(lock, c.get());
      if (!s.ok() && !shutting_down_.load(std::memory_order_acquire)) RecordBackgroundError(s);
    }
    c.reset();  // unrefs the input version under the mutex
    compaction_running_ = false;
  } else {
    compaction_scheduled_ = false;
  }
  MaybeScheduleCompaction();
  background_cv_.notify_all();
}

Status LsmDB::CompactRange(const std::string_view* begin, const std::string_view* end) {
  Status s = Flush(FlushOptions());
  if (!s.ok()) return s;

  std::unique_lock<std::mutex> lock(mutex_);
  background_cv_.wait(lock, [this] { return !compaction_running_; });
  compaction_running_ = true;  // keeps background compactions out while this one runs

  int max_level_with_files = 1;
  Version* base = versions_->current();
  for (int level = 1; level < kNumLevels; level++) {
    if (base->OverlapInLevel(level, begin, end)) max_level_with_files = level;
  }
  InternalKey begin_key;
  InternalKey end_key;
  if (begin != nullptr) begin_key = InternalKey(*begin, kMaxSequenceNumber, kValueTypeForSeek);
  if (end != nullptr) end_key = InternalKey(*end, 0, kTypeDeletion);

  for (int level = 0; s.ok() && level < max_level_with_files; level++) {
    // Each pick takes a bounded slice of the range; repeat until the level holds none of it.
    // The bound on rounds keeps a stream of concurrent writes from holding us here forever.
    for (int round = 0; s.ok() && round < 10000; round++) {
      if (shutting_down_.load(std::memory_order_acquire)) {
        s = Status::IOError("CompactRange", "the DB is closing");
        break;
      }
      if (!bg_error_.ok()) {
        s = bg_error_;
        break;
      }
      std::unique_ptr<Compaction> c =
          PickRangeCompaction(versions_.get(), level, begin != nullptr ? &begin_key : nullptr,
                              end != nullptr ? &end_key : nullptr);
      if (c == nullptr) break;
      s = RunCompaction(lock, c.get());
      if (!s.ok()) RecordBackgroundError(s);
    }
  }
  compaction_running_ = false;
  MaybeScheduleCompaction();
  background_cv_.notify_all();
  return s;
}

Status LsmDB::RunCompaction(std::unique_lock<std::mutex>& lock, Compaction* c) {
  const uint64_t start = env_->NowMicros();
  const int level = c->level();
  if (c->IsTrivialMove()) {
    FileMetaData* f = c->input(0, 0);
    c->edit()->RemoveFile(level, f->number);
    c->edit()->AddFile(level + 1, f->number, f->file_size, f->smallest, f->largest);
    Status s = ApplyEdit(lock, c->edit());
    Log(info_log_.get(), "moved table %llu to level %d%s: %s",
        static_cast<unsigned long long>(f->number), level + 1,
        c->read_triggered() ? " (read-triggered)" : "", s.ToString().c_str());
    return s;
  }

  Log(info_log_.get(), "compacting %d@%d + %d@%d files%s", c->num_input_files(0), level,
      c->num_input_files(1), level + 1, c->read_triggered() ? " (read-triggered)" : "");
  const SequenceNumber smallest_snapshot = SmallestLiveSnapshot();
  std::unique_ptr<InternalIterator> input = MakeCompactionInputIterator(versions_.get(), c);
  const Comparator* ucmp = internal_comparator_.user_comparator();

  std::vector<FileMetaData> outputs;
  std::vector<uint64_t> allocated;  // every output number, kept from deletion until installed
  std::unique_ptr<CompactionOutput> out;
  Status s;
  // Range tombstones of the inputs. Those kept go into every output they overlap, clipped to
  // the user keys that output owns: [output_lower, the next output's first key).
  std::vector<RangeTombstone> kept_tombstones;
  RangeTombstoneFragments drop_fragments;
  std::string output_lower;
  bool has_output_lower = false;
  auto add_tombstones = [&](std::string_view upper, bool has_upper) {
    std::vector<RangeTombstone> clipped;
    for (RangeTombstone t : kept_tombstones) {
      if (ClipRangeTombstone(ucmp, output_lower, has_output_lower, upper, has_upper, &t)) {
        out->builder->AddRangeTombstone(t.begin, t.end, t.seq);
        clipped.push_back(std::move(t));
      }
    }
    ExtendFileRangeForTombstones(internal_comparator_, clipped, out->builder->NumEntries() > 0,
                                 &out->meta);
    output_lower.assign(upper);
    has_output_lower = has_upper;
  };
  // upper: the first user key of the next output (has_upper false for the last output).
  auto finish_output = [&](std::string_view upper, bool has_upper) -> Status {
    add_tombstones(upper, has_upper);
    Status r = FinishTableFile(out->builder.get(), out->file.get());
    out->meta.file_size = out->builder->FileSize();
    if (r.ok()) {
      auto check =
          table_cache_->NewIterator(TableReadOptions(), out->meta.number, out->meta.file_size);
      r = check->status();
    }
    if (r.ok()) outputs.push_back(out->meta);
    out.reset();
    return r;
  };

  lock.unlock();
  auto open_output = [&](std::string_view first_key) -> Status {
    out = std::make_unique<CompactionOutput>();
    lock.lock();
    out->meta.number = versions_->NewFileNumber();
    pending_outputs_.insert(out->meta.number);
    allocated.push_back(out->meta.number);
    lock.unlock();
    Status r = env_->NewWritableFile(TableFileName(dbname_, out->meta.number), &out->file);
    if (!r.ok()) {
      out.reset();
      return r;
    }
    out->builder = std::make_unique<TableBuilder>(table_options_, out->file.get());
    if (!first_key.empty()) out->meta.smallest.DecodeFrom(first_key);
    return r;
  };
  for (int which = 0; s.ok() && which < 2; which++) {
    for (const FileMetaData* f : c->inputs(which)) {
      s = table_cache_->GetRangeTombstones(f->number, f->file_size, &kept_tombstones);
      if (!s.ok()) break;
    }
  }
  if (!kept_tombstones.empty()) {
    // Entries hidden by a tombstone every snapshot sees are dropped; the tombstone itself is
    // dropped when, in addition, no level below the output can hold keys it covers.
    drop_fragments = RangeTombstoneFragments(ucmp, kept_tombstones, smallest_snapshot);
    Version* v = c->input_version();
    std::erase_if(kept_tombstones, [&](const RangeTombstone& t) {
      if (t.seq > smallest_snapshot) return false;
      std::string_view b = t.begin, e = t.end;
      for (int lvl = level + 2; lvl < kNumLevels; lvl++) {
        if (v->OverlapInLevel(lvl, &b, &e)) return false;
      }
      return true;
    });
  }
  std::map<uint64_t, uint64_t> vlog_garbage;  // record bytes of dropped pointers, by segment
  std::string current_user_key;
  bool has_current_user_key = false;
  SequenceNumber last_sequence_for_key = kMaxSequenceNumber;
  std::string last_output_user_key;
  bool cut_pending = false;
  if (s.ok()) input->SeekToFirst();
  for (; s.ok() && input->Valid(); input->Next()) {
    if (shutting_down_.load(std::memory_order_acquire)) {
      s = Status::IOError("compaction", "the DB is closing");
      break;
    }
    std::string_view key = input->key();
    if (c->ShouldStopBefore(key)) cut_pending = true;
    ParsedInternalKey ikey;
    if (!ParseInternalKey(key, &ikey)) {
      s = Status::Corruption("compaction input", "malformed internal key");
      break;
    }
    if (!has_current_user_key || ucmp->Compare(ikey.user_key, current_user_key) != 0) {
      current_user_key.assign(ikey.user_key);
      has_current_user_key = true;
      last_sequence_for_key = kMaxSequenceNumber;
    }
    bool drop = false;
    if (last_sequence_for_key <= smallest_snapshot) {
      // A newer entry of this key is visible to every snapshot: this one can never be read.
      drop = true;
    } else if (ikey.type == kTypeDeletion && ikey.sequence <= smallest_snapshot &&
               c->IsBaseLevelForKey(ikey.user_key)) {
      // Nothing older lives below, and no snapshot can see past the deletion.
      drop = true;
    } else if (drop_fragments.Covers(ikey.user_key, ikey.sequence)) {
      // Hidden by a range tombstone that every snapshot sees.
      drop = true;
    }
    last_sequence_for_key = ikey.sequence;
    if (drop) {
      // No entry refers to this value-log record any more: garbage for automatic GC.
      vlog::ValuePointer p;
      if (ikey.type == kTypeValuePointer && p.DecodeFrom(input->value())) {
        vlog_garbage[p.file] += p.size;
      }
      continue;
    }

    // Cut outputs only between user keys, so a key's versions never span two tables of a
    // level and files of a level stay disjoint in user keys.
    if (out != nullptr && cut_pending && ucmp->Compare(ikey.user_key, last_output_user_key) != 0) {
      s = finish_output(ikey.user_key, /*has_upper=*/true);
      if (!s.ok()) break;
      cut_pending = false;
    }
    if (out == nullptr) {
      s = open_output(key);
      if (!s.ok()) break;
      cut_pending = false;
    }
    out->meta.largest.DecodeFrom(key);
    out->builder->Add(key, input->value());
    last_output_user_key.assign(ikey.user_key);
    if (out->builder->FileSize() >= c->MaxOutputFileSize()) cut_pending = true;
  }
  if (s.ok()) s = input->status();
  if (s.ok() && out == nullptr && outputs.empty() && !kept_tombstones.empty()) {
    s = open_output(std::string_view());  // only tombstones survive: they need a table
  }
  if (out != nullptr) {
    if (s.ok()) {
      s = finish_output(std::string_view(), /*has_upper=*/false);
    } else {
      out->builder->Abandon();
      out->file->Close();
      out.reset();
    }
  }
  input.reset();
  lock.lock();

  CompactionStats stats;
  stats.micros = env_->NowMicros() - start;
  stats.count = 1;
  for (int which = 0; which < 2; which++) stats.bytes_read += c->InputBytes(which);
  for (const FileMetaData& f : outputs) stats.bytes_written += f.file_size;
  stats_[level + 1].Add(stats);

  if (s.ok()) {
    c->AddInputDeletions(c->edit());
    for (const FileMetaData& f : outputs) {
      c->edit()->AddFile(level + 1, f.number, f.file_size, f.smallest, f.largest);
    }
    s = ApplyEdit(lock, c->edit());
    if (s.ok() && !vlog_garbage.empty()) {
      vlog_->AddGarbage(vlog_garbage);
      MaybeScheduleValueLogGc();
    }
  }
  // Installed outputs are live now; abandoned ones become garbage for RemoveObsoleteFiles.
  for (uint64_t number : allocated) pending_outputs_.erase(number);
  Log(info_log_.get(), "compacted to level %d: %zu tables, %llu bytes in %.3f s: %s", level + 1,
      outputs.size(), static_cast<unsigned long long>(stats.bytes_written), stats.micros / 1e6,
      s.ToString().c_str());
  // The input version pins the input files; let go of it so they can be deleted now.
  c->ReleaseInputs();
  RemoveObsoleteFiles(lock);
  return s;
}

}  // namespace jadedb::lsm
