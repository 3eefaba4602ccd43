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
// Mapped reads: with map_reads, each segment file is also mapped read-only (when the Env
// maps it, Env::NewRandomRWFileMaybeMapped), so a reader can search a page where the OS page
// cache holds it, with no system call, no copy and no buffer-pool latch. Each page has a
// sequence word (a seqlock) with two states that forbid mapped reads:
//  - writing: WritePage makes the word odd while it writes the page and even after;
//  - pool-newer (the top bit): the buffer pool holds a committed version the file does not
//    have yet. The pool sets it when a mini-txn commits a change to the page (MarkPoolNewer,
//    before the mini-txn lets go of its latches) and clears it when a flush wrote the page and
//    nothing changed it since the flush copied it (ClearPoolNewer).
// A reader takes the word before reading the map and checks it after, and throws away what it
// read when the word changed: then the bytes it read were, at the moment of the second look,
// the page's newest committed version, whole. A page's bytes are verified (checksum,
// structure) on their first mapped read; the sequence at which they passed is kept, so a later
// write makes the next reader verify again.
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

  // Opens (creating when absent) the data files of dir; map_reads: see "Mapped reads" above.
  PageFile(Env* env, std::string dir, uint32_t page_size, uint64_t segment_file_bytes,
           bool map_reads = false);
  PageFile(const PageFile&) = delete;
  PageFile& operator=(const PageFile&) = delete;

  uint32_t page_size() const { return page_size_; }
  uint64_t pages_per_segment() const { return pages_per_segment_; }
  // "data-000000.jdb" path and offset of a page (for messages).
  std::string PagePath(PageId id) const;
  uint64_t PageOffset(PageId id) const { return (id % pages_per_segment_) * page_size_; }

  struct MappedPage;
  // Reads page id into buf (page_size bytes) and verifies it (Corruption naming the file,
  // offset and page id). NotFound when the page was never written (past the end of its
  // file or all zeros). With `mapped` (the buffer pool's misses), the page is copied from its
  // segment's read map when it can be: then mapped->data is set, and mapped->verified says
  // its bytes already passed verification at this sequence, so the checksum was not computed
  // again; when it is false, the caller calls MarkMappedVerified(id, *mapped) once its own
  // checks of the page passed too. mapped->data is null when the page came from pread.
  Status ReadPage(PageId id, char* buf, MappedPage* mapped = nullptr) const;
  // Reads without verifying; *exists is false when past the end of the file (buf zeroed).
  Status ReadPageRaw(PageId id, char* buf, bool* exists) const;
  // Writes a sealed page (SealPage) in place. Not durable until Sync.
  Status WritePage(PageId id, const char* buf);
  // Syncs every segment file written since the last Sync. Returns only once every page
  // written before the call is durable, also when another Sync is already syncing it.
  Status Sync();

  // A view of a page in a segment's read map, taken by BeginMappedRead.
  struct MappedPage {
    const char* data = nullptr;  // page_size bytes; may change under the reader (see above)
    uint64_t seq = 0;            // the page's sequence word when the read began (even)
    bool verified = false;       // these bytes passed verification at this sequence before
  };
  // Points *page at page id in its segment's map: false when there is none (no map for the
  // segment, or its file has not been opened yet), the page lies beyond the file's end, a
  // write of the page is in progress, or the buffer pool holds a newer version.
  bool BeginMappedRead(PageId id, MappedPage* page) const;
  // True when no write of the page began since BeginMappedRead: then every byte read from the
  // view before this call was the page as one completed write left it.
  bool EndMappedRead(PageId id, const MappedPage& page) const;
  // Records that the page's bytes passed verification at page.seq (after EndMappedRead
  // returned true), so readers at that sequence skip it.
  void MarkMappedVerified(PageId id, const MappedPage& page) const;
  // The buffer pool's side (see "Mapped reads"): page id has a committed version newer than
  // the file's (called under the partition mutex that guards the frame's dirty state), and,
  // after a flush wrote the page and no commit changed it since the copy, it has none. No-ops
  // without map_reads.
  void MarkPoolNewer(PageId id) const;
  void ClearPoolNewer(PageId id) const;

  // Finds the newest valid meta page. NotFound when the store has none (new directory);
  // Corruption when files exist but neither copy is valid.
  static Status ReadMeta(Env* env, const std::string& dir, MetaPage* meta);
  // Writes meta (its sequence must be one more than the last) to copy sequence % 2 and
  // syncs it.
  Status WriteMeta(const MetaPage& meta);

 private:
  Status GetFile(uint64_t segment, RandomRWFile** file) const;
  // A segment's read map and its pages' seqlock words (see "Mapped reads"). The words exist
  // from the first time the pool marks one of the segment's pages, which may be before the
  // segment file is opened (a page allocated at the end of the store); the map from when the
  // file is opened.
  struct SegmentMap {
    // Sequence word bits: odd while WritePage writes the page; kPoolNewer while the pool holds
    // a newer version. Writes count in the low bits and never reach kPoolNewer.
    static constexpr uint64_t kWriting = 1;
    static constexpr uint64_t kPoolNewer = uint64_t{1} << 63;
    // A verified stamp no readable sequence word takes (those are even).
    static constexpr uint64_t kNeverVerified = 1;
    struct PageWord {
      std::atomic<uint64_t> seq{0};
      std::atomic<uint64_t> verified_at{kNeverVerified};
    };
    explicit SegmentMap(uint64_t pages) : words(new PageWord[pages]) {}

    std::atomic<const char*> base{nullptr};  // null until the segment file is mapped
    // Bytes known to be in the file: reads stay below it (the map past the end raises SIGBUS).
    std::atomic<uint64_t> size{0};
    std::unique_ptr<PageWord[]> words;  // one per page of the segment
  };
  // The segment's SegmentMap, or null when it has none yet (or without map_reads).
  SegmentMap* MapOf(uint64_t segment) const;
  // The segment's SegmentMap, created (without a map) when absent; null without map_reads.
  SegmentMap* MapOrCreate(uint64_t segment) const;
  SegmentMap* MapOrCreateLocked(uint64_t segment) const;  // with mu_ held
  // Called by GetFile under mu_ when it opens a mapped segment file.
  void AddSegmentMap(uint64_t segment, RandomRWFile* file) const;
  // WritePage's side of the seqlock: make the page's word odd before the write, even after
  // (and extend the readable size when the write succeeded).
  void BeginMappedWrite(SegmentMap* map, PageId id) const;
  void EndMappedWrite(SegmentMap* map, PageId id, bool written) const;

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
  const bool map_reads_;
  mutable std::vector<std::unique_ptr<SegmentMap>> maps_;          // guarded by mu_, by segment
  mutable std::unique_ptr<std::atomic<SegmentMap*>[]> fast_maps_;  // as fast_files_
  std::set<uint64_t> unsynced_;                                    // guarded by mu_
  // Held through a whole Sync: a second Sync must not return (finding nothing left to sync)
  // while the first is still syncing the segments it took.
  std::mutex sync_mu_;
  // A segment file was created since the last successful directory sync.
  mutable bool dir_unsynced_ = false;  // guarded by mu_ (set by GetFile, which is const)
};

// Meta page encoding (exposed for tests).
void EncodeMetaPage(const MetaPage& meta, PageId copy, char* page);
Status DecodeMetaPage(const char* page, size_t page_size, PageId copy, MetaPage* meta);

}  // namespace jadedb::bplustree
