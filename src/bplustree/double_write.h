// DoubleWrite: the double-write buffer, a ring of slots in doublewrite.jdb. Before a batch of
// pages is written in place, the whole batch is written to the next slot and synced; only then
// do the in-place writes start. A crash can thus tear an in-place page write, but then an
// intact copy of that page is in a slot, and Recover() puts it back. Format:
// docs/formats/bplustree-page.md ("Double-write file").
//
// The in-place writes of a batch need not be synced before the next batch: they must be
// durable only before their slot is overwritten, one trip around the ring later. So the data
// files are synced once per kDoubleWriteSlots batches (and at checkpoints) instead of once per
// batch; the kernel writes many pages per fsync, which a random-write device does at a lower
// cost per page. WriteBatch calls `sync_in_place` itself before it reuses a slot whose batch
// may not be durable in place; a caller that synced the data files itself says so with
// InPlaceSynced / InPlaceSyncedThrough, which spares that call.
//
// A copy leaves out its longest run of zero bytes (in a tree page, the never-used part of the
// free gap between slots and cells; whole in a fresh page): the slot stores only the bytes
// around it, so the ring's writes shrink by the pages' unused space. Recovery puts the zeros
// back and verifies the page. The pages themselves are written as they are: WAL redo relies
// on the file holding exactly the bytes the pool had.
//
// Thread safety: calls are serialized by the caller (the buffer pool's flush mutex).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bplustree/page.h"
#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class PageFile;

inline constexpr uint32_t kDoubleWriteMagic = 0x5757444a;  // "JDWW"
inline constexpr uint32_t kDoubleWriteVersion = 2;
// Pages per batch (one slot); a flush of more pages is split into batches.
inline constexpr size_t kDoubleWriteBatchPages = 256;
// Slots in the ring: the data files are synced once per this many batches.
inline constexpr size_t kDoubleWriteSlots = 8;
// Bytes of a slot's header block, ahead of its pages (keeps the copies 4 KiB-aligned).
inline constexpr size_t kDoubleWriteHeaderBytes = 4096;

class DoubleWrite {
 public:
  // sync_in_place makes every in-place write issued so far durable (the data files' fsync).
  DoubleWrite(Env* env, std::string dir, uint32_t page_size, std::function<Status()> sync_in_place);

  // Writes sealed pages (id, bytes) to the next slot and syncs doublewrite.jdb (and, the first
  // time, its directory entry). At most kDoubleWriteBatchPages pages. The caller writes them in
  // place after this returns OK, before its next WriteBatch or InPlaceSynced call.
  Status WriteBatch(const std::vector<std::pair<PageId, const char*>>& pages);

  // The data files were synced after the in-place writes of every batch so far.
  void InPlaceSynced() { synced_through_ = batches_; }
  // ... of the first `batches` batches (a sync that ran while later batches were written).
  void InPlaceSyncedThrough(uint64_t batches) {
    if (batches > synced_through_) synced_through_ = batches;
  }
  // Batches written so far.
  uint64_t batches() const { return batches_; }

  // Whether the next WriteBatch will call sync_in_place first.
  bool NextSlotNeedsInPlaceSync() const { return slot_batch_[next_slot_] > synced_through_; }

  // For each page with a valid copy in doublewrite.jdb whose in-place page fails verification
  // (torn or corrupt), writes back its newest copy (highest page LSN) and syncs. An in-place
  // page that verifies is never overwritten. *repaired counts restored pages. Reads files of
  // version 1 (one batch at offset 0) too.
  Status Recover(PageFile* file, uint64_t* repaired);

  std::string path() const { return dir_ + "/doublewrite.jdb"; }
  uint64_t slot_bytes() const {
    return kDoubleWriteHeaderBytes + kDoubleWriteBatchPages * uint64_t{page_size_};
  }
  // Calls of sync_in_place made by WriteBatch (one per trip around the ring at most).
  uint64_t in_place_syncs() const { return in_place_syncs_; }

 private:
  Env* const env_;
  const std::string dir_;
  const uint32_t page_size_;
  const std::function<Status()> sync_in_place_;
  std::string buf_;
  std::unique_ptr<RandomRWFile> file_;  // doublewrite.jdb, opened by the first batch
  bool name_durable_ = false;  // SyncDir done since this object created or rewrote the file
  size_t next_slot_ = 0;
  uint64_t batches_ = 0;         // batches written by this object
  uint64_t synced_through_ = 0;  // batches whose in-place writes are known durable
  // Which batch (1-based; 0 = none of ours) each slot holds.
  std::array<uint64_t, kDoubleWriteSlots> slot_batch_{};
  uint64_t in_place_syncs_ = 0;
};

}  // namespace jadedb::bplustree
