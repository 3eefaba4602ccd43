// BufferPool page writing: flush batches through the double-write file under the WAL rule,
// flushing by LSN (checkpoints, FlushAll), cleaning the LRU tails, and the background
// flusher and prefetcher threads. Fetching and eviction are in buffer_pool.cc.
#include <algorithm>
#include <chrono>

#include "bplustree/buffer_pool_internal.h"
#include "bplustree/double_write.h"
#include "bplustree/page_file.h"
#include "bplustree/wal.h"

namespace jadedb::bplustree {

Status BufferPool::FlushFrames(const std::vector<Frame*>& frames) {
  std::lock_guard<std::mutex> fl(impl_->flush_mu);
  if (!impl_->flush_error.ok()) return impl_->flush_error;
  struct Copy {
    Frame* frame;
    PageId id;
    Lsn lsn;
    Lsn rec_lsn;
    size_t offset;
  };
  std::vector<Copy> copies;
  std::string buf;
  buf.reserve(frames.size() * page_size_);
  Lsn max_lsn = 0;
  for (Frame* f : frames) {
    // A shared latch means no mini-txn is mid-change: the bytes are all committed. A page
    // held exclusively is skipped (it stays dirty): waiting here while holding flush_mu
    // could deadlock with that mini-txn evicting a page.
    if (!f->latch.try_lock_shared()) continue;
    bool dirty;
    PageId id;
    Lsn rec_lsn = kInvalidLsn;
    {
      Partition& p = *impl_->parts[f->partition.load(std::memory_order_relaxed)];
      std::lock_guard<std::mutex> l(p.mu);
      dirty = f->dirty && f->mapped;
      id = f->page_id;
      if (dirty) {
        f->modified_during_flush = false;
        rec_lsn = f->rec_lsn;
      }
    }
    if (dirty) {
      const Lsn lsn = PageView(f->data, page_size_).lsn();
      copies.push_back({f, id, lsn, rec_lsn, buf.size()});
      buf.append(f->data, page_size_);
      max_lsn = std::max(max_lsn, lsn);
    }
    f->latch.unlock_shared();
  }
  if (copies.empty()) return Status::OK();
  std::sort(copies.begin(), copies.end(), [](const Copy& a, const Copy& b) { return a.id < b.id; });
  // The WAL rule: the log is durable up to every page LSN before any page is written.
  Status s = wal_->FlushTo(max_lsn);
  for (Copy& c : copies) SealPage(buf.data() + c.offset, page_size_);
  for (size_t i = 0; s.ok() && i < copies.size(); i += kDoubleWriteBatchPages) {
    const size_t end = std::min(copies.size(), i + kDoubleWriteBatchPages);
    if (double_write_ != nullptr) {
      // Reusing a slot needs its batch durable in place: one sync per trip around the ring.
      if (double_write_->NextSlotNeedsInPlaceSync()) s = SyncInPlaceLocked();
      std::vector<std::pair<PageId, const char*>> batch;
      for (size_t j = i; j < end; j++)
        batch.emplace_back(copies[j].id, buf.data() + copies[j].offset);
      if (s.ok()) s = double_write_->WriteBatch(batch);
    }
    // These writes are not synced here (see SyncInPlace): until they are, the oldest change
    // they carry still bounds the redo start of a checkpoint. Noted before any page is marked
    // clean, so MinRecoveryLsn counts each page in the dirty lists or here.
    if (s.ok()) {
      Lsn min_rec_lsn = kInvalidLsn;
      for (size_t j = i; j < end; j++) {
        if (min_rec_lsn == kInvalidLsn || copies[j].rec_lsn < min_rec_lsn) {
          min_rec_lsn = copies[j].rec_lsn;
        }
      }
      NoteUnsyncedRound(min_rec_lsn);
    }
    for (size_t j = i; s.ok() && j < end; j++) {
      if (impl_->before_write_hook) impl_->before_write_hook(copies[j].id, copies[j].lsn);
      s = page_file_->WritePage(copies[j].id, buf.data() + copies[j].offset);
    }
  }
  if (!s.ok()) return FailFlush(s);
  impl_->flushes += copies.size();
  for (Copy& c : copies) {
    Partition& p = *impl_->parts[c.frame->partition.load(std::memory_order_relaxed)];
    std::lock_guard<std::mutex> l(p.mu);
    if (!c.frame->dirty) continue;
    p.dirty.erase({c.frame->rec_lsn, c.frame});
    if (c.frame->modified_during_flush) {
      // Changed after our copy: its unflushed changes all come after the copy's LSN.
      c.frame->rec_lsn = std::max(c.frame->rec_lsn, c.lsn + 1);
      p.dirty.insert({c.frame->rec_lsn, c.frame});
    } else {
      c.frame->dirty = false;
      // The file now has the newest version (MarkDirty sets the mark under the same mutex,
      // so a commit after the copy shows as modified_during_flush above).
      page_file_->ClearPoolNewer(c.id);
    }
  }
  return Status::OK();
}

Status BufferPool::FailFlush(const Status& s) {
  if (impl_->flush_error.ok()) {
    impl_->flush_error = s;
    impl_->flush_failed.store(true, std::memory_order_relaxed);
    if (impl_->flush_error_handler) impl_->flush_error_handler(s);
  }
  return impl_->flush_error;
}

void BufferPool::NoteUnsyncedRound(Lsn min_rec_lsn) {
  std::lock_guard<std::mutex> l(impl_->unsynced_mu);
  impl_->unsynced.emplace_back(++impl_->write_rounds, min_rec_lsn);
}

Status BufferPool::SyncInPlaceLocked() {
  if (!impl_->flush_error.ok()) return impl_->flush_error;
  const uint64_t batches = double_write_ != nullptr ? double_write_->batches() : 0;
  return FinishInPlaceSync(page_file_->Sync(), impl_->write_rounds, batches);
}

Status BufferPool::SyncInPlace() {
  uint64_t rounds, batches;
  {
    std::lock_guard<std::mutex> fl(impl_->flush_mu);
    if (!impl_->flush_error.ok()) return impl_->flush_error;
    // Rounds are written under flush_mu: every write of these is complete.
    rounds = impl_->write_rounds;
    batches = double_write_ != nullptr ? double_write_->batches() : 0;
  }
  // Without flush_mu: flushes go on while the data files sync (the device takes the ring's
  // sequential writes and these random ones at once). PageFile::Sync returns only when every
  // page written before the call is durable.
  Status s = page_file_->Sync();
  std::lock_guard<std::mutex> fl(impl_->flush_mu);
  return FinishInPlaceSync(s, rounds, batches);
}

Status BufferPool::FinishInPlaceSync(const Status& s, uint64_t rounds, uint64_t batches) {
  if (!s.ok()) return FailFlush(s);
  impl_->in_place_syncs++;
  if (double_write_ != nullptr) double_write_->InPlaceSyncedThrough(batches);
  std::lock_guard<std::mutex> l(impl_->unsynced_mu);
  while (!impl_->unsynced.empty() && impl_->unsynced.front().first <= rounds) {
    impl_->unsynced.pop_front();
  }
  return Status::OK();
}

Status BufferPool::FlushDirty(Lsn up_to, size_t max_pages) {
  // Snapshot the candidates, then pin and flush them a chunk at a time so a big flush never
  // pins more than a chunk of the pool.
  std::vector<std::pair<Frame*, PageId>> todo;
  for (auto& part : impl_->parts) {
    std::lock_guard<std::mutex> l(part->mu);
    for (const auto& [lsn, f] : part->dirty) {
      if (lsn >= up_to || todo.size() >= max_pages) break;
      todo.emplace_back(f, f->page_id);
    }
  }
  constexpr size_t kChunk = kDoubleWriteBatchPages;
  for (size_t i = 0; i < todo.size(); i += kChunk) {
    std::vector<Frame*> chunk;
    for (size_t j = i; j < std::min(todo.size(), i + kChunk); j++) {
      Frame* f = todo[j].first;
      // The snapshot is stale: the frame may have moved (borrowing) since; its owner's
      // mutex is needed to look at it.
      const uint32_t owner = f->partition.load(std::memory_order_relaxed);
      if (owner >= impl_->parts.size()) continue;  // an overflow frame back in the reserve
      Partition& p = *impl_->parts[owner];
      std::lock_guard<std::mutex> l(p.mu);
      if (f->partition.load(std::memory_order_relaxed) == owner && f->mapped &&
          f->page_id == todo[j].second && f->dirty) {
        f->pins.fetch_add(1, std::memory_order_relaxed);
        chunk.push_back(f);
      }
    }
    Status s = FlushFrames(chunk);
    for (Frame* f : chunk) Unpin(f);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status BufferPool::FlushAll() {
  Status s = FlushDirty(UINT64_MAX, SIZE_MAX);
  return s.ok() ? SyncInPlace() : s;
}

void BufferPool::RequestLruFlush() {
  // Only the first request until the flusher takes it notifies (a miss is a hot path).
  if (!impl_->lru_flush_wanted.exchange(true, std::memory_order_relaxed)) {
    impl_->flush_cv.notify_one();
  }
}

Status BufferPool::FlushLruTails() {
  // The tails of all partitions go out in full double-write batches: a batch costs one
  // sequential write and fsync of doublewrite.jdb whatever its size.
  std::vector<Frame*> batch;
  auto flush = [&] {
    Status s = FlushFrames(batch);
    for (Frame* f : batch) Unpin(f);
    batch.clear();
    return s;
  };
  for (auto& part : impl_->parts) {
    {
      std::lock_guard<std::mutex> l(part->mu);
      size_t scanned = 0, taken = 0;
      for (FrameList* list : {&part->old, &part->young}) {
        for (Frame* c = list->tail; c && scanned < kLruFlushScan && taken < kLruFlushPerPartition;
             c = c->prev, scanned++) {
          if (c->dirty && c->pins.load(std::memory_order_relaxed) == 0) {
            c->pins.fetch_add(1, std::memory_order_relaxed);
            batch.push_back(c);
            taken++;
          }
        }
      }
    }
    if (batch.size() >= kDoubleWriteBatchPages) {
      Status s = flush();
      if (!s.ok()) return s;
    }
  }
  return batch.empty() ? Status::OK() : flush();
}

void BufferPool::StartBackground() {
  std::lock_guard<std::mutex> l(impl_->bg_mu);
  impl_->stop = false;
  if (options_.flusher_interval_ms > 0 && !impl_->flusher.joinable()) {
    impl_->flusher = std::thread([this] {
      const auto interval = std::chrono::milliseconds(options_.flusher_interval_ms);
      auto next_periodic = std::chrono::steady_clock::now() + interval;
      bool lru_since_periodic = false;
      std::unique_lock<std::mutex> l(impl_->bg_mu);
      while (!impl_->stop) {
        impl_->flush_cv.wait_until(l, next_periodic, [&] {
          return impl_->stop || impl_->lru_flush_wanted.load(std::memory_order_relaxed);
        });
        if (impl_->stop) break;
        const bool lru = impl_->lru_flush_wanted.exchange(false, std::memory_order_relaxed);
        const bool periodic = std::chrono::steady_clock::now() >= next_periodic;
        if (periodic) next_periodic = std::chrono::steady_clock::now() + interval;
        // After a failure nothing is written any more (see flush_error): stop trying.
        if (impl_->flush_failed.load(std::memory_order_relaxed)) continue;
        l.unlock();
        // A failure reaches the flush error handler (the engine's error state); the pages
        // stay dirty.
        Status s;
        if (lru) s = FlushLruTails();
        lru_since_periodic |= lru;
        // The oldest dirty pages, while evictions do not write pages anyway: under a load
        // that evicts, the LRU flushing writes every page before it leaves, and this pass
        // would only write pages that are changed again meanwhile (checkpoints still move
        // the oldest ones out).
        if (s.ok() && periodic && !lru_since_periodic) FlushDirty(UINT64_MAX, 1024);
        if (periodic) lru_since_periodic = false;
        l.lock();
      }
    });
  }
  for (uint32_t i = impl_->prefetchers.size(); i < options_.prefetch_threads; i++) {
    impl_->prefetchers.emplace_back([this] {
      std::unique_lock<std::mutex> l(impl_->bg_mu);
      while (true) {
        impl_->bg_cv.wait(l, [&] { return impl_->stop || !impl_->prefetch_queue.empty(); });
        if (impl_->stop) break;
        const PageId id = impl_->prefetch_queue.front();
        impl_->prefetch_queue.pop_front();
        l.unlock();
        Frame* f;
        if (Fetch(id, false, true, OnMiss::kRead, &f).ok()) {
          impl_->prefetches++;
          ReleaseRead(f);
        }
        l.lock();
      }
    });
  }
}

void BufferPool::StopBackground() {
  {
    std::lock_guard<std::mutex> l(impl_->bg_mu);
    impl_->stop = true;
    impl_->prefetch_queue.clear();
    impl_->bg_cv.notify_all();
    impl_->flush_cv.notify_all();
  }
  if (impl_->flusher.joinable()) impl_->flusher.join();
  for (auto& t : impl_->prefetchers) t.join();
  impl_->prefetchers.clear();
}

}  // namespace jadedb::bplustree
