// The read path: point lookups, MultiGet and iterators over the memtables and the current
// Version, as of a sequence number. The mutex is held only to take references. Range
// tombstones are applied here: a lookup stops at the first source (newest first) whose
// tombstones cover the key, since every older source holds only older entries.
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
  std::lock_guard<std::mutex> lock(mutex_);
  refs->sequence = options.snapshot != nullptr
                       ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                       : versions_->LastSequence();
  refs->mem = mem_;
  refs->mem->Ref();
  refs->imms.clear();
  refs->imms.reserve(imms_.size());
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) {
    refs->imms.push_back(it->mem);
    it->mem->Ref();
  }
  refs->current = versions_->current();
  refs->current->Ref();
}

void LsmDB::ReleaseReadRefs(ReadRefs* refs) {
  std::lock_guard<std::mutex> lock(mutex_);
  refs->mem->Unref();
  for (MemTable* imm : refs->imms) imm->Unref();
  refs->current->Unref();
  refs->mem = nullptr;
  refs->imms.clear();
  refs->current = nullptr;
}

Status LsmDB::GetFromRefs(const ReadOptions& options, const ReadRefs& refs,
                          const RangeTombstoneFragments& mem_tombstones, std::string_view key,
                          std::string* value, bool* is_pointer) {
  LookupKey lkey(key, refs.sequence);
  // Memtable tombstones are all newer than anything in the tables, and a tombstone in a
  // memtable is newer than the entries of older memtables: the highest covering one decides.
  const SequenceNumber covering = mem_tombstones.MaxCoveringSeq(key);
  Status s;
  SequenceNumber found_seq = 0;
  bool done = refs.mem->Get(lkey, value, &s, &found_seq, is_pointer);
  for (size_t i = 0; !done && i < refs.imms.size(); i++) {
    done = refs.imms[i]->Get(lkey, value, &s, &found_seq, is_pointer);
  }
  if (done) {
    if (s.ok() && found_seq < covering) {
      value->clear();
      return Status::NotFound("key deleted by a range deletion");
    }
    return s;
  }
  if (covering > 0) return Status::NotFound("key deleted by a range deletion");
  return refs.current->Get(ToTableReadOptions(options, options_.paranoid_checks), lkey, value,
                           is_pointer);
}

// Builds the fragments of the memtables' tombstones visible at refs.sequence.
static RangeTombstoneFragments MemTombstones(const Comparator* ucmp, MemTable* mem,
                                             const std::vector<MemTable*>& imms,
                                             SequenceNumber sequence) {
  std::vector<RangeTombstone> all;
  mem->GetRangeTombstones(&all);
  for (MemTable* imm : imms) imm->GetRangeTombstones(&all);
  return RangeTombstoneFragments(ucmp, all, sequence);
}

Status LsmDB::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  ReadRefs refs;
  AcquireReadRefs(options, &refs);
  const RangeTombstoneFragments mem_tombstones =
      MemTombstones(internal_comparator_.user_comparator(), refs.mem, refs.imms, refs.sequence);
  Status s = GetAndResolve(options, refs, mem_tombstones, key, value);
  ReleaseReadRefs(&refs);
  return s;
}

std::vector<Status> LsmDB::MultiGet(const ReadOptions& options,
                                    const std::vector<std::string_view>& keys,
                                    std::vector<std::string>* values) {
  values->assign(keys.size(), std::string());
  std::vector<Status> statuses(keys.size());
  if (keys.empty()) return statuses;
  // One reference acquisition (one mutex round trip) and one tombstone build for all keys;
  // the keys are looked up in sorted order, so consecutive lookups touch neighbouring index
  // entries, blocks and files (cache-friendly), and every key sees the same sequence.
  ReadRefs refs;
  AcquireReadRefs(options, &refs);
  const Comparator* ucmp = internal_comparator_.user_comparator();
  const RangeTombstoneFragments mem_tombstones =
      MemTombstones(ucmp, refs.mem, refs.imms, refs.sequence);
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

std::unique_ptr<InternalIterator> LsmDB::NewInternalIterator(
    const ReadOptions& options, SequenceNumber* latest_snapshot,
    std::vector<RangeTombstone>* tombstones, Status* tombstone_status) {
  std::vector<MemTable*> mems;
  Version* current = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    *latest_snapshot = versions_->LastSequence();
    mems.push_back(mem_);
    for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) mems.push_back(it->mem);
    for (MemTable* m : mems) m->Ref();
    current = versions_->current();
    current->Ref();
  }
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (MemTable* m : mems) {
    children.push_back(m->NewIterator());
    if (tombstones != nullptr) m->GetRangeTombstones(tombstones);
  }
  TableReadOptions topt = ToTableReadOptions(options, options_.paranoid_checks);
  topt.lower_bound = options.lower_bound;
  topt.upper_bound = options.upper_bound;
  current->AddIterators(topt, &children);
  if (tombstones != nullptr) *tombstone_status = current->AddRangeTombstones(topt, tombstones);

  auto merged = NewMergingIterator(&internal_comparator_, std::move(children));
  merged->RegisterCleanup([this, mems, current] {
    std::lock_guard<std::mutex> l(mutex_);
    for (MemTable* m : mems) m->Unref();
    current->Unref();
  });
  return merged;
}

std::unique_ptr<Iterator> LsmDB::NewIterator(const ReadOptions& options) {
  SequenceNumber latest;
  std::vector<RangeTombstone> tombstones;
  Status tombstone_status;
  // Pinned before the sources are referenced: every segment they point into stays readable.
  auto pinned = vlog_->Pin();
  auto internal = vlog::NewResolvingIterator(
      NewInternalIterator(options, &latest, &tombstones, &tombstone_status), std::move(pinned),
      vlog_.get());
  const SequenceNumber sequence =
      options.snapshot != nullptr ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                                  : latest;
  const Comparator* ucmp = internal_comparator_.user_comparator();
  if (!tombstone_status.ok()) {
    // Without every tombstone the iterator could show deleted keys: fail it instead.
    return NewDBIterator(ucmp, NewErrorIterator(tombstone_status), sequence, std::nullopt,
                         std::nullopt);
  }
  return NewDBIterator(ucmp, std::move(internal), sequence, options.lower_bound,
                       options.upper_bound, RangeTombstoneFragments(ucmp, tombstones, sequence));
}

}  // namespace jadedb::lsm
