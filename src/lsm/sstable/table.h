// Table: an immutable, sorted file of key/value pairs (docs/formats/sstable.md): data blocks,
// a filter block, a metaindex block, an index block and a footer. Thread-safe: many readers
// may use one Table at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "jadedb/env.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/sstable/table_options.h"
#include "lsm/sstable/table_properties.h"

namespace jadedb::lsm {

// A non-owning reference to a callable taking (key, value): how a point lookup hands back
// the entry it found. Unlike std::function it never allocates, whatever the callable
// captures, and calls through one plain function pointer. The callable must outlive the
// reference: pass a lambda straight to the call taking it.
class KeyValueCallback {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, KeyValueCallback> &&
           std::is_invocable_v<F&, std::string_view, std::string_view>)
      KeyValueCallback(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, std::string_view key, std::string_view value) {
          (*static_cast<std::remove_reference_t<F>*>(obj))(key, value);
        }) {}

  void operator()(std::string_view key, std::string_view value) const { call_(obj_, key, value); }

 private:
  void* obj_;
  void (*call_)(void* obj, std::string_view key, std::string_view value);
};

class Table {
 public:
  // Opens the table in `file` of file_size bytes. file_name appears in error messages.
  // Corruption (naming the file and offset) if the footer, index or filter is damaged.
  static Status Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                     uint64_t file_size, std::string file_name, std::unique_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // Iterator over the table's entries (both directions). The table must outlive it.
  std::unique_ptr<InternalIterator> NewIterator(const TableReadOptions& options) const;

  // Finds the first entry with key >= `key` in the data block that could hold key and calls
  // handle(found_key, found_value) with it, unless the table's filter rules key out (then
  // handle is not called). Returns read errors (Corruption naming file and offset).
  // Allocates nothing when the blocks it needs are pinned or in the block cache: the index
  // and data blocks are sought with cursors on the stack.
  Status InternalGet(const TableReadOptions& options, std::string_view key,
                     KeyValueCallback handle) const;

  // Approximate file offset where the data for key begins (or would begin).
  uint64_t ApproximateOffsetOf(std::string_view key) const;

  // Reads every block and verifies its checksum; appends one line per block to *report when
  // report is non-null. Corruption naming the file and offset at the first bad block.
  Status VerifyChecksums(std::string* report) const;

  // Counters for properties: entries and bytes of the table.
  uint64_t NumEntries() const;
  // The range tombstones of the table's range-deletion block (loaded at Open; only for tables
  // written with an internal-key comparator).
  const std::vector<RangeTombstone>& RangeTombstones() const;
  // Data blocks read from the file (cache misses) by this table, for tests and statistics.
  uint64_t DataBlockReads() const;
  // Everything the table's properties block records.
  const TableProperties& Properties() const;

  // The open table's state (table_rep.h): opaque outside src/lsm/sstable.
  struct Rep;

 private:
  explicit Table(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace jadedb::lsm
