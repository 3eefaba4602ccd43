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
  // Writes out the current data block (an optimization; Add does it when a block is full).
  void Flush();
  Status status() const;
  // Writes the filter, metaindex, index and footer.
  Status Finish();
  // Drops the table; the caller deletes the file.
  void Abandon();

  uint64_t NumEntries() const;
  // Bytes written so far (the file size after Finish).
  uint64_t FileSize() const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace jadedb::lsm
