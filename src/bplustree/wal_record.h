// WalRecord: the records of the B+tree WAL (docs/formats/bplustree-wal.md) and their
// encoding, plus the page diff that turns a before/after image (or a page's change log) into
// byte ranges.
//
// A mini-transaction logs one kPage record per modified page (physical byte ranges with the
// after-bytes for redo and the before-bytes for undo), kSetRoot / kAllocState for meta
// changes, then kCommit. Checkpoints log kCheckpoint (dirty page table, meta state). Recovery
// logs kAbort for a mini-transaction it rolled back.
//
// Thread safety: plain values and functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bplustree/page.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

enum class WalRecordType : uint8_t {
  kPage = 1,
  kCommit = 2,
  kSetRoot = 3,
  kAllocState = 4,
  kCheckpoint = 5,
  kAbort = 6,
  kAllocPage = 7,  // a page was handed to mini-txn owner_txn (logged by the allocating mtr)
};

struct ByteRange {
  uint32_t offset = 0;
  std::string after;
  std::string before;  // same length as after
};

struct WalRecord {
  WalRecordType type = WalRecordType::kCommit;
  Lsn lsn = kInvalidLsn;  // assigned by Wal::Append
  uint64_t txn_id = 0;
  // kPage
  PageId page_id = kInvalidPageId;
  std::vector<ByteRange> ranges;
  // kSetRoot
  PageId root = kInvalidPageId;
  // kAllocState
  PageId free_head = kInvalidPageId;
  uint64_t page_count = 0;
  uint64_t free_count = 0;
  // kAllocPage: page_id above is the allocated page.
  uint64_t owner_txn = 0;
  // kCheckpoint (root/free_head/page_count above hold the committed meta state)
  Lsn redo_start = kInvalidLsn;
  std::vector<std::pair<PageId, Lsn>> dirty_pages;
};

// Body encoding (everything after the record frame's type/lsn/txn fields).
void EncodeWalRecordBody(const WalRecord& record, std::string* out);
Status DecodeWalRecordBody(std::string_view body, WalRecord* record);

// Appends to *ranges the byte ranges where before and after (n bytes) differ; ranges closer
// than a few bytes are merged (a range header costs more than the gap).
void DiffPage(const char* before, const char* after, size_t n, std::vector<ByteRange>* ranges);
// Appends to *ranges the byte ranges where the page of log differs from its before-image,
// from the ranges its writers reported (not whole-page mode): exactly what DiffPage would
// produce against the before-image when every changed byte was reported, at the cost of the
// reported bytes rather than the page size. Bytes outside the reported ranges are taken as
// unchanged.
void ChangedRanges(const PageChangeLog& log, std::vector<ByteRange>* ranges);
// Applies after-bytes (redo) or before-bytes (undo) to page. Corruption if a range does not
// fit the page.
Status ApplyRanges(const std::vector<ByteRange>& ranges, bool redo, char* page, size_t n);

}  // namespace jadedb::bplustree
