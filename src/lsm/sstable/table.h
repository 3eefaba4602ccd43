// Table: an immutable, sorted file of key/value pairs (docs/formats/sstable.md): data blocks,
// a filter block, a metaindex block, an index block and a footer. Thread-safe: many readers
// may use one Table at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/sstable/table_options.h"
#include "lsm/sstable/table_properties.h"

namespace jadedb::lsm {

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
  Status InternalGet(const TableReadOptions& options, std::string_view key,
                     const std::function<void(std::string_view, std::string_view)>& handle) const;

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

 private:
  struct Rep;
  explicit Table(std::unique_ptr<Rep> rep);
  std::unique_ptr<Rep> rep_;
};

}  // namespace jadedb::lsm
