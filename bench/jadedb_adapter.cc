// Adapter for JadeDB itself, through the public API only (include/jadedb/db.h). Serves both
// engines: "lsm" and "bplustree" (Options::engine).
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

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

// Applies JADEDB_BENCH_LSM_OPTIONS ("name=value,name=value", sizes in bytes) to the LSM's
// compaction-shape options, so candidate shapes can be compared with one binary. Unknown names
// and malformed values are an error rather than silently ignored.
Status ApplyLsmOverrides(LsmOptions* lsm, std::string* applied) {
  const char* env = std::getenv("JADEDB_BENCH_LSM_OPTIONS");
  if (env == nullptr || *env == '\0') return Status::OK();
  std::string_view rest(env);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) return Status::InvalidArgument("bad override", item);
    std::string_view name = item.substr(0, eq);
    std::string_view digits = item.substr(eq + 1);
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || ptr != digits.data() + digits.size()) {
      return Status::InvalidArgument("bad override value", item);
    }
    if (name == "write_buffer_size") {
      lsm->write_buffer_size = v;
    } else if (name == "level0_file_num_compaction_trigger") {
      lsm->level0_file_num_compaction_trigger = static_cast<int>(v);
    } else if (name == "max_bytes_for_level_base") {
      lsm->max_bytes_for_level_base = v;
    } else if (name == "target_file_size") {
      lsm->target_file_size = v;
    } else if (name == "level_compaction_dynamic_level_bytes") {
      lsm->level_compaction_dynamic_level_bytes = v != 0;
    } else if (name == "compaction_pick_min_overlap") {
      lsm->compaction_pick_min_overlap = v != 0;
    } else if (name == "read_triggered_compaction") {
      lsm->read_triggered_compaction = v != 0;
    } else if (name == "max_background_jobs") {
      lsm->max_background_jobs = static_cast<int>(v);
    } else {
      return Status::InvalidArgument("unknown override", name);
    }
    *applied += (applied->empty() ? "" : ",") + std::string(item);
  }
  return Status::OK();
}

// The number after `label` in text (0 when absent).
double NumberAfter(const std::string& text, std::string_view label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

class JadeDbAdapter : public Adapter {
 public:
  explicit JadeDbAdapter(EngineType engine) : engine_(engine) {}

  Status Open(const std::string& dir, const BenchSettings& settings) override {
    Options options;
    options.engine = engine_;
    options.create_if_missing = true;
    // The LSM engine's documented defaults suit this workload (8 MiB write buffer, 4 KiB
    // blocks, 10 bloom bits per key); the cache and the codec are set to the shared ones.
    // JADEDB_BENCH_LSM_OPTIONS overrides the compaction shape (see ApplyLsmOverrides).
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
    if (engine_ == EngineType::kLsm) {
      Status s = ApplyLsmOverrides(&options.lsm, &overrides_);
      if (!s.ok()) return s;
    }
    compression_ = settings.compression;
    cache_bytes_ = settings.cache_bytes;
    value_threshold_ = options.lsm.value_threshold;
    write_buffer_ = options.lsm.write_buffer_size;
    shape_ = " l1=" + std::to_string(options.lsm.max_bytes_for_level_base >> 20) +
             "MiB file=" + std::to_string(options.lsm.target_file_size >> 20) + "MiB" +
             (options.lsm.level_compaction_dynamic_level_bytes ? " dynamic_levels" : "") +
             (options.lsm.compaction_pick_min_overlap ? " min_overlap" : " round_robin") +
             (options.lsm.read_triggered_compaction ? " read_compaction" : " no_read_compaction");
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
    if (db_ == nullptr) return "";
    if (engine_ == EngineType::kBPlusTree) return BPlusTreeShape();
    std::string files;
    for (int level = 0; level < 7; level++) {
      std::string n;
      if (!db_->GetProperty("jadedb.num-files-at-level" + std::to_string(level), &n)) break;
      files += (level == 0 ? "" : "/") + n;
    }
    if (files.empty()) return "";
    // Cumulative since open: compaction traffic and write stalls, so the difference between
    // two workloads' notes is what the earlier workload cost in the background.
    std::string stats;
    db_->GetProperty("jadedb.stats", &stats);
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "; so far: compaction read %.0f MiB, written %.0f MiB, stalls %.2f s",
                  NumberAfter(stats, "compaction read "), NumberAfter(stats, ", written "),
                  NumberAfter(stats, "stalls: "));
    return "files per level at start " + files + buf;
  }

  // Dirty pages when the workload starts, and how Gets have been served so far (cumulative
  // since open): the map (clean pages, no latch), the latched descent, restarts.
  std::string BPlusTreeShape() {
    std::string stats;
    db_->GetProperty("jadedb.stats", &stats);
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "dirty pages at start %.0f; so far: pool hits %.0f misses %.0f, mapped reads "
                  "%.0f verifies %.0f fallbacks %.0f, restarts %.0f",
                  NumberAfter(stats, "bplustree.buffer-pool.dirty-pages: "),
                  NumberAfter(stats, "bplustree.buffer-pool.hits: "),
                  NumberAfter(stats, "bplustree.buffer-pool.misses: "),
                  NumberAfter(stats, "bplustree.mapped.reads: "),
                  NumberAfter(stats, "bplustree.mapped.verifies: "),
                  NumberAfter(stats, "bplustree.mapped.fallbacks: "),
                  NumberAfter(stats, "bplustree.tree.restarts: "));
    return buf;
  }

  std::string Settings() const override {
    std::string s = std::string("engine=") + EngineTypeName(engine_);
    if (engine_ == EngineType::kLsm) {
      s += " block_cache=" + std::to_string(cache_bytes_ >> 20) +
           "MiB (index+filter pinned "
           "outside it) write_buffer=" +
           std::to_string(write_buffer_ >> 20) +
           "MiB bloom=10bits block=4KiB compression=" + compression_ +
           " value_threshold=" + std::to_string(value_threshold_) + shape_;
      if (!overrides_.empty()) s += " overrides=" + overrides_;
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
  std::string shape_;      // the compaction-shape options in effect
  std::string overrides_;  // JADEDB_BENCH_LSM_OPTIONS as applied
};

}  // namespace

std::unique_ptr<Adapter> NewJadeDbAdapter(const std::string& engine) {
  EngineType type = EngineType::kLsm;
  ParseEngineType(engine, &type);
  return std::make_unique<JadeDbAdapter>(type);
}

}  // namespace jadedb::bench
