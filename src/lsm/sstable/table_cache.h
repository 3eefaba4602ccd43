// TableCache: the open Table objects of a DB, keyed by file number and bounded by
// LsmOptions::max_open_files (an LRU cache), which also bounds the DB's memory-mapped tables.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"
#include "lsm/base/iterator.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/table.h"
#include "lsm/sstable/table_options.h"

namespace jadedb::lsm {

class TableCache {
 public:
  // allow_mmap_reads: open tables with Env::NewRandomAccessFileMaybeMapped (LsmOptions::
  // allow_mmap_reads), so that at most max_open_files tables of this DB are mapped at once.
  TableCache(std::string dbname, const TableOptions& options, Env* env, int max_open_files,
             bool allow_mmap_reads = sizeof(void*) >= 8);
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  ~TableCache();

  // Iterator over table file_number (of file_size bytes). If table_out is non-null it is set
  // to the Table (owned by the cache, valid while the iterator lives). On error returns an
  // error iterator.
  std::unique_ptr<InternalIterator> NewIterator(const TableReadOptions& options,
                                                uint64_t file_number, uint64_t file_size,
                                                const Table** table_out = nullptr);

  // Table::InternalGet on table file_number. When covering_seq is non-null it is raised to the
  // highest sequence (at or below internal_key's) of the table's range tombstones covering
  // internal_key's user key; ucmp compares user keys for that.
  Status Get(const TableReadOptions& options, uint64_t file_number, uint64_t file_size,
             std::string_view internal_key, KeyValueCallback handle,
             const Comparator* ucmp = nullptr, uint64_t* covering_seq = nullptr);

  // Pins table file_number open: on success *handle keeps it in the cache (and open) until
  // passed to Release. For a reader that looks the same table up many times (a Version
  // pinning its files) and would otherwise pay a cache lookup per call.
  Status Pin(uint64_t file_number, uint64_t file_size, Cache::Handle** handle);
  void Release(Cache::Handle* handle) { cache_->Release(handle); }
  // Get on a table pinned by Pin (same contract as Get, without the cache lookup).
  Status GetPinned(Cache::Handle* handle, const TableReadOptions& options,
                   std::string_view internal_key, KeyValueCallback callback,
                   const Comparator* ucmp = nullptr, uint64_t* covering_seq = nullptr);
  // True when a reader may keep num_tables tables pinned: at most half of max_open_files, so
  // pinned tables never crowd out the cache's own working set (pins are never evicted).
  bool CanPin(size_t num_tables) const { return num_tables * 2 <= cache_->Capacity(); }

  // Appends the range tombstones of table file_number to *out.
  Status GetRangeTombstones(uint64_t file_number, uint64_t file_size,
                            std::vector<RangeTombstone>* out);

  // Tables opened (cache misses) since construction.
  uint64_t TableOpens() const { return opens_.load(std::memory_order_relaxed); }

  // Approximate offset of key in table file_number (0 on error).
  uint64_t ApproximateOffsetOf(uint64_t file_number, uint64_t file_size, std::string_view key);

  // Verifies every block of table file_number (see Table::VerifyChecksums).
  Status VerifyTable(uint64_t file_number, uint64_t file_size, std::string* report);

  // Drops the open table for file_number (called when the file is deleted). A table still
  // pinned (Pin) stays open until its last Release; Versions pin only their own files, and a
  // file is deleted only once no live Version holds it.
  void Evict(uint64_t file_number);

  Cache* cache() { return cache_.get(); }

 private:
  Status FindTable(uint64_t file_number, uint64_t file_size, Cache::Handle** handle);

  Env* const env_;
  const bool allow_mmap_reads_;
  const std::string dbname_;
  const TableOptions options_;
  std::unique_ptr<Cache> cache_;
  std::atomic<uint64_t> opens_{0};
};

}  // namespace jadedb::lsm
