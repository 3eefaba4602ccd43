// Adapter for LevelDB (Debian libleveldb-dev 1.23), configured per its doc/index.md
// ("Performance"): an LRU block cache of the shared budget and a 10-bit bloom filter policy;
// other options at their defaults (4 MiB write buffer, 4 KiB blocks). The log is written on
// every write (LevelDB has no way to turn it off).
#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include <memory>

#include "adapter.h"

namespace jadedb::bench {
namespace {

Status FromLevel(const leveldb::Status& s) {
  if (s.ok()) return Status::OK();
  if (s.IsNotFound()) return Status::NotFound("leveldb", s.ToString());
  if (s.IsNotSupportedError()) return Status::NotSupported("leveldb", s.ToString());
  return Status::IOError("leveldb", s.ToString());
}

leveldb::Slice ToSlice(std::string_view s) { return leveldb::Slice(s.data(), s.size()); }

class LevelCursor : public Cursor {
 public:
  explicit LevelCursor(leveldb::Iterator* it) : it_(it) {}
  void Seek(std::string_view target) override {
    if (target.empty()) {
      it_->SeekToFirst();
    } else {
      it_->Seek(ToSlice(target));
    }
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  std::string_view key() const override {
    leveldb::Slice k = it_->key();
    return std::string_view(k.data(), k.size());
  }
  std::string_view value() const override {
    leveldb::Slice v = it_->value();
    return std::string_view(v.data(), v.size());
  }

 private:
  std::unique_ptr<leveldb::Iterator> it_;
};

class LevelDbAdapter : public Adapter {
 public:
  Status Open(const std::string& dir, const BenchSettings& settings) override {
    if (settings.compression == "none") {
      options_.compression = leveldb::kNoCompression;
    } else if (settings.compression == "snappy") {
      options_.compression = leveldb::kSnappyCompression;
    } else {
      return Status::NotSupported("leveldb 1.23 supports only snappy", settings.compression);
    }
    cache_.reset(leveldb::NewLRUCache(settings.cache_bytes));
    filter_.reset(leveldb::NewBloomFilterPolicy(10));
    options_.create_if_missing = true;
    options_.block_cache = cache_.get();
    options_.filter_policy = filter_.get();
    settings_ = "block_cache=" + std::to_string(settings.cache_bytes >> 20) +
                "MiB write_buffer=4MiB (default) bloom=10bits block=4KiB compression=" +
                settings.compression +
                " log on; sync=false -> log written (page cache), sync=true -> log fsync";
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options_, dir, &db);
    db_.reset(db);
    return FromLevel(s);
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return FromLevel(db_->Put(wo, ToSlice(key), ToSlice(value)));
  }
  Status Get(std::string_view key, std::string* value) override {
    return FromLevel(db_->Get(leveldb::ReadOptions(), ToSlice(key), value));
  }
  Status Delete(std::string_view key, bool sync) override {
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return FromLevel(db_->Delete(wo, ToSlice(key)));
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    leveldb::WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(k, v);
    leveldb::WriteOptions wo;
    wo.sync = sync;
    return FromLevel(db_->Write(wo, &batch));
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<LevelCursor>(db_->NewIterator(leveldb::ReadOptions()));
  }
  Status Close() override {
    db_.reset();
    return Status::OK();
  }
  std::string Settings() const override { return settings_; }

 private:
  leveldb::Options options_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<const leveldb::FilterPolicy> filter_;
  std::unique_ptr<leveldb::DB> db_;  // Declared last: closed before the cache and filter.
  std::string settings_;
};

}  // namespace

std::unique_ptr<Adapter> NewLevelDbAdapter() { return std::make_unique<LevelDbAdapter>(); }

}  // namespace jadedb::bench
