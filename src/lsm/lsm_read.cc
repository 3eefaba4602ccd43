// The read path: point lookups, MultiGet and iterators over the memtables and the current
// Version, as of a sequence number, through a SuperVersion (lsm_super_version.cc), so a read
// usually takes no mutex at all. Range tombstones are applied here: a lookup stops at the
// first source (newest first) whose tombstones cover the key, since every older source holds
// only older entries.
#include <algorithm>
#include <numeric>
#include <vector>

#include "lsm/base/merging_iterator.h"
#include "lsm/db_iter.h"
#include "lsm/lsm_db_impl.h"
#include "lsm/vlog/resolving_iterator.h"

namespace jadedb::lsm {
namespace {

TableReadOptions ToTableReadOptions(const ReadOptions& options, bool paranoid) {
  TableReadOptions t;
  t.verify_checksums = options.verify_checksums || paranoid;
  t.fill_cache = options.fill_cache;
  return t;
}

}  // namespace

void LsmDB::AcquireReadRefs(const ReadOptions& options, ReadRefs* refs) {
  refs->sv = AcquireSuperVersion(&refs->slot);
  // Read after the SuperVersion (see lsm_super_version.cc): its sources hold every entry
  // visible at this sequence that a newer Version might have compacted away.
  refs->sequence = options.snapshot != nullptr
                       ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                       : visible_sequence_.load(std::memory_order_acquire);
}

void LsmDB::ReleaseReadRefs(ReadRefs* refs) {
  ReleaseSuperVersion(refs->sv, refs->slot);
  refs->sv = nullptr;
}

RangeTombstoneFragments LsmDB::MemTableTombstones(const ReadRefs& refs) const {
  // A tombstone at or below refs.sequence was added before the sequence was published, so
  // the flag (acquire) shows it; the immutable memtables' flags are fixed.
  const SuperVersion* sv = refs.sv;
  if (!sv->imms_have_range_tombstones && !sv->mem->HasRangeTombstones()) return {};
  std::vector<RangeTombstone> all;
  sv->mem->GetRangeTombstones(&all);
  for (MemTable* imm : sv->imms) imm->GetRangeTombstones(&all);
  return RangeTombstoneFragments(internal_comparator_.user_comparator(), all, refs.sequence);
}

Status LsmDB::GetFromRefs(const ReadOptions& options, const ReadRefs& refs,
                          const RangeTombstoneFragments& mem_tombstones, std::string_view key,
                          std::string* value, bool* is_pointer) {
  LookupKey lkey(key, refs.sequence);
  // Memtable tombstones are all newer than anything in the tables, and a tombstone in a
  // memtable is newer than the entries of older memtables: the highest covering one decides.
  const SequenceNumber covering = mem_tombstones.empty() ? 0 : mem_tombstones.MaxCoveringSeq(key);
  Status s;
  SequenceNumber found_seq = 0;
  const SuperVersion* sv = refs.sv;
  bool done = sv->mem->Get(lkey, value, &s, &found_seq, is_pointer);
  for (size_t i = 0; !done && i < sv->imms.size(); i++) {
    done = sv->imms[i]->Get(lkey, value, &s, &found_seq, is_pointer);
  }
  if (done) {
    if (s.ok() && found_seq < covering) {
      value->clear();
      return Status::NotFound("key deleted by a range deletion");
    }
    return s;
  }
  if (covering > 0) return Status::NotFound("key deleted by a range deletion");
  ReadCharge charge;
  s = sv->current->Get(ToTableReadOptions(options, options_.paranoid_checks), lkey, value,
                       is_pointer, options_.lsm.read_triggered_compaction ? &charge : nullptr);
  if (charge.file != nullptr) ChargeRead(sv->current, charge, 1);
  return s;
}

void LsmDB::ChargeRead(Version* v, const ReadCharge& charge, int32_t reads) {
  if (!v->ChargeRead(charge, reads)) return;
  // Rare: once per exhausted file and Version.
  std::lock_guard<std::mutex> lock(mutex_);
  // Marking v (even when no longer current) stops its readers from coming here again.
  bool marked = v->SetFileToCompact(charge);
  Version* current = versions_->current();
  if (current != v) marked = current->SetFileToCompact(charge) || marked;
  if (marked) {
    Log(info_log_.get(), "read budget of table %llu at level %d exhausted",
        static_cast<unsigned long long>(charge.file->number), charge.level);
    MaybeScheduleCompaction();
  }
}

void LsmDB::RecordReadSample(Version* v, std::string_view user_key, uint32_t reads,
                             bool from_seek) {
  ReadCharge charge = v->SampleCharge(user_key, from_seek);
  if (charge.file != nullptr) ChargeRead(v, charge, static_cast<int32_t>(reads));
}

Status LsmDB::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  ReadRefs refs;
  AcquireReadRefs(options, &refs);
  Status s = GetAndResolve(options, refs, MemTableTombstones(refs), key, value);
  ReleaseReadRefs(&refs);
  return s;
}

std::vector<Status> LsmDB::MultiGet(const ReadOptions& options,
                                    const std::vector<std::string_view>& keys,
                                    std::vector<std::string>* values) {
  values->assign(keys.size(), std::string());
  std::vector<Status> statuses(keys.size());
  if (keys.empty()) return statuses;
  // One reference acquisition and one tombstone build for all keys; the keys are looked up
  // in sorted order, so consecutive lookups touch neighbouring index entries, blocks and
  // files (cache-friendly), and every key sees the same sequence.
  ReadRefs refs;
  AcquireReadRefs(options, &refs);
  const Comparator* ucmp = internal_comparator_.user_comparator();
  const RangeTombstoneFragments mem_tombstones = MemTableTombstones(refs);
  std::vector<size_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ucmp->Compare(keys[a], keys[b]) < 0; });
  for (size_t n = 0; n < order.size(); n++) {
    const size_t i = order[n];
    if (n > 0 && ucmp->Compare(keys[i], keys[order[n - 1]]) == 0) {
      // A repeated key: same answer as its twin.
      statuses[i] = statuses[order[n - 1]];
      (*values)[i] = (*values)[order[n - 1]];
      continue;
    }
    statuses[i] = GetAndResolve(options, refs, mem_tombstones, keys[i], &(*values)[i]);
  }
  ReleaseReadRefs(&refs);
  return statuses;
}

Status LsmDB::AddTableTombstones(const ReadOptions& options, const TableReadOptions& topt,
                                 SuperVersion* sv, std::vector<RangeTombstone>* out) {
  if (!sv->table_tombstones_loaded.load(std::memory_order_acquire)) {
    // A bounded iterator reads only the tables its bounds overlap (it must not open the
    // others just to fill the cache).
    if (options.lower_bound || options.upper_bound) {
      return sv->current->AddRangeTombstones(topt, out);
    }
    std::lock_guard<std::mutex> lock(sv->table_tombstones_mu);
    if (!sv->table_tombstones_loaded.load(std::memory_order_relaxed)) {
      std::vector<RangeTombstone> all;
      Status s = sv->current->AddRangeTombstones(topt, &all);
      if (!s.ok()) return s;  // not cached: the next iterator tries again
      sv->table_tombstones = std::move(all);
      sv->table_tombstones_loaded.store(true, std::memory_order_release);
    }
  }
  out->insert(out->end(), sv->table_tombstones.begin(), sv->table_tombstones.end());
  return Status::OK();
}

std::unique_ptr<InternalIterator> LsmDB::NewInternalIterator(
    const ReadOptions& options, SequenceNumber* latest_snapshot,
    std::vector<RangeTombstone>* tombstones, Status* tombstone_status, Version** version) {
  size_t slot;
  SuperVersion* sv = AcquireSuperVersion(&slot);
  // The iterator outlives this call: it takes a reference of its own (the borrowed one
  // keeps sv alive meanwhile).
  sv->refs.fetch_add(1, std::memory_order_relaxed);
  ReleaseSuperVersion(sv, slot);
  *latest_snapshot = visible_sequence_.load(std::memory_order_acquire);

  std::vector<std::unique_ptr<InternalIterator>> children;
  children.reserve(1 + sv->imms.size() + sv->current->files(0).size() + kNumLevels);
  children.push_back(sv->mem->NewIterator());
  for (MemTable* imm : sv->imms) children.push_back(imm->NewIterator());
  if (tombstones != nullptr) {
    sv->mem->GetRangeTombstones(tombstones);
    for (MemTable* imm : sv->imms) imm->GetRangeTombstones(tombstones);
  }
  TableReadOptions topt = ToTableReadOptions(options, options_.paranoid_checks);
  topt.lower_bound = options.lower_bound;
  topt.upper_bound = options.upper_bound;
  sv->current->AddIterators(topt, &children);
  if (version != nullptr) *version = sv->current;
  if (tombstones != nullptr) *tombstone_status = AddTableTombstones(options, topt, sv, tombstones);

  auto merged = NewMergingIterator(&internal_comparator_, std::move(children));
  merged->RegisterCleanup([this, sv] { UnrefSuperVersion(sv); });
  return merged;
}

std::unique_ptr<Iterator> LsmDB::NewIterator(const ReadOptions& options) {
  SequenceNumber latest;
  std::vector<RangeTombstone> tombstones;
  Status tombstone_status;
  // Pinned before the sources are referenced: every segment they point into stays readable.
  auto pinned = vlog_->Pin();
  const bool no_segments = pinned->empty();
  Version* version = nullptr;
  std::unique_ptr<InternalIterator> internal =
      NewInternalIterator(options, &latest, &tombstones, &tombstone_status, &version);
  // Without value-log segments both before the sources were taken and after the sequence
  // was read, no entry visible at the sequence holds a pointer (its value would have been
  // appended before the sequence was published, into a segment that still exists); older
  // pointers into segments GC deleted are shadowed and never shown. Then every step can
  // skip the resolving layer (the common case: no value ever reached value_threshold).
  if (!no_segments || !vlog_->Pin()->empty()) {
    internal = vlog::NewResolvingIterator(std::move(internal), std::move(pinned), vlog_.get());
  }
  const SequenceNumber sequence =
      options.snapshot != nullptr ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                                  : latest;
  const Comparator* ucmp = internal_comparator_.user_comparator();
  if (!tombstone_status.ok()) {
    // Without every tombstone the iterator could show deleted keys: fail it instead.
    return NewDBIterator(ucmp, NewErrorIterator(tombstone_status), sequence, std::nullopt,
                         std::nullopt);
  }
  ReadSampler sampler;
  if (options_.lsm.read_triggered_compaction) {
    // The iterator keeps version referenced (through its SuperVersion) and calls the sampler
    // only from its own methods, which the DB outlives.
    sampler = [this, version](std::string_view user_key, uint32_t reads, bool from_seek) {
      RecordReadSample(version, user_key, reads, from_seek);
    };
  }
  return NewDBIterator(ucmp, std::move(internal), sequence, options.lower_bound,
                       options.upper_bound, RangeTombstoneFragments(ucmp, tombstones, sequence),
                       std::move(sampler));
}

}  // namespace jadedb::lsm
