// Value-log garbage collection. One run:
//  1. deletes the segments an earlier run drained, once no snapshot is older than the drain;
//  2. measures the garbage ratio of every sealed segment by sampling: up to kSampleRecords
//     records spread over the segment are checked against the tree (a record is live when
//     the key's newest entry points exactly at it); garbage = dead bytes / sampled bytes;
//  3. picks the segment with the highest ratio, if it reaches value_log_gc_garbage_ratio, and
//     rewrites its live records through the normal write path in chunks. Each chunk is a
//     special writer that runs its liveness checks as the write leader, so no user write can
//     slip between the check and the rewrite (a newer user write always wins), and is synced
//     (segment, then WAL) before the next step;
//  4. marks the segment drained at the sequence after the rewrite and deletes it as in 1.
// Crash safety: the old segment is only deleted after everything live in it was rewritten
// durably, so a crash at any point loses nothing; a segment left behind by a crash is all
// garbage and is collected by the next run. Iterators pin the segments they may read (open
// descriptors survive the unlink) and Gets retry when their segment vanished (lsm_vlog.cc).
#include <algorithm>

#include "lsm/lsm_db_impl.h"

namespace jadedb::lsm {
namespace {

constexpr size_t kSampleRecords = 256;
constexpr size_t kRewriteChunkBytes = 4 << 20;

struct RecordRef {
  vlog::ValuePointer pointer;
  std::string key;
};

}  // namespace

void LsmDB::DeleteDrainedSegments() {
  SequenceNumber oldest;
  {
    std::lock_guard<std::mutex> l(mutex_);
    oldest = SmallestLiveSnapshot();
  }
  std::vector<std::pair<uint64_t, SequenceNumber>> keep;
  for (const auto& [number, sequence] : vlog_drained_) {
    if (oldest < sequence) {
      keep.emplace_back(number, sequence);  // a snapshot may still read the old pointers
      continue;
    }
    if (vlog_gc_hook_) vlog_gc_hook_("gc:before_delete");
    Status s = vlog_->RemoveSegment(number);
    Log(info_log_.get(), "value-log GC: delete segment %llu: %s",
        static_cast<unsigned long long>(number), s.ToString().c_str());
    if (s.ok()) vlog_gc_segments_deleted_++;
    if (vlog_gc_hook_) vlog_gc_hook_("gc:after_delete");
  }
  vlog_drained_ = std::move(keep);
}

Status LsmDB::CompactValueLog() {
  std::lock_guard<std::mutex> gc_lock(vlog_gc_mutex_);
  {
    std::lock_guard<std::mutex> l(mutex_);
    if (!bg_error_.ok()) return bg_error_;
  }
  vlog_gc_runs_++;
  DeleteDrainedSegments();

  auto is_live = [this](const RecordRef& r, bool* live) {
    int kind = 0;
    std::string raw;
    Status s = LookupRaw(r.key, &kind, &raw);
    vlog::ValuePointer current;
    *live = s.ok() && kind == 2 && current.DecodeFrom(raw) && current == r.pointer;
    return s;
  };

  // Measure.
  uint64_t victim = 0;
  double victim_ratio = 0.0;
  for (uint64_t number : vlog_->SealedSegments()) {
    if (std::any_of(vlog_drained_.begin(), vlog_drained_.end(),
                    [number](const auto& d) { return d.first == number; })) {
      continue;
    }
    std::shared_ptr<vlog::SegmentReader> segment = vlog_->Segment(number);
    if (segment == nullptr) continue;
    std::vector<RecordRef> records;
    Status s = segment->Scan(
        [&](const vlog::ValuePointer& p, std::string_view k, std::string_view) {
          records.push_back({p, std::string(k)});
          return true;
        },
        /*verify=*/false, nullptr);
    if (!s.ok()) return s;
    uint64_t sampled = 0, dead = 0;
    const size_t step = std::max<size_t>(1, records.size() / kSampleRecords);
    for (size_t i = 0; i < records.size(); i += step) {
      bool live = false;
      s = is_live(records[i], &live);
      if (!s.ok()) return s;
      sampled += records[i].pointer.size;
      if (!live) dead += records[i].pointer.size;
    }
    // A segment without records is all garbage (e.g. only a header left by a crash).
    const double ratio = sampled == 0 ? 1.0 : static_cast<double>(dead) / sampled;
    if (victim == 0 || ratio > victim_ratio) {
      victim = number;
      victim_ratio = ratio;
    }
  }
  vlog_last_garbage_ratio_.store(victim_ratio);
  if (victim == 0 || victim_ratio < options_.lsm.value_log_gc_garbage_ratio) return Status::OK();

  // Rewrite. A full, verified scan: every record must be accounted for before the segment
  // may go. Records after a damaged spot cannot be found, so such a segment is kept.
  std::shared_ptr<vlog::SegmentReader> segment = vlog_->Segment(victim);
  if (segment == nullptr) return Status::OK();
  Log(info_log_.get(), "value-log GC: segment %llu, measured garbage ratio %.2f",
      static_cast<unsigned long long>(victim), victim_ratio);
  if (vlog_gc_hook_) vlog_gc_hook_("gc:before_rewrite");
  std::vector<RecordRef> records;
  uint64_t valid_end = 0;
  Status s = segment->Scan(
      [&](const vlog::ValuePointer& p, std::string_view k, std::string_view) {
        records.push_back({p, std::string(k)});
        return true;
      },
      /*verify=*/true, &valid_end);
  uint64_t file_size = 0;
  if (s.ok()) s = segment->FileSize(env_, &file_size);
  if (!s.ok()) return s;
  if (valid_end != file_size) {
    Log(info_log_.get(), "value-log GC: %s has a damaged or torn record at offset %llu; kept",
        segment->fname().c_str(), static_cast<unsigned long long>(valid_end));
    return Status::OK();
  }

  WriteOptions sync_write;
  sync_write.sync = true;  // the old copies may go only once the new ones are durable
  size_t next = 0;
  bool first_chunk = true;
  while (next < records.size()) {
    const size_t begin = next;
    uint64_t chunk_bytes = 0;
    while (next < records.size() && chunk_bytes < kRewriteChunkBytes) {
      chunk_bytes += records[next++].pointer.size;
    }
    const size_t end = next;
    uint64_t rewritten = 0;
    WriteBatch batch;
    s = WriteWithPrepare(sync_write, &batch, [&](WriteBatch* b) -> Status {
      // Runs as the write leader: the liveness check and the write are atomic with respect
      // to user writes.
      for (size_t i = begin; i < end; i++) {
        bool live = false;
        Status st = is_live(records[i], &live);
        if (!st.ok()) return st;
        if (!live) continue;
        std::string value;
        st = segment->Read(records[i].pointer, nullptr, nullptr, &value);
        if (!st.ok()) return st;
        b->Put(records[i].key, value);
        rewritten += records[i].pointer.size;
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
    vlog_gc_bytes_rewritten_ += rewritten;
    if (first_chunk && vlog_gc_hook_) vlog_gc_hook_("gc:mid_rewrite");
    first_chunk = false;
  }
  SequenceNumber drained_at;
  {
    std::lock_guard<std::mutex> l(mutex_);
    drained_at = versions_->LastSequence();
  }
  if (vlog_gc_hook_) vlog_gc_hook_("gc:after_rewrite");
  vlog_drained_.emplace_back(victim, drained_at);
  DeleteDrainedSegments();
  return Status::OK();
}

}  // namespace jadedb::lsm
