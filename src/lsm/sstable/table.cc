#include "lsm/sstable/table.h"

#include <atomic>
#include <optional>
#include <string>

#include "lsm/sstable/table_rep.h"
#include "util/coding.h"

namespace jadedb::lsm {
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
  std::atomic<uint8_t>& state = verified_in_place[ordinal];
  const uint8_t seen = state.load(std::memory_order_relaxed);
  if (seen == kCompressed) return Status::OK();
  const bool first_read = seen == kUnread;
  // No backing reference: the caller's pin on the table keeps the mapping for the lookup.
  BlockContents contents;
  Status s = ReadBlock(file.get(), file_name, file_size, handle, first_read, &contents);
  if (!s.ok()) return s;
  if (contents.owned != nullptr) {
    // Compressed: read decompressed through the cache, from now on without this detour.
    state.store(kCompressed, std::memory_order_relaxed);
    return Status::OK();
  }
  if (first_read) {
    data_block_reads.fetch_add(1, std::memory_order_relaxed);
    state.store(kInPlace, std::memory_order_relaxed);
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

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::string file_name, std::unique_ptr<Table>* table) {
  table->reset();
  auto rep = std::make_unique<Rep>();
  rep->options = options;
  rep->mapped = file->ViewsStable();
  rep->file = std::move(file);
  rep->file_size = file_size;
  if (rep->mapped && file_size > 0) {
    std::string_view whole;
    if (rep->file->Read(0, file_size, &whole, nullptr).ok() && whole.size() == file_size) {
      rep->mapped_base = whole.data();
    }
  }
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
  if (rep->index_block != nullptr) {
    rep->index_search = IndexSearch::Build(*rep->index_block, options.comparator);
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
    rep->SeekIndex(&index_iter, index.get(), key);
    if (!index_iter.Valid()) return index_iter.status();
    s = rep->DecodeIndexValue(index_iter.value(), &data_handle);
    if (!s.ok()) return s;
    ordinal = index_iter.restart_index();
  }
  rep->PrefetchBlock(data_handle);
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
