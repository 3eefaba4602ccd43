// Adapter for RocksDB (Debian librocksdb-dev), configured per the RocksDB wiki's "Setup
// Options and Basic Tuning": LRU block cache holding data, index and filter blocks (so the
// cache budget is the whole read memory), 10-bit bloom filters, dynamic level sizes,
// bytes_per_sync 1 MiB, background jobs = cores. WAL on for every write.
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <memory>
#include <thread>

#include "adapter.h"

namespace jadedb::bench {
namespace {

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound("rocksdb", s.ToString());
  if (s.IsNotSupported()) return Status::NotSupported("rocksdb", s.ToString());
  return Status::IOError("rocksdb", s.ToString());
}

class RocksCursor : public Cursor {
 public:
  explicit RocksCursor(rocksdb::Iterator* it) : it_(it) {}
  void Seek(std::string_view target) override {
    if (target.empty()) {
      it_->SeekToFirst();
    } else {
      it_->Seek(rocksdb::Slice(target.data(), target.size()));
    }
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  std::string_view key() const override { return it_->key().ToStringView(); }
  std::string_view value() const override { return it_->value().ToStringView(); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
};

class RocksDbAdapter : public Adapter {
 public:
  Status Open(const std::string& dir, const BenchSettings& settings) override {
    rocksdb::Options options;
    options.create_if_missing = true;
    int cores = static_cast<int>(std::thread::hardware_concurrency());
    options.IncreaseParallelism(cores < 2 ? 2 : cores);
    options.max_background_jobs = cores < 2 ? 2 : cores;
    options.level_compaction_dynamic_level_bytes = true;
    options.bytes_per_sync = 1 << 20;
    if (settings.compression == "none") {
      options.compression = rocksdb::kNoCompression;
    } else if (settings.compression == "snappy") {
      options.compression = rocksdb::kSnappyCompression;
    } else if (settings.compression == "lz4") {
      options.compression = rocksdb::kLZ4Compression;
    } else if (settings.compression == "zstd") {
      options.compression = rocksdb::kZSTD;
    } else {
      return Status::InvalidArgument("unknown compression", settings.compression);
    }
    options.bottommost_compression = options.compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(settings.cache_bytes);
    table.cache_index_and_filter_blocks = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10, false));
    table.format_version = 5;
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    settings_ = "block_cache=" + std::to_string(settings.cache_bytes >> 20) +
                "MiB (data+index+filter) write_buffer=64MiB bloom=10bits block=4KiB "
                "dynamic_levels bytes_per_sync=1MiB bg_jobs=" +
                std::to_string(options.max_background_jobs) +
                " compression=" + settings.compression +
                " WAL on; sync=false -> WAL written (page cache), sync=true -> WAL fsync";
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
    db_.reset(db);
    return FromRocks(s);
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Put(wo, rocksdb::Slice(key.data(), key.size()),
                              rocksdb::Slice(value.data(), value.size())));
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromRocks(
        db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(key.data(), key.size()), value));
  }
  Status Delete(std::string_view key, bool sync) override {
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Delete(wo, rocksdb::Slice(key.data(), key.size())));
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    rocksdb::WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(k, v);
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Write(wo, &batch));
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<RocksCursor>(db_->NewIterator(rocksdb::ReadOptions()));
  }
  Status Close() override {
    rocksdb::Status s;
    if (db_) s = db_->Close();
    db_.reset();
    return FromRocks(s);
  }
  std::string Settings() const override { return settings_; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::string settings_;
};

}  // namespace

std::unique_ptr<Adapter> NewRocksDbAdapter() { return std::make_unique<RocksDbAdapter>(); }

}  // namespace jadedb::bench
