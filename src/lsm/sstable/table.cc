#include "lsm/sstable/table.h"

#include <atomic>
#include <optional>
#include <string>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/filter_block.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/two_level_iterator.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

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

}  // namespace

struct Table::Rep {
  TableOptions options;
  // Shared with the blocks that view it when it is memory-mapped (file->ViewsStable()): a
  // block pinned in the block cache keeps the mapping alive even past the Table.
  std::shared_ptr<const RandomAccessFile> file;
  bool mapped = false;  // file->ViewsStable()
  uint64_t file_size = 0;
  std::string file_name;
  uint64_t cache_id = 0;  // prefix of this table's keys in options.block_cache

  Footer footer;
  std::unique_ptr<Block> index_block;
  BlockHandle filter_handle;  // size 0 when the table has no usable filter
  BlockContents filter_contents;
  std::unique_ptr<FilterBlockReader> filter;
  BlockHandle properties_handle;
  TableProperties properties;
  BlockHandle range_del_handle;  // size 0 when the table has none
  std::vector<RangeTombstone> range_tombstones;
  mutable std::atomic<uint64_t> data_block_reads{0};
  // For a mapped table whose index has a restart point at every entry (so a cursor's restart
  // index is the data block's position): one flag per data block, set once the block was read
  // uncompressed and its checksum verified. A point lookup then searches such a block in
  // place, from the mapping, without the block cache: no hash lookup, no pin, no shard mutex
  // (14% of an LSM readrandom's cycles went to the cache's hash table alone). As with a
  // mapped block in the cache, the checksum is verified once, on the first read. Bytes, not
  // bits, so setting one is a plain store. Empty otherwise: every read then uses the cache.
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
  // For a point lookup: the data block at handle (the index's entry number `ordinal`) viewed
  // in place in the mapping, when the table keeps in-place flags and the block is stored
  // uncompressed (verifying it on its first read). Sets *used false when the caller must use
  // DataBlock instead; *block is then untouched. Error only for a block that fails its
  // checksum on that first read.
  Status InPlaceBlock(const BlockHandle& handle, uint32_t ordinal, std::optional<Block>* block,
                      bool* used) const;

  // Iterator over the data block named by index_value (an encoded BlockHandle).
  std::unique_ptr<InternalIterator> BlockReader(const TableReadOptions& read_options,
                                                std::string_view index_value) const;

  // Erases this table's blocks from the block cache, for a mapped table being closed. Its
  // cached blocks view the mapping and keep it alive: left to the LRU order (and charged only
  // their small heap cost) they could keep a closed, even deleted, file mapped for a long
  // time. Nobody can look them up anyway: a reopened table gets a new cache id.
  void EraseCachedBlocks() const;
};

namespace {

void DeleteCachedBlock(std::string_view /*key*/, void* value) { delete static_cast<Block*>(value); }

// Block cache charge of block (under a 16-byte key): its heap bytes. A block viewing a mapped
// file costs the Block object and the cache entry; its contents are the OS page cache's.
size_t BlockCharge(const Block& block) {
  return block.OwnsContents() ? block.size() : sizeof(Block) + CacheEntryOverhead(16);
}

// A filter in the block cache: its bytes and the reader over them.
struct CachedFilter {
  BlockContents contents;
  std::unique_ptr<FilterBlockReader> reader;
};

void DeleteCachedFilter(std::string_view /*key*/, void* value) {
  delete static_cast<CachedFilter*>(value);
}

}  // namespace

Status Table::Rep::IndexBlock(BlockRef* ref) const {
  if (index_block != nullptr) {
    ref->SetBorrowed(index_block.get());
    return Status::OK();
  }
  Cache* cache = options.block_cache;
  char key_buf[16];
  CacheKey(footer.index_handle().offset(), &key_buf);
  const std::string_view key(key_buf, sizeof(key_buf));
  Cache::Handle* handle = cache->Lookup(key);
  if (handle == nullptr) {
    BlockContents contents;
    Status s = ReadMetaBlock(footer.index_handle(), &contents);
    if (!s.ok()) return s;
    auto* block = new Block(std::move(contents));
    handle = cache->Insert(key, block, BlockCharge(*block), &DeleteCachedBlock);
  }
  ref->SetCached(cache, handle);
  return Status::OK();
}

std::unique_ptr<InternalIterator> Table::Rep::NewIndexIterator() const {
  BlockRef ref;
  Status s = IndexBlock(&ref);
  if (!s.ok()) return NewErrorIterator(s);
  auto iter = ref.get()->NewIterator(options.comparator, file_name, footer.index_handle().offset());
  ref.ReleaseWith(iter.get());
  return iter;
}

bool Table::Rep::KeyMayMatch(std::string_view key) const {
  if (filter != nullptr) return filter->KeyMayMatch(key);
  if (filter_handle.size() == 0 || options.block_cache == nullptr) return true;
  Cache* cache = options.block_cache;
  char key_buf[16];
  CacheKey(filter_handle.offset(), &key_buf);
  const std::string_view cache_key(key_buf, sizeof(key_buf));
  Cache::Handle* handle = cache->Lookup(cache_key);
  if (handle == nullptr) {
    auto cached = std::make_unique<CachedFilter>();
    // An unreadable filter only costs the lookup its shortcut; the data read reports damage.
    if (!ReadMetaBlock(filter_handle, &cached->contents).ok()) return true;
    cached->reader =
        std::make_unique<FilterBlockReader>(options.filter_policy, cached->contents.data);
    // A filter viewing the mapped file costs the heap only its reader and entry.
    const size_t charge = cached->contents.owned != nullptr
                              ? cached->contents.data.size()
                              : sizeof(CachedFilter) + sizeof(FilterBlockReader) +
                                    CacheEntryOverhead(sizeof(key_buf));
    handle = cache->Insert(cache_key, cached.release(), charge, &DeleteCachedFilter);
  }
  const bool match = static_cast<CachedFilter*>(cache->Value(handle))->reader->KeyMayMatch(key);
  cache->Release(handle);
  return match;
}

Status Table::Rep::DataBlock(const TableReadOptions& read_options, const BlockHandle& handle,
                             BlockRef* ref) const {
  Cache* cache = options.block_cache;
  const bool fill = cache != nullptr && read_options.fill_cache;
  // A block from a mapped file that goes into the cache is verified once, here: it is then
  // served from the cache, viewing the mapping, without being read again.
  const bool verify = read_options.verify_checksums || options.paranoid_checks || (mapped && fill);
  char key_buf[16] = {};  // filled below when there is a cache (zeroed for gcc -O0's warning)
  const std::string_view key(key_buf, sizeof(key_buf));
  if (cache != nullptr) {
    CacheKey(handle.offset(), &key_buf);
    if (Cache::Handle* cache_handle = cache->Lookup(key)) {
      ref->SetCached(cache, cache_handle);
      return Status::OK();
    }
  }
  data_block_reads.fetch_add(1, std::memory_order_relaxed);
  BlockContents contents;
  Status s = Read(handle, verify, &contents);
  if (!s.ok()) return s;
  auto block = std::make_unique<Block>(std::move(contents));
  if (fill) {
    const size_t charge = BlockCharge(*block);
    ref->SetCached(cache, cache->Insert(key, block.release(), charge, &DeleteCachedBlock));
  } else {
    ref->SetOwned(std::move(block));
  }
  return Status::OK();
}

Status Table::Rep::InPlaceBlock(const BlockHandle& handle, uint32_t ordinal,
                                std::optional<Block>* block, bool* used) const {
  *used = false;
  if (ordinal >= num_in_place_flags || options.paranoid_checks) return Status::OK();
  std::atomic<uint8_t>& verified = verified_in_place[ordinal];
  const bool first_read = verified.load(std::memory_order_relaxed) == 0;
  // No backing reference: the caller's pin on the table keeps the mapping for the lookup.
  BlockContents contents;
  Status s = ReadBlock(file.get(), file_name, file_size, handle, first_read, &contents);
  if (!s.ok()) return s;
  if (contents.owned != nullptr) return Status::OK();  // compressed: cached decompressed
  if (first_read) {
    data_block_reads.fetch_add(1, std::memory_order_relaxed);
    verified.store(1, std::memory_order_relaxed);
  }
  block->emplace(std::move(contents));
  *used = true;
  return Status::OK();
}

void Table::Rep::EraseCachedBlocks() const {
  Cache* cache = options.block_cache;
  if (cache == nullptr || !mapped) return;
  char key_buf[16];
  auto erase = [&](uint64_t offset) {
    CacheKey(offset, &key_buf);
    cache->Erase(std::string_view(key_buf, sizeof(key_buf)));
  };
  {
    BlockRef index;  // pinned, cached, or read from the mapping (no I/O either way)
    if (IndexBlock(&index).ok()) {
      BlockCursor it(index.get(), options.comparator, file_name, footer.index_handle().offset());
      for (it.SeekToFirst(); it.Valid(); it.Next()) {
        BlockHandle handle;
        std::string_view v = it.value();
        if (handle.DecodeFrom(&v)) erase(handle.offset());
      }
    }
  }
  // A block the walk missed (a damaged index) is only left to the LRU order: still safe, as it
  // holds the mapping.
  erase(footer.index_handle().offset());
  if (filter_handle.size() != 0) erase(filter_handle.offset());
}

std::unique_ptr<InternalIterator> Table::Rep::BlockReader(const TableReadOptions& read_options,
                                                          std::string_view index_value) const {
  BlockHandle handle;
  Status s = DecodeIndexValue(index_value, &handle);
  BlockRef ref;
  if (s.ok()) s = DataBlock(read_options, handle, &ref);
  if (!s.ok()) return NewErrorIterator(s);
  auto iter = ref.get()->NewIterator(options.comparator, file_name, handle.offset());
  ref.ReleaseWith(iter.get());
  return iter;
}

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::string file_name, std::unique_ptr<Table>* table) {
  table->reset();
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->mapped = file->ViewsStable();
  rep->file = std::move(file);
  rep->file_size = file_size;
  rep->file_name = std::move(file_name);

  Status s = ReadFooter(rep->file.get(), rep->file_name, file_size, &rep->footer);
  if (!s.ok()) return s;

  BlockContents index_contents;
  s = rep->ReadMetaBlock(rep->footer.index_handle(), &index_contents);
  if (!s.ok()) return s;
  rep->index_block = std::make_unique<Block>(std::move(index_contents));
  {
    // Checks the restart array now rather than on the first read.
    auto it = rep->index_block->NewIterator(options.comparator, rep->file_name,
                                            rep->footer.index_handle().offset());
    if (!it->status().ok()) return it->status();
  }

  std::unique_ptr<Block> metaindex;
  s = rep->ReadMetaindex(&metaindex);
  if (!s.ok()) return s;
  const std::string filter_name =
      options.filter_policy ? "filter." + std::string(options.filter_policy->Name()) : "";
  bool have_properties = false;
  auto meta = metaindex->NewIterator(BytewiseComparator(), rep->file_name,
                                     rep->footer.metaindex_handle().offset());
  for (meta->SeekToFirst(); meta->Valid(); meta->Next()) {
    BlockHandle handle;
    std::string_view v = meta->value();
    if (!handle.DecodeFrom(&v)) {
      return BlockCorruption(rep->file_name, rep->footer.metaindex_handle().offset(),
                             rep->footer.metaindex_handle().size(),
                             "bad block handle for " + std::string(meta->key()));
    }
    if (meta->key() == kPropertiesBlockName) {
      BlockContents contents;
      s = rep->ReadMetaBlock(handle, &contents);
      if (!s.ok()) return s;
      Block block(std::move(contents));
      s = rep->properties.DecodeFrom(block, rep->file_name, handle.offset());
      if (!s.ok()) return s;
      rep->properties_handle = handle;
      have_properties = true;
    } else if (meta->key() == kRangeDelBlockName) {
      s = rep->LoadRangeTombstones(handle);
      if (!s.ok()) return s;
    } else if (!filter_name.empty() && meta->key() == filter_name) {
      s = rep->ReadMetaBlock(handle, &rep->filter_contents);
      if (!s.ok()) return s;
      rep->filter_handle = handle;
      rep->filter =
          std::make_unique<FilterBlockReader>(options.filter_policy, rep->filter_contents.data);
    }
  }
  if (!meta->status().ok()) return meta->status();
  if (!have_properties) {
    return BlockCorruption(rep->file_name, rep->footer.metaindex_handle().offset(),
                           rep->footer.metaindex_handle().size(), "no properties block");
  }

  if (options.block_cache != nullptr) {
    rep->cache_id = options.block_cache->NewId();
    if (!options.pin_index_and_filter) {
      // Checked above; from now on they live in the block cache, loaded on first use.
      rep->index_block.reset();
      rep->filter.reset();
      rep->filter_contents = BlockContents();
    }
  }
  // In-place lookups need the data block's position from the index cursor: only when the
  // index has one restart point per data block (as TableBuilder writes it).
  if (rep->mapped && rep->index_block != nullptr && rep->properties.num_data_blocks > 0 &&
      rep->index_block->NumRestarts() == rep->properties.num_data_blocks) {
    rep->num_in_place_flags = rep->index_block->NumRestarts();
    rep->verified_in_place = std::make_unique<std::atomic<uint8_t>[]>(rep->num_in_place_flags);
  }
  table->reset(new Table(std::move(rep)));
  return Status::OK();
}

Table::Table(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Table::~Table() { rep_->EraseCachedBlocks(); }

namespace {

// A table iterator restricted to the user keys in [lower, upper): a sorted view of that
// subset, so merging and direction changes work as on any iterator. It stops at the first
// entry past a bound instead of stepping on, so blocks beyond the bounds are never read.
// Used only for tables of internal keys.
class BoundedIterator final : public InternalIterator {
 public:
  BoundedIterator(std::unique_ptr<InternalIterator> iter, const Comparator* ucmp,
                  std::optional<std::string> lower, std::optional<std::string> upper)
      : iter_(std::move(iter)), ucmp_(ucmp), lower_(std::move(lower)), upper_(std::move(upper)) {
    if (lower_) AppendInternalKey(&lower_key_, {*lower_, kMaxSequenceNumber, kValueTypeForSeek});
    if (upper_) AppendInternalKey(&upper_key_, {*upper_, kMaxSequenceNumber, kValueTypeForSeek});
  }

  bool Valid() const override { return iter_->Valid() && InBounds(); }
  void SeekToFirst() override {
    if (lower_) {
      iter_->Seek(lower_key_);
    } else {
      iter_->SeekToFirst();
    }
  }
  void SeekToLast() override {
    if (upper_) {
      iter_->Seek(upper_key_);  // the first entry at or past upper: step back from it
      if (iter_->Valid()) {
        iter_->Prev();
      } else if (iter_->status().ok()) {
        iter_->SeekToLast();
      }
    } else {
      iter_->SeekToLast();
    }
  }
  void Seek(std::string_view target) override {
    if (lower_ && target.size() >= 8 && ucmp_->Compare(ExtractUserKey(target), *lower_) < 0) {
      iter_->Seek(lower_key_);
    } else {
      iter_->Seek(target);
    }
  }
  void Next() override { iter_->Next(); }
  void Prev() override { iter_->Prev(); }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override { return iter_->status(); }

 private:
  bool InBounds() const {
    std::string_view k = iter_->key();
    if (k.size() < 8) return true;  // malformed: let the reader report it
    std::string_view user_key = ExtractUserKey(k);
    return !(upper_ && ucmp_->Compare(user_key, *upper_) >= 0) &&
           !(lower_ && ucmp_->Compare(user_key, *lower_) < 0);
  }

  std::unique_ptr<InternalIterator> iter_;
  const Comparator* const ucmp_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;
  std::string lower_key_;
  std::string upper_key_;
};

}  // namespace

std::unique_ptr<InternalIterator> Table::NewIterator(const TableReadOptions& options) const {
  const Rep* rep = rep_.get();
  auto iter =
      NewTwoLevelIterator(rep->NewIndexIterator(), [rep, options](std::string_view index_value) {
        return rep->BlockReader(options, index_value);
      });
  if (options.lower_bound || options.upper_bound) {
    if (auto* icmp = dynamic_cast<const InternalKeyComparator*>(rep->options.comparator)) {
      return std::make_unique<BoundedIterator>(std::move(iter), icmp->user_comparator(),
                                               options.lower_bound, options.upper_bound);
    }
  }
  return iter;
}

Status Table::InternalGet(const TableReadOptions& options, std::string_view key,
                          KeyValueCallback handle) const {
  const Rep* rep = rep_.get();
  if (!rep->KeyMayMatch(key)) return Status::OK();
  BlockHandle data_handle;
  uint32_t ordinal = 0;  // the data block's entry number in the index
  {
    BlockRef index;
    Status s = rep->IndexBlock(&index);
    if (!s.ok()) return s;
    BlockCursor index_iter(index.get(), rep->options.comparator, rep->file_name,
                           rep->footer.index_handle().offset());
    index_iter.Seek(key);
    if (!index_iter.Valid()) return index_iter.status();
    s = rep->DecodeIndexValue(index_iter.value(), &data_handle);
    if (!s.ok()) return s;
    ordinal = index_iter.restart_index();
  }
  std::optional<Block> in_place;
  bool used_in_place = false;
  Status s = rep->InPlaceBlock(data_handle, ordinal, &in_place, &used_in_place);
  if (!s.ok()) return s;
  BlockRef data;
  if (used_in_place) {
    data.SetBorrowed(&*in_place);
  } else {
    s = rep->DataBlock(options, data_handle, &data);
    if (!s.ok()) return s;
  }
  BlockCursor block_iter(data.get(), rep->options.comparator, rep->file_name, data_handle.offset());
  block_iter.Seek(key);
  if (block_iter.Valid()) handle(block_iter.key(), block_iter.value());
  return block_iter.status();
}

uint64_t Table::ApproximateOffsetOf(std::string_view key) const {
  const Rep* rep = rep_.get();
  auto index_iter = rep->NewIndexIterator();
  index_iter->Seek(key);
  if (index_iter->Valid()) {
    BlockHandle handle;
    std::string_view v = index_iter->value();
    if (handle.DecodeFrom(&v)) return handle.offset();
  }
  // Past the last key (or a damaged index): the end of the data blocks.
  return rep->properties.data_size;
}

Status Table::VerifyChecksums(std::string* report) const {
  const Rep* rep = rep_.get();
  // Reads and verifies the block at handle; its contents go to *out when non-null.
  auto check = [&](std::string_view what, const BlockHandle& handle, BlockContents* out = nullptr) {
    BlockContents contents;
    Status s = rep->Read(handle, /*verify_checksum=*/true, out != nullptr ? out : &contents);
    if (report != nullptr) {
      report->append(what);
      report->append(" block at offset " + std::to_string(handle.offset()) + " size " +
                     std::to_string(handle.size()) + ": " + (s.ok() ? "ok" : s.ToString()) + "\n");
    }
    return s;
  };

  Footer footer;
  Status s = ReadFooter(rep->file.get(), rep->file_name, rep->file_size, &footer);
  if (!s.ok()) return s;
  if ((s = check("metaindex", footer.metaindex_handle())).ok() &&
      (s = check("index", footer.index_handle())).ok() &&
      (s = check("properties", rep->properties_handle)).ok() &&
      (rep->filter_handle.size() == 0 || (s = check("filter", rep->filter_handle)).ok()) &&
      (rep->range_del_handle.size() == 0 ||
       (s = check("range-deletion", rep->range_del_handle)).ok())) {
    auto index_iter = rep->NewIndexIterator();
    for (index_iter->SeekToFirst(); s.ok() && index_iter->Valid(); index_iter->Next()) {
      BlockHandle handle;
      std::string_view v = index_iter->value();
      if (!handle.DecodeFrom(&v)) {
        return BlockCorruption(rep->file_name, footer.index_handle().offset(),
                               footer.index_handle().size(), "bad block handle in index");
      }
      BlockContents contents;
      s = check("data", handle, &contents);
      if (s.ok()) {
        // The checksum covers the bytes; also make sure the entries parse.
        Block block(std::move(contents));
        auto it = block.NewIterator(rep->options.comparator, rep->file_name, handle.offset());
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
        }
        s = it->status();
      }
    }
    if (s.ok()) s = index_iter->status();
  }
  return s;
}

uint64_t Table::NumEntries() const { return rep_->properties.num_entries; }

const TableProperties& Table::Properties() const { return rep_->properties; }

const std::vector<RangeTombstone>& Table::RangeTombstones() const { return rep_->range_tombstones; }

uint64_t Table::DataBlockReads() const {
  return rep_->data_block_reads.load(std::memory_order_relaxed);
}

}  // namespace jadedb::lsm
