// MemTable: the in-memory, sorted buffer of recent writes: an arena-backed skiplist of
// internal keys. Reference counted: the DB, iterators and flushes each hold a reference.
//
// Thread safety: one writer (Add) at a time, concurrently with any number of readers (Get,
// iterators), without locks. Ref/Unref need external synchronization (the DB mutex).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/status.h"
#include "jadedb/write_batch.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"

namespace jadedb::lsm {

class MemTable {
 public:
  explicit MemTable(const InternalKeyComparator& comparator);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  void Ref() { ++refs_; }
  // Deletes the memtable when the last reference goes.
  void Unref();

  // Bytes of memory in use (the arena); drives the switch to a new memtable.
  size_t ApproximateMemoryUsage() const;

  // Iterator over internal keys; value() is the user value. The memtable must stay referenced
  // while the iterator lives.
  std::unique_ptr<InternalIterator> NewIterator();

  // Adds an entry (key is the user key; value is empty for deletions).
  void Add(SequenceNumber seq, ValueType type, std::string_view key, std::string_view value);

  // Looks up the newest entry for key.user_key() at or below its sequence. Returns true when
  // one exists: *s is OK and *value set for a value, *s NotFound for a deletion, and
  // *found_seq (when non-null) set to the entry's sequence. False when the memtable holds no
  // entry for the key. Range tombstones are not applied here (see RangeTombstones).
  // *is_pointer (when non-null) tells whether a value found is a value-log pointer.
  bool Get(const LookupKey& key, std::string* value, Status* s, SequenceNumber* found_seq = nullptr,
           bool* is_pointer = nullptr);

  // Records DeleteRange(begin, end) at seq. Same single-writer rule as Add.
  void AddRangeTombstone(SequenceNumber seq, std::string_view begin, std::string_view end);
  // Appends a copy of the range tombstones added so far to *out (any thread).
  void GetRangeTombstones(std::vector<RangeTombstone>* out) const;
  bool HasRangeTombstones() const;

  // Number of entries added, range tombstones included.
  uint64_t NumEntries() const;

 private:
  struct Rep;
  ~MemTable();
  int refs_ = 0;
  std::unique_ptr<Rep> rep_;
};

// Inserts every record of batch into mem, numbering them sequence, sequence+1, ...
// Corruption if the batch is malformed.
Status InsertBatchIntoMemTable(const WriteBatch* batch, SequenceNumber sequence, MemTable* mem);

}  // namespace jadedb::lsm
