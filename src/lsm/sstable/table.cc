#include "lsm/sstable/table.h"

#include <string>

#include "lsm/sstable/block.h"
#include "lsm/sstable/filter_block.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/two_level_iterator.h"
#include "util/coding.h"

namespace jadedb::lsm {

struct Table::Rep {
  TableOptions options;
  std::unique_ptr<RandomAccessFile> file;
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

  // Reads a meta block (index, metaindex, filter, properties): always checksummed, never
  // cached (they are held by the Table for its lifetime).
  Status ReadMetaBlock(const BlockHandle& handle, BlockContents* contents) const {
    return ReadBlock(file.get(), file_name, file_size, handle, /*verify_checksum=*/true, contents);
  }

  Status ReadMetaindex(std::unique_ptr<Block>* metaindex) const {
    BlockContents contents;
    Status s = ReadMetaBlock(footer.metaindex_handle(), &contents);
    if (s.ok()) *metaindex = std::make_unique<Block>(std::move(contents));
    return s;
  }

  // Iterator over the data block named by index_value (an encoded BlockHandle).
  std::unique_ptr<InternalIterator> BlockReader(const TableReadOptions& read_options,
                                                std::string_view index_value) const;
};

namespace {

void DeleteCachedBlock(std::string_view /*key*/, void* value) { delete static_cast<Block*>(value); }

}  // namespace

std::unique_ptr<InternalIterator> Table::Rep::BlockReader(const TableReadOptions& read_options,
                                                          std::string_view index_value) const {
  BlockHandle handle;
  std::string_view input = index_value;
  if (!handle.DecodeFrom(&input)) {
    return NewErrorIterator(BlockCorruption(file_name, footer.index_handle().offset(),
                                            footer.index_handle().size(),
                                            "bad block handle in index"));
  }
  const bool verify = read_options.verify_checksums || options.paranoid_checks;
  Cache* cache = options.block_cache;
  if (cache == nullptr) {
    BlockContents contents;
    Status s = ReadBlock(file.get(), file_name, file_size, handle, verify, &contents);
    if (!s.ok()) return NewErrorIterator(s);
    auto block = std::make_unique<Block>(std::move(contents));
    auto iter = block->NewIterator(options.comparator, file_name, handle.offset());
    iter->RegisterCleanup([b = block.release()] { delete b; });
    return iter;
  }

  char key_buf[16];
  EncodeFixed64(key_buf, cache_id);
  EncodeFixed64(key_buf + 8, handle.offset());
  const std::string_view key(key_buf, sizeof(key_buf));
  Cache::Handle* cache_handle = cache->Lookup(key);
  Block* block = nullptr;
  if (cache_handle != nullptr) {
    block = static_cast<Block*>(cache->Value(cache_handle));
  } else {
    BlockContents contents;
    Status s = ReadBlock(file.get(), file_name, file_size, handle, verify, &contents);
    if (!s.ok()) return NewErrorIterator(s);
    block = new Block(std::move(contents));
    if (read_options.fill_cache) {
      cache_handle = cache->Insert(key, block, block->size(), &DeleteCachedBlock);
    }
  }
  auto iter = block->NewIterator(options.comparator, file_name, handle.offset());
  if (cache_handle != nullptr) {
    iter->RegisterCleanup([cache, cache_handle] { cache->Release(cache_handle); });
  } else {
    iter->RegisterCleanup([block] { delete block; });
  }
  return iter;
}

Status Table::Open(const TableOptions& options, std::unique_ptr<RandomAccessFile> file,
                   uint64_t file_size, std::string file_name, std::unique_ptr<Table>* table) {
  table->reset();
  auto rep = std::make_unique<Rep>();
  rep->options = options;
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

  if (options.block_cache != nullptr) rep->cache_id = options.block_cache->NewId();
  table->reset(new Table(std::move(rep)));
  return Status::OK();
}

Table::Table(std::unique_ptr<Rep> rep) : rep_(std::move(rep)) {}

Table::~Table() = default;

std::unique_ptr<InternalIterator> Table::NewIterator(const TableReadOptions& options) const {
  const Rep* rep = rep_.get();
  return NewTwoLevelIterator(rep->index_block->NewIterator(rep->options.comparator, rep->file_name,
                                                           rep->footer.index_handle().offset()),
                             [rep, options](std::string_view index_value) {
                               return rep->BlockReader(options, index_value);
                             });
}

Status Table::InternalGet(
    const TableReadOptions& options, std::string_view key,
    const std::function<void(std::string_view, std::string_view)>& handle) const {
  const Rep* rep = rep_.get();
  if (rep->filter != nullptr && !rep->filter->KeyMayMatch(key)) return Status::OK();
  auto index_iter = rep->index_block->NewIterator(rep->options.comparator, rep->file_name,
                                                  rep->footer.index_handle().offset());
  index_iter->Seek(key);
  if (!index_iter->Valid()) return index_iter->status();
  auto block_iter = rep->BlockReader(options, index_iter->value());
  block_iter->Seek(key);
  if (block_iter->Valid()) handle(block_iter->key(), block_iter->value());
  return block_iter->status();
}

uint64_t Table::ApproximateOffsetOf(std::string_view key) const {
  const Rep* rep = rep_.get();
  auto index_iter = rep->index_block->NewIterator(rep->options.comparator, rep->file_name,
                                                  rep->footer.index_handle().offset());
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
    Status s = ReadBlock(rep->file.get(), rep->file_name, rep->file_size, handle,
                         /*verify_checksum=*/true, out != nullptr ? out : &contents);
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
      (rep->filter == nullptr || (s = check("filter", rep->filter_handle)).ok())) {
    auto index_iter = rep->index_block->NewIterator(rep->options.comparator, rep->file_name,
                                                    footer.index_handle().offset());
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

}  // namespace jadedb::lsm
