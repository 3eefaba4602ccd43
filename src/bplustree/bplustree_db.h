// Entry points of the B+tree engine for the engine registry (src/engine), and BPlusTreeDB, the
// engine's implementation of the public jadedb::DB interface on top of Tree and the storage
// layer (StorageEngine). Everything else of the engine is private to src/bplustree.
//
// Thread safety: BPlusTreeDB is thread-safe. Get takes page latches only (no DB-wide lock);
// creating an iterator waits for the batch being applied, if any, so that it sees the state
// between two batches (kept by SnapshotIterator's undo overlay). Writers are serialized by one
// write mutex, each Put/Delete/Write being one mini-transaction (a WriteBatch is atomic across
// every page it touches); with sync the commit waits for the WAL outside the mutex, so concurrent
// sync writers share fsyncs.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "jadedb/db.h"

namespace jadedb {
class Env;
}

namespace jadedb::bplustree {

class AdaptiveHashIndex;
class Prefetcher;
class StorageEngine;
class Tree;
struct UndoOverlay;

// Checks the options the B+tree engine uses before anything on disk is touched.
Status ValidateBPlusTreeOptions(const Options& options);

// Opens or creates the B+tree engine's files in path, which exists and is locked by the caller.
Status OpenBPlusTreeDB(const Options& options, const std::string& path, std::unique_ptr<DB>* db);

// True for names of files the B+tree engine creates: data-NNNNNN.jdb, wal-NNNNNN.log,
// doublewrite.jdb.
bool IsBPlusTreeFileName(std::string_view name);

class BPlusTreeDB final : public DB {
 public:
  ~BPlusTreeDB() override;

  Status Put(const WriteOptions& options, std::string_view key, std::string_view value) override;
  Status Delete(const WriteOptions& options, std::string_view key) override;
  Status Write(const WriteOptions& options, WriteBatch* updates) override;
  Status Get(const ReadOptions& options, std::string_view key, std::string* value) override;
  std::unique_ptr<Iterator> NewIterator(const ReadOptions& options) override;
  // NotSupported: snapshots on this engine arrive with the transaction layer.
  Status GetSnapshot(const Snapshot** snapshot) override;
  void ReleaseSnapshot(const Snapshot* snapshot) override;
  // "jadedb.stats" (buffer pool, WAL, tree, adaptive hash index, read-ahead counters, one per
  // line) and "jadedb.bplustree.<name>" for each of them (e.g. jadedb.bplustree.tree-height,
  // jadedb.bplustree.buffer-pool.hits, jadedb.bplustree.ahi.hit-rate).
  bool GetProperty(std::string_view name, std::string* value) override;
  // Runs a checkpoint: every dirty page written, WAL segments before it deleted.
  Status Flush(const FlushOptions& options) override;
  // A no-op returning OK: a B+tree has nothing to merge, and pages freed by deletes are
  // already reused through the free list (defragmentation is future work).
  Status CompactRange(const std::string_view* begin, const std::string_view* end) override;
  // Checkpoints, reads every page of the data files from disk verifying its checksum, then
  // walks the tree (Tree::Check).
  Status VerifyChecksums(std::string* report) override;
  EngineType engine() const override { return EngineType::kBPlusTree; }

  // Internals for tests and tools.
  Tree* tree() const { return tree_.get(); }
  StorageEngine* storage() const { return storage_.get(); }
  AdaptiveHashIndex* ahi() const { return ahi_.get(); }
  Prefetcher* prefetcher() const { return prefetcher_.get(); }

 private:
  friend Status OpenBPlusTreeDB(const Options&, const std::string&, std::unique_ptr<DB>*);
  BPlusTreeDB() = default;
  std::string StatsText();
  // Records the pre-batch state of every key in updates in each live iterator's overlay.
  // Requires write_mu_.
  Status RecordUndo(const WriteBatch& updates);

  std::unique_ptr<Env> env_;  // shares the facade's directory lock (see bplustree_db.cc)
  std::unique_ptr<StorageEngine> storage_;
  std::unique_ptr<AdaptiveHashIndex> ahi_;
  std::unique_ptr<Prefetcher> prefetcher_;
  std::unique_ptr<Tree> tree_;
  // Serializes writers; iterators register under it, so each sees a state between batches.
  std::mutex write_mu_;
  std::set<UndoOverlay*> live_iterators_;  // guarded by write_mu_
};

}  // namespace jadedb::bplustree
