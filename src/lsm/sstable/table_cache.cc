#include "lsm/sstable/table_cache.h"

#include <algorithm>

#include "lsm/base/dbformat.h"
#include "lsm/base/filename.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

void DeleteTable(std::string_view /*key*/, void* value) { delete static_cast<Table*>(value); }

// Small caches get one shard: with 16 shards a capacity of, say, 20 would leave each shard
// room for two tables and evict far earlier than max_open_files suggests.
int ShardBitsFor(int max_open_files) { return max_open_files >= 1024 ? 4 : 0; }

}  // namespace

TableCache::TableCache(std::string dbname, const TableOptions& options, Env* env,
                       int max_open_files, bool allow_mmap_reads)
    : env_(env),
      allow_mmap_reads_(allow_mmap_reads),
      dbname_(std::move(dbname)),
      options_(options),
      cache_(NewLRUCache(static_cast<size_t>(std::max(1, max_open_files)),
                         ShardBitsFor(max_open_files))) {}

TableCache::~TableCache() = default;

Status TableCache::FindTable(uint64_t file_number, uint64_t file_size, Cache::Handle** handle) {
  char key_buf[8];
  EncodeFixed64(key_buf, file_number);
  const std::string_view key(key_buf, sizeof(key_buf));
  *handle = cache_->Lookup(key);
  if (*handle != nullptr) return Status::OK();

  const std::string fname = TableFileName(dbname_, file_number);
  std::unique_ptr<RandomAccessFile> file;
  Status s = allow_mmap_reads_ ? env_->NewRandomAccessFileMaybeMapped(fname, &file)
                               : env_->NewRandomAccessFile(fname, &file);
  if (!s.ok()) return s;
  opens_.fetch_add(1, std::memory_order_relaxed);
  std::unique_ptr<Table> table;
  s = Table::Open(options_, std::move(file), file_size, fname, &table);
  // Errors are not cached: a transient failure (or a repaired file) should be retried.
  if (!s.ok()) return s;
  *handle = cache_->Insert(key, table.release(), 1, &DeleteTable);
  return Status::OK();
}

std::unique_ptr<InternalIterator> TableCache::NewIterator(const TableReadOptions& options,
                                                          uint64_t file_number, uint64_t file_size,
                                                          const Table** table_out) {
  if (table_out != nullptr) *table_out = nullptr;
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file_number, file_size, &handle);
  if (!s.ok()) return NewErrorIterator(s);
  auto* table = static_cast<const Table*>(cache_->Value(handle));
  auto iter = table->NewIterator(options);
  Cache* cache = cache_.get();
  iter->RegisterCleanup([cache, handle] { cache->Release(handle); });
  if (table_out != nullptr) *table_out = table;
  return iter;
}

namespace {

// Raises *covering_seq for table's range tombstones covering internal_key, then looks it up.
Status GetFromTable(const Table* table, const TableReadOptions& options,
                    std::string_view internal_key, KeyValueCallback handle, const Comparator* ucmp,
                    uint64_t* covering_seq) {
  if (covering_seq != nullptr && internal_key.size() >= 8) {
    const std::string_view user_key = ExtractUserKey(internal_key);
    const uint64_t read_seq = ExtractTag(internal_key) >> 8;
    for (const RangeTombstone& t : table->RangeTombstones()) {
      if (t.seq <= read_seq && t.seq > *covering_seq && ucmp->Compare(t.begin, user_key) <= 0 &&
          ucmp->Compare(user_key, t.end) < 0) {
        *covering_seq = t.seq;
      }
    }
  }
  return table->InternalGet(options, internal_key, handle);
}

}  // namespace

Status TableCache::Get(const TableReadOptions& options, uint64_t file_number, uint64_t file_size,
                       std::string_view internal_key, KeyValueCallback handle,
                       const Comparator* ucmp, uint64_t* covering_seq) {
  Cache::Handle* cache_handle = nullptr;
  Status s = FindTable(file_number, file_size, &cache_handle);
  if (!s.ok()) return s;
  s = GetFromTable(static_cast<const Table*>(cache_->Value(cache_handle)), options, internal_key,
                   handle, ucmp, covering_seq);
  cache_->Release(cache_handle);
  return s;
}

Status TableCache::Pin(uint64_t file_number, uint64_t file_size, Cache::Handle** handle) {
  return FindTable(file_number, file_size, handle);
}

Status TableCache::GetPinned(Cache::Handle* handle, const TableReadOptions& options,
                             std::string_view internal_key, KeyValueCallback callback,
                             const Comparator* ucmp, uint64_t* covering_seq) {
  return GetFromTable(static_cast<const Table*>(cache_->Value(handle)), options, internal_key,
                      callback, ucmp, covering_seq);
}

Status TableCache::GetRangeTombstones(uint64_t file_number, uint64_t file_size,
                                      std::vector<RangeTombstone>* out) {
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file_number, file_size, &handle);
  if (!s.ok()) return s;
  auto* table = static_cast<const Table*>(cache_->Value(handle));
  const std::vector<RangeTombstone>& ts = table->RangeTombstones();
  out->insert(out->end(), ts.begin(), ts.end());
  cache_->Release(handle);
  return Status::OK();
}

uint64_t TableCache::ApproximateOffsetOf(uint64_t file_number, uint64_t file_size,
                                         std::string_view key) {
  Cache::Handle* handle = nullptr;
  if (!FindTable(file_number, file_size, &handle).ok()) return 0;
  auto* table = static_cast<const Table*>(cache_->Value(handle));
  uint64_t result = table->ApproximateOffsetOf(key);
  cache_->Release(handle);
  return result;
}

Status TableCache::VerifyTable(uint64_t file_number, uint64_t file_size, std::string* report) {
  Cache::Handle* handle = nullptr;
  Status s = FindTable(file_number, file_size, &handle);
  if (!s.ok()) return s;
  auto* table = static_cast<const Table*>(cache_->Value(handle));
  s = table->VerifyChecksums(report);
  cache_->Release(handle);
  return s;
}

void TableCache::Evict(uint64_t file_number) {
  char key_buf[8];
  EncodeFixed64(key_buf, file_number);
  cache_->Erase(std::string_view(key_buf, sizeof(key_buf)));
}

}  // namespace jadedb::lsm
