// Helpers for the sstable tests: in-memory files and a table built from a map.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "jadedb/env.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/table.h"
#include "lsm/sstable/table_builder.h"

namespace jadedb::lsm::sst_test {

// A Block owning a copy of bytes.
inline std::unique_ptr<Block> MakeBlock(std::string_view bytes) {
  BlockContents c;
  c.owned.reset(new char[bytes.size()]);
  if (!bytes.empty()) std::memcpy(c.owned.get(), bytes.data(), bytes.size());
  c.data = std::string_view(c.owned.get(), bytes.size());
  return std::make_unique<Block>(std::move(c));
}

// A WritableFile appending to a string.
class StringSink final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    contents_.append(data);
    return Status::OK();
  }
  Status Flush() override { return Status::OK(); }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }
  const std::string& contents() const { return contents_; }

 private:
  std::string contents_;
};

// A RandomAccessFile over a string; short reads at the end, like a real file. Counts reads.
class StringSource final : public RandomAccessFile {
 public:
  explicit StringSource(std::string contents) : contents_(std::move(contents)) {}
  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    reads_++;
    if (offset > contents_.size()) {
      return Status::IOError("StringSource: read past end");
    }
    n = std::min<uint64_t>(n, contents_.size() - offset);
    std::memcpy(scratch, contents_.data() + offset, n);
    *result = std::string_view(scratch, n);
    return Status::OK();
  }
  int reads() const { return reads_; }

 private:
  std::string contents_;
  mutable int reads_ = 0;
};

using KVMap = std::map<std::string, std::string>;

// Builds a table of every entry of kvs (which must be in options.comparator order; a
// std::map is, for the bytewise comparator) and returns its bytes.
inline std::string BuildTableContents(const TableOptions& options, const KVMap& kvs) {
  StringSink sink;
  TableBuilder builder(options, &sink);
  for (const auto& [k, v] : kvs) builder.Add(k, v);
  Status s = builder.Finish();
  if (!s.ok()) return "";
  return sink.contents();
}

inline Status OpenTable(const TableOptions& options, const std::string& contents,
                        std::unique_ptr<Table>* table, const std::string& name = "test.sst") {
  return Table::Open(options, std::make_unique<StringSource>(contents), contents.size(), name,
                     table);
}

}  // namespace jadedb::lsm::sst_test
