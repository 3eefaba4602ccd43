// PageFile: the B+tree's pages on disk. Page p lives in segment file data-NNNNNN.jdb number
// p / pages_per_segment at offset (p % pages_per_segment) * page_size, so no file grows
// beyond segment_file_bytes. Pages 0 and 1 are the two alternating meta pages: each meta
// write goes to the copy the previous write did not use and carries a higher sequence, so a
// torn meta write always leaves the other copy valid. Formats: docs/formats/bplustree-page.md.
//
// All file I/O goes through the Env (Env::NewRandomRWFile), so test Envs can fail it and
// simulate power loss. A segment file created by a write is made durable in the directory
// (SyncDir) by the next Sync, before any page in it counts as durable.
//
// Thread safety: all methods are thread-safe (segment files are opened under a mutex; reads
// and writes of distinct pages proceed in parallel).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "bplustree/page.h"
#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

inline constexpr uint32_t kMetaFormatVersion = 1;

// The meta page's payload (see docs/formats/bplustree-page.md, "Meta page").
struct MetaPage {
  uint32_t page_size = kDefaultPageSize;
  uint32_t format_version = kMetaFormatVersion;
  uint64_t segment_file_bytes = 64ull << 20;
  uint64_t sequence = 0;  // incremented by every meta write; the higher valid copy wins
  PageId root = kInvalidPageId;
  PageId free_head = kInvalidPageId;
  uint64_t page_count = kFirstDataPageId;
  Lsn checkpoint_lsn = kInvalidLsn;  // LSN of the last checkpoint record
  Lsn redo_start = kInvalidLsn;      // recovery reads the WAL from here
  uint64_t next_mtr_id = 0;
  uint64_t free_count = 0;  // pages on the free list (informational)
};

class PageFile {
 public:
  static std::string SegmentName(uint64_t segment);  // "data-000003.jdb"

  // Opens (creating when absent) the data files of dir.
  PageFile(Env* env, std::string dir, uint32_t page_size, uint64_t segment_file_bytes);
  PageFile(const PageFile&) = delete;
  PageFile& operator=(const PageFile&) = delete;

  uint32_t page_size() const { return page_size_; }
  uint64_t pages_per_segment() const { return pages_per_segment_; }
  // "data-000000.jdb" path and offset of a page (for messages).
  std::string PagePath(PageId id) const;
  uint64_t PageOffset(PageId id) const { return (id % pages_per_segment_) * page_size_; }

  // Reads page id into buf (page_size bytes) and verifies it (Corruption naming the file,
  // offset and page id). NotFound when the page was never written (past the end of its
  // file or all zeros).
  Status ReadPage(PageId id, char* buf) const;
  // Reads without verifying; *exists is false when past the end of the file (buf zeroed).
  Status ReadPageRaw(PageId id, char* buf, bool* exists) const;
  // Writes a sealed page (SealPage) in place. Not durable until Sync.
  Status WritePage(PageId id, const char* buf);
  // Syncs every segment file written since the last Sync.
  Status Sync();

  // Finds the newest valid meta page. NotFound when the store has none (new directory);
  // Corruption when files exist but neither copy is valid.
  static Status ReadMeta(Env* env, const std::string& dir, MetaPage* meta);
  // Writes meta (its sequence must be one more than the last) to copy sequence % 2 and
  // syncs it.
  Status WriteMeta(const MetaPage& meta);

 private:
  Status GetFile(uint64_t segment, RandomRWFile** file) const;

  Env* const env_;
  const std::string dir_;
  const uint32_t page_size_;
  const uint64_t pages_per_segment_;
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<RandomRWFile>> files_;
  // Lock-free copy of files_ for the first kFastSegments segments (256 GiB of 64 MiB
  // segments), so a buffer-pool miss does not take mu_: a file, once open, stays open (and at
  // the same address) until the PageFile is destroyed. Published after files_ holds it.
  static constexpr size_t kFastSegments = 4096;
  mutable std::unique_ptr<std::atomic<RandomRWFile*>[]> fast_files_;
  std::set<uint64_t> unsynced_;
  // A segment file was created since the last successful directory sync.
  mutable bool dir_unsynced_ = false;  // guarded by mu_ (set by GetFile, which is const)
};

// Meta page encoding (exposed for tests).
void EncodeMetaPage(const MetaPage& meta, PageId copy, char* page);
Status DecodeMetaPage(const char* page, size_t page_size, PageId copy, MetaPage* meta);

}  // namespace jadedb::bplustree
