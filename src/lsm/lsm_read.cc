// The read path: point lookups and iterators over the memtables and the current Version,
// as of a sequence number. The mutex is held only to take references.
#include <vector>

#include "lsm/base/merging_iterator.h"
#include "lsm/db_iter.h"
#include "lsm/lsm_db_impl.h"

namespace jadedb::lsm {
namespace {

TableReadOptions ToTableReadOptions(const ReadOptions& options, bool paranoid) {
  TableReadOptions t;
  t.verify_checksums = options.verify_checksums || paranoid;
  t.fill_cache = options.fill_cache;
  return t;
}

}  // namespace

Status LsmDB::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  std::unique_lock<std::mutex> lock(mutex_);
  const SequenceNumber sequence =
      options.snapshot != nullptr
          ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
          : versions_->LastSequence();
  MemTable* mem = mem_;
  mem->Ref();
  std::vector<MemTable*> imms;  // newest first
  imms.reserve(imms_.size());
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) {
    imms.push_back(it->mem);
    it->mem->Ref();
  }
  Version* current = versions_->current();
  current->Ref();
  lock.unlock();

  LookupKey lkey(key, sequence);
  Status s;
  bool done = mem->Get(lkey, value, &s);
  for (size_t i = 0; !done && i < imms.size(); i++) done = imms[i]->Get(lkey, value, &s);
  if (!done) s = current->Get(ToTableReadOptions(options, options_.paranoid_checks), lkey, value);

  lock.lock();
  mem->Unref();
  for (MemTable* imm : imms) imm->Unref();
  current->Unref();
  return s;
}

std::unique_ptr<InternalIterator> LsmDB::NewInternalIterator(const ReadOptions& options,
                                                             SequenceNumber* latest_snapshot) {
  std::lock_guard<std::mutex> lock(mutex_);
  *latest_snapshot = versions_->LastSequence();

  std::vector<std::unique_ptr<InternalIterator>> children;
  std::vector<MemTable*> mems;
  mems.push_back(mem_);
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) mems.push_back(it->mem);
  for (MemTable* m : mems) {
    m->Ref();
    children.push_back(m->NewIterator());
  }
  Version* current = versions_->current();
  current->Ref();
  current->AddIterators(ToTableReadOptions(options, options_.paranoid_checks), &children);

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
  auto internal = NewInternalIterator(options, &latest);
  const SequenceNumber sequence =
      options.snapshot != nullptr ? static_cast<const SnapshotImpl*>(options.snapshot)->sequence()
                                  : latest;
  return NewDBIterator(internal_comparator_.user_comparator(), std::move(internal), sequence,
                       options.lower_bound, options.upper_bound);
}

}  // namespace jadedb::lsm
