// Value separation in the write, read and recovery paths (WiscKey): values of at least
// options.lsm.value_threshold bytes go to the value log (src/lsm/vlog) and the tree stores a
// kTypeValuePointer entry. docs/formats/vlog.md describes the files; docs/architecture.md the
// design. GC is in lsm_vlog_gc.cc.
#include <cinttypes>

#include "lsm/lsm_db_impl.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {
namespace {

// Collects the batch's records in order, so the batch can be rebuilt with pointers.
class RecordCollector final : public WriteBatch::Handler {
 public:
  struct Op {
    uint8_t tag;
    std::string_view a, b;
  };
  void Put(std::string_view k, std::string_view v) override {
    ops.push_back({WriteBatchInternal::kTagPut, k, v});
  }
  void Delete(std::string_view k) override {
    ops.push_back({WriteBatchInternal::kTagDelete, k, {}});
  }
  void DeleteRange(std::string_view b, std::string_view e) override {
    ops.push_back({WriteBatchInternal::kTagDeleteRange, b, e});
  }
  std::vector<Op> ops;
};

}  // namespace

Status LsmDB::OpenValueLog(const std::vector<std::string>& names) {
  uint64_t max_number = 0;
  Status s = vlog_->Open(names, &max_number);
  if (s.ok() && max_number > 0) versions_->MarkFileNumberUsed(max_number);
  if (s.ok()) {
    std::string note;
    s = vlog_->LoadGarbageCounts(&note);
    if (!note.empty()) Log(info_log_.get(), "%s", note.c_str());
  }
  return s;
}

Status LsmDB::SeparateValues(WriteBatch* group, bool sync, WriteBatch** logged) {
  *logged = group;
  if (sync && vlog_has_unsynced_) {
    // An earlier non-sync batch may have put values in the log; this sync write makes its WAL
    // record durable, so its values must be durable too (found by jadedb-crashtest).
    Status s = vlog_->Sync();
    if (!s.ok()) return s;
    vlog_has_unsynced_ = false;
  }
  const size_t threshold = options_.lsm.value_threshold;
  // A batch smaller than the threshold cannot hold a large value.
  if (threshold == 0 || group->ApproximateSize() < threshold) return Status::OK();
  RecordCollector collector;
  Status s = WriteBatchInternal::IterateWithPointers(
      group, &collector, [&collector](std::string_view k, std::string_view p) {
        collector.ops.push_back({WriteBatchInternal::kTagValuePointer, k, p});
      });
  if (!s.ok()) return s;
  std::vector<std::pair<std::string_view, std::string_view>> large;
  for (const auto& op : collector.ops) {
    if (op.tag == WriteBatchInternal::kTagPut && op.b.size() >= threshold) {
      large.emplace_back(op.a, op.b);
    }
  }
  if (large.empty()) return Status::OK();
  std::vector<vlog::ValuePointer> pointers;
  s = vlog_->AddRecords(large, sync, &pointers);
  if (!s.ok()) return s;
  if (!sync) vlog_has_unsynced_ = true;

  vlog_batch_.Clear();
  WriteBatchInternal::SetSequence(&vlog_batch_, WriteBatchInternal::Sequence(group));
  size_t next = 0;
  std::string encoded;
  for (const auto& op : collector.ops) {
    switch (op.tag) {
      case WriteBatchInternal::kTagPut:
        if (op.b.size() >= threshold) {
          encoded.clear();
          pointers[next++].EncodeTo(&encoded);
          WriteBatchInternal::PutValuePointer(&vlog_batch_, op.a, encoded);
        } else {
          vlog_batch_.Put(op.a, op.b);
        }
        break;
      case WriteBatchInternal::kTagDelete:
        vlog_batch_.Delete(op.a);
        break;
      case WriteBatchInternal::kTagDeleteRange:
        vlog_batch_.DeleteRange(op.a, op.b);
        break;
      default:
        WriteBatchInternal::PutValuePointer(&vlog_batch_, op.a, op.b);
        break;
    }
  }
  *logged = &vlog_batch_;
  return Status::OK();
}

bool LsmDB::ReplayedBatchIntact(const WriteBatch& batch, std::string* why) {
  class Ignore final : public WriteBatch::Handler {
    void Put(std::string_view, std::string_view) override {}
    void Delete(std::string_view) override {}
    void DeleteRange(std::string_view, std::string_view) override {}
  } ignore;
  bool intact = true;
  (void)WriteBatchInternal::IterateWithPointers(
      &batch, &ignore, [&](std::string_view key, std::string_view raw) {
        if (!intact) return;
        vlog::ValuePointer p;
        if (!p.DecodeFrom(raw)) {
          intact = false;
          *why = "malformed value pointer";
          return;
        }
        std::shared_ptr<vlog::SegmentReader> segment = vlog_->Segment(p.file);
        // A missing segment was deleted by GC after it rewrote every live value durably; this
        // entry is then shadowed by the rewrite and never read.
        if (segment == nullptr) return;
        std::string value;
        Status s = segment->Read(p, &key, nullptr, &value);
        if (!s.ok()) {
          intact = false;
          *why = s.ToString();
        }
      });
  return intact;
}

Status LsmDB::GetAndResolve(const ReadOptions& options, const ReadRefs& refs,
                            const RangeTombstoneFragments& mem_tombstones, std::string_view key,
                            std::string* value) {
  bool is_pointer = false;
  Status s = GetFromRefs(options, refs, mem_tombstones, key, value, &is_pointer);
  if (!s.ok() || !is_pointer) return s;
  vlog::ValuePointer p;
  if (!p.DecodeFrom(*value)) return Status::Corruption("value pointer", "malformed");
  s = vlog_->Read(p, key, value);
  if (!s.IsNotFound()) return s;

  // GC deleted the segment after this read took its references; the key now has a newer
  // entry (the rewrite or a user write) that fresh references see.
  ReadRefs fresh;
  AcquireReadRefs(options, &fresh);
  const RangeTombstoneFragments tombstones = MemTableTombstones(fresh);
  is_pointer = false;
  s = GetFromRefs(options, fresh, tombstones, key, value, &is_pointer);
  ReleaseReadRefs(&fresh);
  if (!s.ok() || !is_pointer) return s;
  if (!p.DecodeFrom(*value)) return Status::Corruption("value pointer", "malformed");
  s = vlog_->Read(p, key, value);
  if (s.IsNotFound()) s = Status::Corruption(s.message(), "value-log segment missing");
  return s;
}

Status LsmDB::LookupRaw(std::string_view key, int* kind, std::string* raw) {
  ReadRefs refs;
  AcquireReadRefs(ReadOptions(), &refs);
  const RangeTombstoneFragments tombstones = MemTableTombstones(refs);
  bool is_pointer = false;
  Status s = GetFromRefs(ReadOptions(), refs, tombstones, key, raw, &is_pointer);
  ReleaseReadRefs(&refs);
  *kind = 0;
  if (s.IsNotFound()) return Status::OK();
  if (!s.ok()) return s;
  *kind = is_pointer ? 2 : 1;
  return Status::OK();
}

std::string LsmDB::ValueLogStatsString() {
  const vlog::ValueLogStats st = vlog_->Stats();
  char buf[1024];
  std::snprintf(buf, sizeof(buf),
                "value log: %" PRIu64 " segments, %.2f MiB; appended %.2f MiB in %" PRIu64
                " values (threshold %zu bytes); garbage counted by compactions %.2f MiB\n"
                "value-log GC: %" PRIu64 " runs (%" PRIu64 " manual, %" PRIu64
                " automatic%s), %.2f MiB rewritten, %" PRIu64
                " segments deleted, %.2f MiB reclaimed, last garbage ratio %.2f\n",
                st.segments, st.bytes / 1048576.0, st.bytes_appended / 1048576.0,
                st.records_appended, options_.lsm.value_threshold, st.garbage_bytes / 1048576.0,
                vlog_gc_runs_.load() + vlog_gc_auto_runs_.load(), vlog_gc_runs_.load(),
                vlog_gc_auto_runs_.load(), options_.lsm.value_log_auto_gc ? "" : ", off",
                vlog_gc_bytes_rewritten_.load() / 1048576.0, vlog_gc_segments_deleted_.load(),
                vlog_gc_bytes_reclaimed_.load() / 1048576.0, vlog_last_garbage_ratio_.load());
  return buf;
}

}  // namespace jadedb::lsm
