#include "bplustree/bplustree_db.h"

#include <cstdio>
#include <vector>

#include "bplustree/adaptive_hash_index.h"
#include "bplustree/iterator.h"
#include "bplustree/page_file.h"
#include "bplustree/prefetcher.h"
#include "bplustree/snapshot_iterator.h"
#include "bplustree/storage_engine.h"
#include "bplustree/tree.h"
#include "jadedb/env.h"

namespace jadedb::bplustree {

namespace {

// The DB facade already holds <path>/LOCK when an engine opens, and StorageEngine takes the
// same lock for itself (it can also be opened alone, by tools and tests). This Env forwards
// everything to the real one except that lock, which it grants without locking again.
class SharedLockEnv final : public EnvWrapper {
 public:
  SharedLockEnv(Env* base, std::string lock_path)
      : EnvWrapper(base), lock_path_(std::move(lock_path)) {}
  Status LockFile(const std::string& p, std::unique_ptr<FileLock>* lock) override {
    if (p == lock_path_) {
      struct Held final : FileLock {};
      *lock = std::make_unique<Held>();
      return Status::OK();
    }
    return EnvWrapper::LockFile(p, lock);
  }
  // Transparent for mapped page files: the base Env decides (EnvWrapper itself does not
  // forward, so that wrappers which watch every read never hand out a map).
  Status NewRandomRWFileMaybeMapped(const std::string& path, uint64_t map_bytes,
                                    std::unique_ptr<RandomRWFile>* result) override {
    return target()->NewRandomRWFileMaybeMapped(path, map_bytes, result);
  }

 private:
  const std::string lock_path_;
};

// Collects the keys a batch changes.
class KeyCollector final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view) override { keys.emplace(key); }
  void Delete(std::string_view key) override { keys.emplace(key); }
  std::set<std::string> keys;
};

// Applies a batch's records to the tree within one mini-txn; stops at the first error.
class BatchApplier final : public WriteBatch::Handler {
 public:
  BatchApplier(Tree* tree, MiniTxn* mtr) : tree_(tree), mtr_(mtr) {}
  void Put(std::string_view key, std::string_view value) override {
    if (status.ok()) status = tree_->Put(mtr_, key, value);
  }
  void Delete(std::string_view key) override {
    if (status.ok()) status = tree_->Delete(mtr_, key);
  }
  Status status;

 private:
  Tree* const tree_;
  MiniTxn* const mtr_;
};

}  // namespace

Status ValidateBPlusTreeOptions(const Options& options) {
  const jadedb::BPlusTreeOptions& o = options.bplustree;
  const bool power_of_two = o.page_size != 0 && (o.page_size & (o.page_size - 1)) == 0;
  if (!power_of_two || o.page_size < (4u << 10) || o.page_size > (64u << 10)) {
    return Status::InvalidArgument("bplustree.page_size must be a power of two in [4096, 65536]",
                                   std::to_string(o.page_size));
  }
  if (o.segment_file_bytes < 16ull * o.page_size || o.segment_file_bytes % o.page_size != 0) {
    return Status::InvalidArgument(
        "bplustree.segment_file_bytes must be a multiple of page_size and at least 16 pages",
        std::to_string(o.segment_file_bytes));
  }
  if (o.buffer_pool_partitions == 0 || o.buffer_pool_partitions > 1024) {
    return Status::InvalidArgument("bplustree.buffer_pool_partitions must be in [1, 1024]",
                                   std::to_string(o.buffer_pool_partitions));
  }
  // Each partition needs room for the pages one operation pins at once (a root-to-leaf path
  // plus a split's siblings), so the pool is never too small to make progress.
  const uint64_t min_pool = 64ull * o.page_size;
  if (o.buffer_pool_size < min_pool) {
    return Status::InvalidArgument("bplustree.buffer_pool_size must be at least 64 pages",
                                   std::to_string(o.buffer_pool_size));
  }
  return Status::OK();
}

bool IsBPlusTreeFileName(std::string_view name) {
  unsigned long long n;
  char tail[8];
  std::string s(name);
  if (name == "doublewrite.jdb") return true;
  if (name.size() == 15 && std::sscanf(s.c_str(), "data-%6llu.%3s", &n, tail) == 2 &&
      std::string_view(tail) == "jdb") {
    return true;
  }
  return name.size() == 14 && std::sscanf(s.c_str(), "wal-%6llu.%3s", &n, tail) == 2 &&
         std::string_view(tail) == "log";
}

Status OpenBPlusTreeDB(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  std::unique_ptr<BPlusTreeDB> impl(new BPlusTreeDB());
  Env* base = options.env != nullptr ? options.env : Env::Default();
  impl->env_ = std::make_unique<SharedLockEnv>(base, path + "/LOCK");
  const jadedb::BPlusTreeOptions& po = options.bplustree;
  BPlusTreeOptions bo;
  bo.env = impl->env_.get();
  bo.info_log = options.info_log.get();
  bo.page_size = po.page_size;
  bo.segment_file_bytes = po.segment_file_bytes;
  bo.buffer_pool_bytes = po.buffer_pool_size;
  bo.buffer_pool_partitions = po.buffer_pool_partitions;
  bo.checkpoint_interval_ms = po.checkpoint_interval_ms;
  bo.checkpoint_wal_bytes = po.checkpoint_wal_bytes;
  bo.double_write = po.double_write;
  bo.allow_mmap_reads = po.allow_mmap_reads;
  Status s = StorageEngine::Open(bo, path, &impl->storage_);
  if (!s.ok()) return s;
  impl->ahi_ = std::make_unique<AdaptiveHashIndex>();
  impl->ahi_->SetEnabled(po.adaptive_hash_index);
  BufferPool* pool = impl->storage_->buffer_pool();
  impl->prefetcher_ = std::make_unique<Prefetcher>([pool](PageId id) { pool->Prefetch(id); });
  impl->prefetcher_->SetEnabled(po.read_ahead);
  impl->tree_ =
      std::make_unique<Tree>(impl->storage_.get(), impl->ahi_.get(), impl->prefetcher_.get());
  s = impl->tree_->Init();
  if (!s.ok()) return s;
  if (options.paranoid_checks) {
    std::string report;
    s = impl->tree_->Check(&report);
    if (!s.ok()) return s;
  }
  *db = std::move(impl);
  return Status::OK();
}

BPlusTreeDB::~BPlusTreeDB() {
  tree_.reset();
  if (storage_ != nullptr) storage_->Close();
}

Status BPlusTreeDB::Put(const WriteOptions& options, std::string_view key, std::string_view value) {
  WriteBatch batch;
  batch.Put(key, value);
  return Write(options, &batch);
}

Status BPlusTreeDB::Delete(const WriteOptions& options, std::string_view key) {
  WriteBatch batch;
  batch.Delete(key);
  return Write(options, &batch);
}

Status BPlusTreeDB::Write(const WriteOptions& options, WriteBatch* updates) {
  if (updates == nullptr) return Status::InvalidArgument("null WriteBatch");
  {
    std::lock_guard<std::mutex> l(write_mu_);
    // Read-only after a failed write that cannot be taken back (see StorageEngine).
    Status error = storage_->background_error();
    if (!error.ok()) return error;
    if (!live_iterators_.empty()) {
      Status s = RecordUndo(*updates);
      if (!s.ok()) return s;
    }
    MiniTxn mtr = storage_->Begin();
    BatchApplier applier(tree_.get(), &mtr);
    Status s = updates->Iterate(&applier);
    if (s.ok()) s = applier.status;
    if (!s.ok()) {
      mtr.Abort();
      return s;
    }
    // Commit without waiting for the fsync under the write mutex, so that concurrent sync
    // writers share one WAL sync below (group commit).
    s = mtr.Commit(/*sync=*/false);
    if (!s.ok()) {
      // The log refused the commit (it is rolled back): the WAL's contents past the last good
      // record are unknown, so no later write may be appended to it.
      storage_->RecordBackgroundError(s);
      return s;
    }
  }
  if (!options.sync) return Status::OK();
  Status s = storage_->SyncWal();
  // After a failed fsync the kernel may have dropped the log's dirty pages: stop writing, and
  // stop reading too, since the commit's pages were unlatched before the fsync and readers
  // could see changes recovery may not find (StorageEngine::read_error).
  storage_->RecordWalSyncError(s);
  return s;
}

Status BPlusTreeDB::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  if (options.snapshot != nullptr) {
    return Status::NotSupported(
        "snapshots on the bplustree engine arrive with the transaction layer");
  }
  // After a failed WAL fsync, what was read might not survive (see read_error).
  Status error = storage_->read_error();
  if (!error.ok()) return error;
  return tree_->Get(key, value);
}

Status BPlusTreeDB::RecordUndo(const WriteBatch& updates) {
  KeyCollector keys;
  Status s = updates.Iterate(&keys);
  if (!s.ok()) return s;
  for (const std::string& k : keys.keys) {
    std::string v;
    s = tree_->Get(k, &v);
    if (!s.ok() && !s.IsNotFound()) return s;
    std::optional<std::string> old;
    if (s.ok()) old = std::move(v);
    for (UndoOverlay* o : live_iterators_) o->Record(k, old);
  }
  return Status::OK();
}

std::unique_ptr<Iterator> BPlusTreeDB::NewIterator(const ReadOptions& options) {
  // After a failed WAL fsync the iterator reports the error (SnapshotIterator).
  auto overlay = std::make_shared<UndoOverlay>();
  {
    std::lock_guard<std::mutex> l(write_mu_);
    live_iterators_.insert(overlay.get());
  }
  UndoOverlay* raw = overlay.get();
  return std::make_unique<SnapshotIterator>(
      tree_.get(), options, std::move(overlay),
      [this, raw] {
        std::lock_guard<std::mutex> l(write_mu_);
        live_iterators_.erase(raw);
      },
      storage_.get());
}

Status BPlusTreeDB::GetSnapshot(const Snapshot** snapshot) {
  *snapshot = nullptr;
  return Status::NotSupported(
      "snapshots on the bplustree engine arrive with the transaction layer");
}

void BPlusTreeDB::ReleaseSnapshot(const Snapshot*) {}

std::string BPlusTreeDB::StatsText() {
  std::string out;
  storage_->GetProperty("bplustree.stats", &out);
  AhiStats a = ahi_->GetStats();
  auto add = [&](const std::string& name, const std::string& v) {
    out += "bplustree." + name + ": " + v + "\n";
  };
  add("tree-height", std::to_string(tree_->Height()));
  add("tree.splits", std::to_string(tree_->splits()));
  add("tree.merges", std::to_string(tree_->merges()));
  add("tree.leaf-borrows", std::to_string(tree_->leaf_borrows()));
  add("tree.internal-borrows", std::to_string(tree_->internal_borrows()));
  add("tree.restarts", std::to_string(tree_->restarts()));
  add("mapped.reads", std::to_string(tree_->mapped_reads()));
  add("mapped.verifies", std::to_string(tree_->mapped_verifies()));
  add("mapped.fallbacks", std::to_string(tree_->mapped_fallbacks()));
  add("ahi.enabled", ahi_->enabled() ? "1" : "0");
  add("ahi.hits", std::to_string(a.hits));
  add("ahi.misses", std::to_string(a.misses));
  add("ahi.invalidations", std::to_string(a.invalidations));
  add("ahi.entries", std::to_string(a.entries));
  add("ahi.sampling", a.sampling ? "1" : "0");
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%.4f", ahi_->HitRate());
  add("ahi.hit-rate", rate);
  add("prefetch.requests", std::to_string(prefetcher_->requests()));
  add("prefetch.sequential-runs", std::to_string(prefetcher_->sequential_runs()));
  return out;
}

bool BPlusTreeDB::GetProperty(std::string_view name, std::string* value) {
  if (name == "jadedb.stats") {
    *value = StatsText();
    return true;
  }
  if (name == "jadedb.background-error") {
    // As the LSM engine: "OK", or the Status that put the DB in its read-only error state.
    *value = storage_->background_error().ToString();
    return true;
  }
  constexpr std::string_view kPrefix = "jadedb.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string inner(name.substr(kPrefix.size()));  // "bplustree.<name>"
  std::string text = StatsText();
  // Find "<inner>: <value>\n" in the stats text.
  std::string needle = inner + ": ";
  size_t p = 0;
  while ((p = text.find(needle, p)) != std::string::npos) {
    if (p == 0 || text[p - 1] == '\n') {
      size_t end = text.find('\n', p);
      *value = text.substr(p + needle.size(), end - p - needle.size());
      return true;
    }
    p++;
  }
  return false;
}

Status BPlusTreeDB::Flush(const FlushOptions&) { return storage_->Checkpoint(); }

Status BPlusTreeDB::CompactRange(const std::string_view*, const std::string_view*) {
  return Status::OK();
}

Status BPlusTreeDB::VerifyChecksums(std::string* report) {
  Status s = storage_->Checkpoint();
  if (!s.ok()) return s;
  PageFile* pf = storage_->page_file();
  const uint64_t pages = storage_->PageCount();
  std::vector<char> buf(storage_->page_size());
  uint64_t verified = 0, unwritten = 0;
  for (PageId id = 0; id < pages; id++) {
    s = pf->ReadPage(id, buf.data());
    if (s.IsNotFound()) {
      unwritten++;
      continue;
    }
    if (!s.ok()) return s;
    verified++;
  }
  if (report != nullptr) {
    *report += storage_->dir() + ": " + std::to_string(verified) + " pages verified, " +
               std::to_string(unwritten) + " never written, page size " +
               std::to_string(storage_->page_size()) + "\n";
  }
  std::lock_guard<std::mutex> l(write_mu_);  // Check must not race with writers
  return tree_->Check(report);
}

}  // namespace jadedb::bplustree
