// Table::Rep, the state of an open Table, and BlockRef: shared by table.cc (open, point
// lookups) and table_iterator.cc (the table iterator). Private to src/lsm/sstable.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/filter_block.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/index_search.h"
#include "lsm/sstable/table.h"

namespace jadedb::lsm {

// Starts loading the cache line at p into every cache level. Inline assembly on x86 because
// GCC 12 treats a function whose only effect is __builtin_prefetch as side-effect free and
// drops calls to it (every prefetch of PrefetchBlock vanished that way).
inline void PrefetchLine(const char* p) {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

// A block held for one use: borrowed from the Table (pinned index), pinned in the block
// cache, or owned (read without caching). Releases what it holds when destroyed, unless
// ReleaseWith hands that over to an iterator.
class BlockRef {
 public:
  BlockRef() = default;
  BlockRef(const BlockRef&) = delete;
  BlockRef& operator=(const BlockRef&) = delete;
  ~BlockRef() {
    if (handle_ != nullptr) cache_->Release(handle_);
  }

  const Block* get() const { return block_; }

  // Releases what it holds and becomes empty, ready for another Set*.
  void Reset() {
    if (handle_ != nullptr) cache_->Release(handle_);
    handle_ = nullptr;
    owned_.reset();
    block_ = nullptr;
  }

  void SetBorrowed(const Block* block) { block_ = block; }
  void SetCached(Cache* cache, Cache::Handle* handle) {
    cache_ = cache;
    handle_ = handle;
    block_ = static_cast<const Block*>(cache->Value(handle));
  }
  void SetOwned(std::unique_ptr<Block> block) {
    owned_ = std::move(block);
    block_ = owned_.get();
  }

  // Makes iter release the block when it is destroyed (the block must outlive iter).
  void ReleaseWith(InternalIterator* iter) {
    if (handle_ != nullptr) {
      iter->RegisterCleanup([cache = cache_, handle = handle_] { cache->Release(handle); });
      handle_ = nullptr;
    } else if (owned_ != nullptr) {
      iter->RegisterCleanup([b = owned_.release()] { delete b; });
    }
  }

 private:
  const Block* block_ = nullptr;
  Cache* cache_ = nullptr;
  Cache::Handle* handle_ = nullptr;
  std::unique_ptr<Block> owned_;
};

struct Table::Rep {
  TableOptions options;
  // Shared with the blocks that view it when it is memory-mapped (file->ViewsStable()): a
  // block pinned in the block cache keeps the mapping alive even past the Table.
  std::shared_ptr<const RandomAccessFile> file;
  bool mapped = false;  // file->ViewsStable()
  // Start of the file's mapping when mapped (for prefetch hints), else null.
  const char* mapped_base = nullptr;
  uint64_t file_size = 0;
  std::string file_name;
  uint64_t cache_id = 0;  // prefix of this table's keys in options.block_cache

  Footer footer;
  std::unique_ptr<Block> index_block;
  // Search array over the pinned index_block (null when there is none, or it does not
  // qualify): see SeekIndex.
  std::unique_ptr<IndexSearch> index_search;
  BlockHandle filter_handle;  // size 0 when the table has no usable filter
  BlockContents filter_contents;
  std::unique_ptr<FilterBlockReader> filter;
  BlockHandle properties_handle;
  TableProperties properties;
  BlockHandle range_del_handle;  // size 0 when the table has none
  std::vector<RangeTombstone> range_tombstones;
  mutable std::atomic<uint64_t> data_block_reads{0};
  // For a mapped table whose index has a restart point at every entry (so a cursor's restart
  // index is the data block's position): one state per data block, kUnread until the block is
  // first read, then kInPlace once it was found uncompressed with its checksum verified, or
  // kCompressed. Point lookups and iterators then use a kInPlace block in place, from the
  // mapping, without the block cache: no hash lookup, no pin, no shard mutex (14% of an LSM
  // readrandom's cycles went to the cache's hash table alone, 16% of a seekrandom's). As with
  // a mapped block in the cache, the checksum is verified once, on the first read. A
  // kCompressed block goes through the cache (decompressed there) without being decompressed
  // here again. Bytes, not bits, so setting one is a plain store. Empty otherwise: every read
  // then uses the cache.
  enum InPlaceState : uint8_t { kUnread = 0, kInPlace = 1, kCompressed = 2 };
  std::unique_ptr<std::atomic<uint8_t>[]> verified_in_place;
  uint32_t num_in_place_flags = 0;

  // Parses the range-deletion block: internal key (begin, seq, range deletion) -> end.
  Status LoadRangeTombstones(const BlockHandle& handle) {
    BlockContents contents;
    Status s = ReadMetaBlock(handle, &contents);
    if (!s.ok()) return s;
    Block block(std::move(contents));
    auto it = block.NewIterator(BytewiseComparator(), file_name, handle.offset());
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ParsedInternalKey parsed;
      if (!ParseInternalKey(it->key(), &parsed) || parsed.type != kTypeRangeDeletion) {
        return BlockCorruption(file_name, handle.offset(), handle.size(),
                               "malformed range-deletion entry");
      }
      range_tombstones.push_back(
          RangeTombstone{std::string(parsed.user_key), std::string(it->value()), parsed.sequence});
    }
    range_del_handle = handle;
    return it->status();
  }

  // ReadBlock, and for a view into the mapped file, makes the contents keep the mapping alive.
  Status Read(const BlockHandle& handle, bool verify_checksum, BlockContents* contents) const {
    Status s = ReadBlock(file.get(), file_name, file_size, handle, verify_checksum, contents);
    if (s.ok() && contents->owned == nullptr) contents->backing = file;
    return s;
  }

  // Reads a meta block (index, metaindex, filter, properties): always checksummed.
  Status ReadMetaBlock(const BlockHandle& handle, BlockContents* contents) const {
    return Read(handle, /*verify_checksum=*/true, contents);
  }

  Status ReadMetaindex(std::unique_ptr<Block>* metaindex) const {
    BlockContents contents;
    Status s = ReadMetaBlock(footer.metaindex_handle(), &contents);
    if (s.ok()) *metaindex = std::make_unique<Block>(std::move(contents));
    return s;
  }

  // Sets *ref to the index block: the pinned one, or one from the block cache.
  Status IndexBlock(BlockRef* ref) const;
  // Iterator over the index block.
  std::unique_ptr<InternalIterator> NewIndexIterator() const;
  // Seeks cursor, over index (the block IndexBlock gave), to the first entry >= target; for
  // the pinned index through index_search, which usually leaves no key to compare.
  // For a mapped table, starts loading the data block at handle (its bytes and its trailer)
  // into the CPU caches. A seek into a block is a chain of dependent loads (the restart array
  // at its end, a restart key, then entry after entry), each a cache miss on a table much
  // larger than the caches; loading the whole block at once overlaps them all. Costs what
  // reading the block into a cache costs a pread-based engine. Blocks past 16 KiB (unusual
  // block sizes) are loaded only at their start and end. Ignores handles out of bounds.
  void PrefetchBlock(const BlockHandle& handle) const {
    if (mapped_base == nullptr || handle.offset() > file_size ||
        handle.size() + kBlockTrailerSize > file_size - handle.offset()) {
      return;
    }
    const char* const block = mapped_base + handle.offset();
    const uint64_t size = handle.size();
    const uint64_t head = size <= kPrefetchWhole ? size : kPrefetchWhole / 16;
    for (uint64_t off = 0; off < head; off += kCacheLine) PrefetchLine(block + off);
    // The end: the restart array a seek reads first, and the trailer.
    PrefetchLine(block + size + kBlockTrailerSize - 1);
  }
  static constexpr uint64_t kCacheLine = 64;
  static constexpr uint64_t kPrefetchWhole = 16 << 10;

  void SeekIndex(BlockCursor* cursor, const Block* index, std::string_view target) const {
    if (index_search == nullptr || index != index_block.get()) {
      cursor->Seek(target);
      return;
    }
    uint32_t lo, hi;
    index_search->Narrow(target, &lo, &hi);
    if (lo == hi) {
      cursor->SeekToRestart(lo);  // one entry per restart: entry lo (none past the end)
    } else {
      cursor->SeekWithin(target, lo, hi);
    }
  }
  // False when the filter rules key out (true without a filter, or when it cannot be read).
  bool KeyMayMatch(std::string_view key) const;
  // Block cache key of the block at offset.
  void CacheKey(uint64_t offset, char (*buf)[16]) const {
    EncodeFixed64(*buf, cache_id);
    EncodeFixed64(*buf + 8, offset);
  }
  // Decodes an index entry's value (a BlockHandle); Corruption naming the index when bad.
  Status DecodeIndexValue(std::string_view index_value, BlockHandle* handle) const {
    if (handle->DecodeFrom(&index_value)) return Status::OK();
    return BlockCorruption(file_name, footer.index_handle().offset(), footer.index_handle().size(),
                           "bad block handle in index");
  }
  // Sets *ref to the data block at handle: from the block cache, or read from the file (and
  // added to the cache when read_options.fill_cache).
  Status DataBlock(const TableReadOptions& read_options, const BlockHandle& handle,
                   BlockRef* ref) const;
  // The data block at handle (the index's entry number `ordinal`) viewed in place in the
  // mapping, when the table keeps in-place flags and the block is stored uncompressed
  // (verifying it on its first read). The caller must keep the table open while it uses the
  // block (the block holds no reference to the mapping). Sets *used false when the caller must use
  // DataBlock instead; *block is then untouched. Error only for a block that fails its
  // checksum on that first read.
  Status InPlaceBlock(const BlockHandle& handle, uint32_t ordinal, std::optional<Block>* block,
                      bool* used) const;

  // Erases this table's blocks from the block cache, for a mapped table being closed. Its
  // cached blocks view the mapping and keep it alive: left to the LRU order (and charged only
  // their small heap cost) they could keep a closed, even deleted, file mapped for a long
  // time. Nobody can look them up anyway: a reopened table gets a new cache id.
  void EraseCachedBlocks() const;
};

}  // namespace jadedb::lsm
