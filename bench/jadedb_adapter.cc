// Adapter for JadeDB itself, through the public API only (include/jadedb/db.h). Serves both
// engines: "lsm" and "bplustree" (Options::engine).
#include <memory>

#include "adapter.h"
#include "jadedb/db.h"

namespace jadedb::bench {
namespace {

class JadeDbCursor : public Cursor {
 public:
  explicit JadeDbCursor(std::unique_ptr<Iterator> it) : it_(std::move(it)) {}
  void Seek(std::string_view target) override {
    if (target.empty()) {
      it_->SeekToFirst();
    } else {
      it_->Seek(target);
    }
  }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  std::string_view key() const override { return it_->key(); }
  std::string_view value() const override { return it_->value(); }

 private:
  std::unique_ptr<Iterator> it_;
};

class JadeDbAdapter : public Adapter {
 public:
  explicit JadeDbAdapter(EngineType engine) : engine_(engine) {}

  Status Open(const std::string& dir, const BenchSettings& settings) override {
    Options options;
    options.engine = engine_;
    options.create_if_missing = true;
    // The LSM engine's documented defaults suit this workload (64 MiB write buffer, 4 KiB
    // blocks, 10 bloom bits per key); the cache and the codec are set to the shared ones.
    options.lsm.block_cache_size = settings.cache_bytes;
    options.bplustree.buffer_pool_size = settings.cache_bytes;
    buffer_pool_mb_ = settings.cache_bytes >> 20;
    // Set explicitly: the engine's default codec (lz4) would otherwise differ from the peers'.
    if (settings.compression == "none") {
      options.lsm.compression = Compression::kNone;
    } else if (settings.compression == "snappy") {
      options.lsm.compression = Compression::kSnappy;
    } else if (settings.compression == "lz4") {
      options.lsm.compression = Compression::kLz4;
    } else if (settings.compression == "zstd") {
      options.lsm.compression = Compression::kZstd;
    } else {
      return Status::InvalidArgument("unknown compression", settings.compression);
    }
    if (settings.value_threshold.has_value()) {
      options.lsm.value_threshold = *settings.value_threshold;
    }
    compression_ = settings.compression;
    cache_bytes_ = settings.cache_bytes;
    value_threshold_ = options.lsm.value_threshold;
    write_buffer_ = options.lsm.write_buffer_size;
    return DB::Open(options, dir, &db_);
  }

  Status Put(std::string_view key, std::string_view value, bool sync) override {
    WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value);
  }
  Status Get(std::string_view key, std::string* value) override {
    return db_->Get(ReadOptions(), key, value);
  }
  Status Delete(std::string_view key, bool sync) override {
    WriteOptions wo;
    wo.sync = sync;
    return db_->Delete(wo, key);
  }
  Status WriteBatch(const std::vector<KeyValue>& puts, bool sync) override {
    jadedb::WriteBatch batch;
    for (const auto& [k, v] : puts) batch.Put(k, v);
    WriteOptions wo;
    wo.sync = sync;
    return db_->Write(wo, &batch);
  }
  std::unique_ptr<Cursor> NewCursor() override {
    return std::make_unique<JadeDbCursor>(db_->NewIterator(ReadOptions()));
  }
  Status Close() override {
    db_.reset();
    return Status::OK();
  }
  std::string Shape() override {
    if (engine_ != EngineType::kLsm || db_ == nullptr) return "";
    std::string files;
    for (int level = 0; level < 7; level++) {
      std::string n;
      if (!db_->GetProperty("jadedb.num-files-at-level" + std::to_string(level), &n)) break;
      files += (level == 0 ? "" : "/") + n;
    }
    return files.empty() ? "" : "files per level at start " + files;
  }

  std::string Settings() const override {
    std::string s = std::string("engine=") + EngineTypeName(engine_);
    if (engine_ == EngineType::kLsm) {
      s += " block_cache=" + std::to_string(cache_bytes_ >> 20) +
           "MiB (index+filter pinned "
           "outside it) write_buffer=" +
           std::to_string(write_buffer_ >> 20) +
           "MiB bloom=10bits block=4KiB compression=" + compression_ +
           " value_threshold=" + std::to_string(value_threshold_);
    } else {
      s += " buffer_pool=" + std::to_string(buffer_pool_mb_) +
           "MiB page=16KiB double_write=on adaptive_hash_index=on read_ahead=on compression=n/a";
    }
    return s + "; WAL on; sync=false -> WAL written (page cache), sync=true -> WAL fsync";
  }

 private:
  EngineType engine_;
  uint64_t buffer_pool_mb_ = 0;
  std::unique_ptr<DB> db_;
  std::string compression_ = "none";
  size_t cache_bytes_ = 0;
  size_t write_buffer_ = 0;
  size_t value_threshold_ = 0;
};

}  // namespace

std::unique_ptr<Adapter> NewJadeDbAdapter(const std::string& engine) {
  EngineType type = EngineType::kLsm;
  ParseEngineType(engine, &type);
  return std::make_unique<JadeDbAdapter>(type);
}

}  // namespace jadedb::bench
