// Value-log garbage collection. A manual run (DB::CompactValueLog):
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
// An automatic run (LsmOptions::value_log_auto_gc) skips the sampling: compactions count the
// record bytes of the pointer entries they drop, per segment (lsm_compaction.cc), and once a
// sealed segment's count reaches the ratio of its size, a run on vlog_gc_pool_ (a thread of
// its own, so flushes never wait behind GC) rewrites it as in 3-4, the highest ratio first,
// one segment per run, rescheduling itself while candidates remain (but rewriting nothing
// while a snapshot keeps a drained segment alive, to bound the extra space). Close stops it
// between chunks (StopValueLogGc); its errors become the background error, as compaction's do.
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

Status ClosingStatus() { return Status::IOError("value-log GC", "the DB is closing"); }

}  // namespace

Status LsmDB::IsLiveRecord(std::string_view key, const vlog::ValuePointer& pointer, bool* live) {
  int kind = 0;
  std::string raw;
  Status s = LookupRaw(key, &kind, &raw);
  vlog::ValuePointer current;
  *live = s.ok() && kind == 2 && current.DecodeFrom(raw) && current == pointer;
  return s;
}

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
    uint64_t freed = 0;
    Status s = vlog_->RemoveSegment(number, &freed);
    Log(info_log_.get(), "value-log GC: delete segment %llu: %s",
        static_cast<unsigned long long>(number), s.ToString().c_str());
    if (s.ok()) {
      vlog_gc_segments_deleted_++;
      vlog_gc_bytes_reclaimed_ += freed;
    }
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
      s = IsLiveRecord(records[i].key, records[i].pointer, &live);
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
  Log(info_log_.get(), "value-log GC: segment %llu, measured garbage ratio %.2f",
      static_cast<unsigned long long>(victim), victim_ratio);
  return RewriteSegment(victim);
}

Status LsmDB::RewriteSegment(uint64_t victim) {
  // A full, verified scan: every record must be accounted for before the segment may go.
  // Records after a damaged spot cannot be found, so such a segment is kept.
  std::shared_ptr<vlog::SegmentReader> segment = vlog_->Segment(victim);
  if (segment == nullptr) return Status::OK();
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
    vlog_->ExcludeFromGc(victim);  // automatic GC would otherwise pick it again and again
    return Status::OK();
  }

  WriteOptions sync_write;
  sync_write.sync = true;  // the old copies may go only once the new ones are durable
  size_t next = 0;
  bool first_chunk = true;
  while (next < records.size()) {
    if (vlog_gc_stop_.load(std::memory_order_acquire)) return ClosingStatus();
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
        Status st = IsLiveRecord(records[i].key, records[i].pointer, &live);
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
  vlog_->ExcludeFromGc(victim);
  DeleteDrainedSegments();
  return Status::OK();
}

void LsmDB::MaybeScheduleValueLogGc() {
  if (!options_.lsm.value_log_auto_gc || vlog_gc_scheduled_ ||
      vlog_gc_stop_.load(std::memory_order_acquire) ||
      shutting_down_.load(std::memory_order_acquire) || !bg_error_.ok() ||
      (!vlog_->GarbageCountsDirty() &&
       vlog_->GcCandidates(options_.lsm.value_log_gc_garbage_ratio).empty())) {
    return;
  }
  vlog_gc_scheduled_ = true;
  if (vlog_gc_pool_ == nullptr) vlog_gc_pool_ = std::make_unique<ThreadPool>(1);
  vlog_gc_pool_->Schedule([this] { BackgroundValueLogGc(); });
}

void LsmDB::BackgroundValueLogGc() {
  Status s;
  bool rewrote = false;
  {
    std::lock_guard<std::mutex> gc_lock(vlog_gc_mutex_);  // waits for a manual run
    bool go;
    {
      std::lock_guard<std::mutex> l(mutex_);
      go = bg_error_.ok() && !vlog_gc_stop_.load(std::memory_order_acquire);
    }
    if (go) {
      // Off the DB mutex, after the compaction that changed them: a restart keeps the counts.
      Status saved = vlog_->SaveGarbageCounts();
      if (!saved.ok()) {
        Log(info_log_.get(), "saving value-log garbage counts: %s", saved.ToString().c_str());
      }
      DeleteDrainedSegments();
      const std::vector<vlog::GcCandidate> candidates =
          vlog_->GcCandidates(options_.lsm.value_log_gc_garbage_ratio);
      if (!candidates.empty()) vlog_gc_auto_runs_++;
      if (!vlog_drained_.empty()) {
        // A snapshot still reads a drained segment: rewriting another now would only add
        // copies while no space comes back. The next compaction's trigger tries again.
      } else if (!candidates.empty()) {
        vlog_last_garbage_ratio_.store(candidates.front().garbage_ratio);
        Log(info_log_.get(), "value-log GC (automatic): segment %llu, accounted garbage %.2f",
            static_cast<unsigned long long>(candidates.front().number),
            candidates.front().garbage_ratio);
        s = RewriteSegment(candidates.front().number);
        rewrote = s.ok();
      }
    }
  }
  std::lock_guard<std::mutex> l(mutex_);
  if (!s.ok() && !vlog_gc_stop_.load(std::memory_order_acquire)) RecordBackgroundError(s);
  vlog_gc_scheduled_ = false;
  if (rewrote) MaybeScheduleValueLogGc();  // the next candidate, if any
  background_cv_.notify_all();
}

void LsmDB::StopValueLogGc() {
  std::unique_ptr<ThreadPool> pool;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    vlog_gc_stop_.store(true, std::memory_order_release);
    background_cv_.wait(lock, [this] { return !vlog_gc_scheduled_; });
    pool = std::move(vlog_gc_pool_);
  }
  pool.reset();  // joins the idle thread
}

}  // namespace jadedb::lsm
