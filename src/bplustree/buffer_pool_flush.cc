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
    {
      Partition& p = *impl_->parts[f->partition.load(std::memory_order_relaxed)];
      std::lock_guard<std::mutex> l(p.mu);
      dirty = f->dirty && f->mapped;
      id = f->page_id;
      if (dirty) f->modified_during_flush = false;
    }
    if (dirty) {
      const Lsn lsn = PageView(f->data, page_size_).lsn();
      copies.push_back({f, id, lsn, buf.size()});
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
      std::vector<std::pair<PageId, const char*>> batch;
      for (size_t j = i; j < end; j++)
        batch.emplace_back(copies[j].id, buf.data() + copies[j].offset);
      s = double_write_->WriteBatch(batch);
    }
    for (size_t j = i; s.ok() && j < end; j++) {
      if (impl_->before_write_hook) impl_->before_write_hook(copies[j].id, copies[j].lsn);
      s = page_file_->WritePage(copies[j].id, buf.data() + copies[j].offset);
    }
    // Synced before the next batch reuses the double-write file.
    if (s.ok()) s = page_file_->Sync();
  }
  if (!s.ok()) {
    impl_->flush_error = s;
    impl_->flush_failed.store(true, std::memory_order_relaxed);
    if (impl_->flush_error_handler) impl_->flush_error_handler(s);
    return s;
  }
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
  constexpr size_t kChunk = 64;
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

Status BufferPool::FlushAll() { return FlushDirty(UINT64_MAX, SIZE_MAX); }

void BufferPool::RequestLruFlush() {
  // Only the first request until the flusher takes it notifies (a miss is a hot path).
  if (!impl_->lru_flush_wanted.exchange(true, std::memory_order_relaxed)) {
    impl_->flush_cv.notify_one();
  }
}

Status BufferPool::FlushLruTails() {
  for (auto& part : impl_->parts) {
    std::vector<Frame*> batch;
    {
      std::lock_guard<std::mutex> l(part->mu);
      size_t scanned = 0;
      for (FrameList* list : {&part->old, &part->young}) {
        for (Frame* c = list->tail;
             c && scanned < kLruFlushScan && batch.size() < kDoubleWriteBatchPages;
             c = c->prev, scanned++) {
          if (c->dirty && c->pins.load(std::memory_order_relaxed) == 0) {
            c->pins.fetch_add(1, std::memory_order_relaxed);
            batch.push_back(c);
          }
        }
      }
    }
    if (batch.empty()) continue;
    Status s = FlushFrames(batch);
    for (Frame* f : batch) Unpin(f);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

void BufferPool::StartBackground() {
  std::lock_guard<std::mutex> l(impl_->bg_mu);
  impl_->stop = false;
  if (options_.flusher_interval_ms > 0 && !impl_->flusher.joinable()) {
    impl_->flusher = std::thread([this] {
      const auto interval = std::chrono::milliseconds(options_.flusher_interval_ms);
      auto next_periodic = std::chrono::steady_clock::now() + interval;
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
        if (s.ok() && periodic) FlushDirty(UINT64_MAX, 1024);
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
