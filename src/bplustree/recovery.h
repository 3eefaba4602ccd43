// Recovery: ARIES restart for the B+tree store, run by StorageEngine::Open.
//   0. Torn pages are restored from the double-write buffer.
//   1. Analysis: read the WAL from the meta page's redo start; find which mini-txns have a
//      commit record (winners) and which do not (losers), and the last LSN.
//   2. Redo: replay the winners' page records on pages whose LSN is below the record's
//      commit LSN, and their meta records (root, allocation state).
//      A page allocated for a mini-txn and never written by a winner afterwards is returned in
//      unclaimed_pages (its owner never committed).
//   3. Undo: roll back loser records whose after-bytes are on a page (defensive: the WAL rule
//      keeps them off disk), logging kAbort so a later recovery skips them.
// Recovered pages are written back (through the double-write buffer) and synced; the caller
// then writes a checkpoint. Recovery changes nothing the log cannot replay again, so a crash
// during recovery is recovered by running it again.
//
// Thread safety: single-threaded, before the store is in use.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bplustree/page.h"
#include "bplustree/page_file.h"
#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class DoubleWrite;
struct RecoveryStats;

struct RecoveryResult {
  PageId root = kInvalidPageId;
  PageId free_head = kInvalidPageId;
  uint64_t page_count = kFirstDataPageId;
  uint64_t free_count = 0;
  uint64_t max_txn_id = 0;
  Lsn end_lsn = kInvalidLsn;         // last valid LSN in the log
  uint64_t last_segment = 0;         // highest WAL segment number found
  std::map<uint64_t, Lsn> segments;  // WAL segment -> first LSN
  std::vector<uint64_t> losers;      // mini-txns rolled back (log kAbort for them)
  // Pages allocated (kAllocPage) for a mini-txn that never committed a change to them: the
  // process died between the allocation and its owner's commit, so nothing references them
  // and they are not on the free list. The caller returns them to the free list.
  std::vector<PageId> unclaimed_pages;
};

// double_write may be null.
Status RunRecovery(Env* env, const std::string& dir, const MetaPage& meta, PageFile* file,
                   DoubleWrite* double_write, RecoveryResult* result, RecoveryStats* stats);

}  // namespace jadedb::bplustree
