// SuperVersions: the read sources (memtable, immutable memtables, current Version) as one
// reference-counted object, so a read takes its sources without the DB mutex (RocksDB's
// design, with a fixed array of per-thread slots instead of thread-local storage).
//
// Why it is safe (see also LsmDB::SuperVersion in lsm_db_impl.h):
// - every non-null, non-marker pointer in a slot carries one reference, so a SuperVersion is
//   deleted only after every slot has let go of it;
// - a reader exchanges its slot for the in-use marker before looking at the pointer, so the
//   installer (which exchanges every slot for null under mutex_) never drops a reference a
//   reader is using: it finds the marker instead, and the reader, whose compare-exchange back
//   then fails, drops the reference itself;
// - a borrowed SuperVersion is used only when its number is the current one, read after the
//   slot; the read's sequence is read after that, so any entry at or below the sequence that
//   a compaction dropped is shadowed by one the SuperVersion's sources still hold.
#include "lsm/lsm_db_impl.h"

namespace jadedb::lsm {
namespace {

// Marks a slot whose SuperVersion a reader borrowed. Never dereferenced.
char in_use_marker;

template <typename T>
T* InUse() {
  return reinterpret_cast<T*>(&in_use_marker);
}

// A small per-thread number picking the thread's slot; threads beyond the slot count share
// slots (a reader that finds its slot borrowed falls back to the mutex).
size_t ThreadSlot(size_t slots) {
  static std::atomic<size_t> next{0};
  thread_local const size_t id = next.fetch_add(1, std::memory_order_relaxed);
  return id % slots;
}

}  // namespace

void LsmDB::InstallSuperVersion() {
  auto* sv = new SuperVersion;
  sv->mem = mem_;
  sv->mem->Ref();
  sv->imms.reserve(imms_.size());
  for (auto it = imms_.rbegin(); it != imms_.rend(); ++it) {
    sv->imms.push_back(it->mem);
    it->mem->Ref();
    if (it->mem->HasRangeTombstones()) sv->imms_have_range_tombstones = true;
  }
  sv->current = versions_->current();
  sv->current->Ref();
  SuperVersion* old = super_version_;
  sv->number = (old != nullptr ? old->number : 0) + 1;
  super_version_ = sv;
  super_version_number_.store(sv->number, std::memory_order_release);
  ScrapeSuperVersionSlots();
  if (old != nullptr) UnrefSuperVersionLocked(old);
}

void LsmDB::ScrapeSuperVersionSlots() {
  SuperVersion* const in_use = InUse<SuperVersion>();
  for (size_t i = 0; i < kSuperVersionSlots; i++) {
    SuperVersion* cached = sv_slots_[i].sv.exchange(nullptr, std::memory_order_acq_rel);
    if (cached != nullptr && cached != in_use) UnrefSuperVersionLocked(cached);
  }
}

void LsmDB::DeleteSuperVersionLocked(SuperVersion* sv) {
  sv->mem->Unref();
  for (MemTable* imm : sv->imms) imm->Unref();
  sv->current->Unref();
  delete sv;
}

void LsmDB::UnrefSuperVersionLocked(SuperVersion* sv) {
  if (sv->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) DeleteSuperVersionLocked(sv);
}

void LsmDB::UnrefSuperVersion(SuperVersion* sv) {
  if (sv->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // The last reference: no one else can reach sv; the memtables' and Version's counts need
  // the mutex.
  std::lock_guard<std::mutex> lock(mutex_);
  DeleteSuperVersionLocked(sv);
}

LsmDB::SuperVersion* LsmDB::AcquireSuperVersion(size_t* slot) {
  SuperVersion* const in_use = InUse<SuperVersion>();
  *slot = ThreadSlot(kSuperVersionSlots);
  std::atomic<SuperVersion*>& cache = sv_slots_[*slot].sv;
  SuperVersion* sv = cache.exchange(in_use, std::memory_order_acq_rel);
  if (sv == in_use) {
    // Another thread sharing the slot borrowed it: take a reference of our own.
    *slot = kSuperVersionSlots;
    std::lock_guard<std::mutex> lock(mutex_);
    sv = super_version_;
    sv->refs.fetch_add(1, std::memory_order_relaxed);
    return sv;
  }
  if (sv != nullptr && sv->number == super_version_number_.load(std::memory_order_acquire)) {
    return sv;  // borrowed: the slot's reference covers the read
  }
  // Empty or stale: the marker stays in the slot; the reference the slot will own is taken
  // under the mutex.
  std::lock_guard<std::mutex> lock(mutex_);
  if (sv != nullptr) UnrefSuperVersionLocked(sv);
  sv = super_version_;
  sv->refs.fetch_add(1, std::memory_order_relaxed);
  return sv;
}

void LsmDB::ReleaseSuperVersion(SuperVersion* sv, size_t slot) {
  if (slot < kSuperVersionSlots) {
    SuperVersion* expected = InUse<SuperVersion>();
    // Back into the slot, unless an install emptied it meanwhile: then the reference is ours.
    if (sv_slots_[slot].sv.compare_exchange_strong(expected, sv, std::memory_order_acq_rel)) {
      return;
    }
  }
  UnrefSuperVersion(sv);
}

}  // namespace jadedb::lsm
