// TableBuilder: writes a table file (docs/formats/sstable.md) from keys added in increasing
// order. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "jadedb/env.h"
#include "lsm/sstable/table_options.h"

namespace jadedb::lsm {

class TableBuilder {
 public:
  // file must be empty and outlive the builder; the caller syncs and closes it after Finish.
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  // Requires Finish() or Abandon() to have been called.
  ~TableBuilder();

  // key must be after every key added before, in options.comparator order.
  void Add(std::string_view key, std::string_view value);
  // Records a range tombstone for the table's range-deletion block (written by Finish, in
  // internal-key order, so they may be added in any order and at any time before Finish).
  void AddRangeTombstone(std::string_view begin, std::string_view end, uint64_t seq);
  // Writes out the current data block (an optimization; Add does it when a block is full).
  void Flush();
  Status status() const;
  // Writes the filter, metaindex, index and footer.
  Status Finish();
  // Drops the table; the caller deletes the file.
  void Abandon();

  // Point entries added (range tombstones not counted).
  uint64_t NumEntries() const;
  // Bytes written so far (the file size after Finish).
  uint64_t FileSize() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace jadedb::lsm
