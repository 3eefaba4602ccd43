#include "bplustree/recovery.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "bplustree/double_write.h"
#include "bplustree/storage_engine.h"
#include "bplustree/wal.h"
#include "bplustree/wal_record.h"

namespace jadedb::bplustree {
namespace {

// The pages recovery touched, kept in memory until they are written back.
class PageCache {
 public:
  PageCache(PageFile* file) : file_(file), n_(file->page_size()) {}

  Status Get(PageId id, char** page) {
    auto it = pages_.find(id);
    if (it != pages_.end()) {
      *page = it->second.data();
      return Status::OK();
    }
    std::string buf(n_, '\0');
    bool exists;
    Status s = file_->ReadPageRaw(id, buf.data(), &exists);
    if (!s.ok()) return s;
    if (exists && !IsZeroPage(buf.data(), n_)) {
      s = VerifyPage(buf.data(), n_, id, file_->PagePath(id), file_->PageOffset(id));
      if (!s.ok()) return s;
    } else {
      std::memset(buf.data(), 0, n_);  // never written: redo rebuilds it from its first change
    }
    auto& slot = pages_[id];
    slot = std::move(buf);
    *page = slot.data();
    return Status::OK();
  }

  void MarkDirty(PageId id) { dirty_.insert(id); }

  Status WriteBack(DoubleWrite* dw) {
    std::vector<PageId> ids(dirty_.begin(), dirty_.end());
    for (size_t i = 0; i < ids.size(); i += kDoubleWriteBatchPages) {
      const size_t end = std::min(ids.size(), i + kDoubleWriteBatchPages);
      std::vector<std::pair<PageId, const char*>> batch;
      for (size_t j = i; j < end; j++) {
        char* p = pages_[ids[j]].data();
        SealPage(p, n_);
        batch.emplace_back(ids[j], p);
      }
      Status s;
      if (dw != nullptr) s = dw->WriteBatch(batch);
      for (size_t j = 0; s.ok() && j < batch.size(); j++) {
        s = file_->WritePage(batch[j].first, batch[j].second);
      }
      if (s.ok()) s = file_->Sync();
      if (!s.ok()) return s;
      if (dw != nullptr) dw->InPlaceSynced();
    }
    return Status::OK();
  }

 private:
  PageFile* const file_;
  const size_t n_;
  std::unordered_map<PageId, std::string> pages_;
  std::set<PageId> dirty_;
};

}  // namespace

Status RunRecovery(Env* env, const std::string& dir, const MetaPage& meta, PageFile* file,
                   DoubleWrite* double_write, RecoveryResult* result, RecoveryStats* stats) {
  const size_t n = file->page_size();
  // 0. Torn pages back from the double-write buffer.
  if (double_write != nullptr) {
    uint64_t repaired = 0;
    Status s = double_write->Recover(file, &repaired);
    if (!s.ok()) return s;
    stats->pages_repaired = repaired;
  }

  // 1. Analysis.
  const Lsn from = std::max<Lsn>(1, meta.redo_start);
  std::vector<WalRecord> log;
  std::unordered_map<uint64_t, Lsn> committed;  // txn -> commit LSN
  std::set<uint64_t> finished;                  // committed or aborted
  uint64_t max_txn = 0;
  Status s = Wal::ReadLog(
      env, dir, from,
      [&](const WalRecord& r) {
        max_txn = std::max(max_txn, r.txn_id);
        if (r.type == WalRecordType::kCommit) {
          committed[r.txn_id] = r.lsn;
          finished.insert(r.txn_id);
        } else if (r.type == WalRecordType::kAbort) {
          finished.insert(r.txn_id);
        }
        if (r.type != WalRecordType::kCommit && r.type != WalRecordType::kAbort) {
          log.push_back(r);
        }
        return Status::OK();
      },
      &result->end_lsn, &result->last_segment, &result->segments);
  if (!s.ok()) return s;
  stats->redo_start = from;
  stats->end_lsn = result->end_lsn;
  result->max_txn_id = max_txn;
  result->root = meta.root;
  result->free_head = meta.free_head;
  result->page_count = meta.page_count;
  result->free_count = meta.free_count;

  // 2. Redo the winners, in log order.
  PageCache cache(file);
  // Allocated pages not yet written by a winner. An allocation's owner writes the page in its
  // own commit, and a freed page is rewritten (as a free page) by the freeing mtr, so every
  // allocation the log shows being claimed or given back leaves this set again.
  std::set<PageId> unclaimed;
  for (const WalRecord& r : log) {
    stats->records_scanned++;
    auto c = committed.find(r.txn_id);
    if (c == committed.end()) continue;
    const Lsn commit_lsn = c->second;
    if (r.type == WalRecordType::kPage) unclaimed.erase(r.page_id);
    switch (r.type) {
      case WalRecordType::kAllocPage:
        unclaimed.insert(r.page_id);
        break;
      case WalRecordType::kPage: {
        char* page;
        s = cache.Get(r.page_id, &page);
        if (!s.ok()) return s;
        if (PageView(page, n).lsn() >= commit_lsn) break;  // already on disk
        s = ApplyRanges(r.ranges, /*redo=*/true, page, n);
        if (!s.ok()) return s;
        PageMutator(page, n).set_lsn(commit_lsn);
        cache.MarkDirty(r.page_id);
        stats->pages_redone++;
        break;
      }
      case WalRecordType::kSetRoot:
        result->root = r.root;
        break;
      case WalRecordType::kAllocState:
        result->free_head = r.free_head;
        result->page_count = r.page_count;
        result->free_count = r.free_count;
        break;
      default:
        break;
    }
  }

  // 3. Undo the losers, newest first. Their changes can only be on a page if the WAL rule
  // was broken; roll back any we find (ranges still holding the after-bytes).
  std::set<uint64_t> losers;
  for (auto it = log.rbegin(); it != log.rend(); ++it) {
    const WalRecord& r = *it;
    if (r.type == WalRecordType::kCheckpoint || finished.count(r.txn_id)) continue;
    losers.insert(r.txn_id);
    if (r.type != WalRecordType::kPage) continue;
    char* page;
    s = cache.Get(r.page_id, &page);
    if (!s.ok()) return s;
    bool present = !r.ranges.empty();
    for (const ByteRange& br : r.ranges) {
      if (br.offset + br.after.size() > n ||
          std::memcmp(page + br.offset, br.after.data(), br.after.size()) != 0) {
        present = false;
        break;
      }
    }
    if (present) {
      s = ApplyRanges(r.ranges, /*redo=*/false, page, n);
      if (!s.ok()) return s;
      cache.MarkDirty(r.page_id);
    }
  }
  result->losers.assign(losers.begin(), losers.end());
  result->unclaimed_pages.assign(unclaimed.begin(), unclaimed.end());
  stats->txns_undone = losers.size();

  // Pages go back through the double-write buffer: a crash here is recovered by recovery.
  return cache.WriteBack(double_write);
}

}  // namespace jadedb::bplustree
