// Writes the layout described in docs/formats/sstable.md, in file order:
//   data blocks | filter block | index block | properties block | metaindex block | footer
// The index and properties come before the metaindex so the properties can record the
// index size, and the metaindex can point at both meta blocks.
#include "lsm/sstable/table_builder.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/block_builder.h"
#include "lsm/sstable/compression.h"
#include "lsm/sstable/filter_block.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/table_properties.h"

namespace jadedb::lsm {

struct TableBuilder::Rep {
  Rep(const TableOptions& opt, WritableFile* f)
      : options(opt),
        file(f),
        data_block(opt.block_restart_interval),
        index_block(1),  // index entries are few and separator keys short: no prefix sharing
        filter(opt.filter_policy ? std::make_unique<FilterBlockBuilder>(opt.filter_policy)
                                 : nullptr) {
    props.comparator_name = options.comparator->Name();
    if (options.filter_policy) props.filter_policy_name = options.filter_policy->Name();
    props.compression_name = CompressionTypeName(options.compression);
  }

  const TableOptions options;
  WritableFile* const file;
  uint64_t offset = 0;
  Status status;
  BlockBuilder data_block;
  BlockBuilder index_block;
  std::unique_ptr<FilterBlockBuilder> filter;
  std::string last_key;
  TableProperties props;
  bool closed = false;  // Finish() or Abandon() called

  // The index entry for a finished data block is added only when the next key is known, so
  // its separator can be shortened to a key between the two blocks.
  bool pending_index_entry = false;
  BlockHandle pending_handle;

  std::string compressed;  // scratch for data blocks
  // Range-deletion block entries: internal key (begin, seq, kTypeRangeDeletion) -> end.
  std::vector<std::pair<std::string, std::string>> range_dels;

  // Writes a data block, compressed when options.compression is set and that pays.
  void WriteDataBlock(std::string_view raw, BlockHandle* handle) {
    if (options.compression != CompressionType::kNone &&
        CompressBlock(options.compression, options.compression_level, raw, &compressed)) {
      props.num_compressed_blocks++;
      WriteRaw(compressed, handle, options.compression);
    } else {
      WriteRaw(raw, handle, CompressionType::kNone);
    }
  }

  // Appends contents and their trailer at offset; *handle says where they went.
  void WriteRaw(std::string_view contents, BlockHandle* handle,
                CompressionType type = CompressionType::kNone) {
    handle->set_offset(offset);
    handle->set_size(contents.size());
    std::string trailer;
    AppendBlockTrailer(contents, type, &trailer);
    status = file->Append(contents);
    if (status.ok()) status = file->Append(trailer);
    if (status.ok()) offset += contents.size() + trailer.size();
  }
};

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : rep_(std::make_unique<Rep>(options, file)) {}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(std::string_view key, std::string_view value) {
  Rep* r = rep_.get();
  if (r->closed || !r->status.ok()) return;
  if (r->props.num_entries > 0 && r->options.comparator->Compare(key, r->last_key) <= 0) {
    // An out-of-order key would make a table whose searches silently miss entries.
    r->status =
        Status::InvalidArgument("TableBuilder::Add: keys must be added in increasing order");
    return;
  }
  if (r->pending_index_entry) {
    r->options.comparator->FindShortestSeparator(&r->last_key, key);
    std::string handle_encoding;
    r->pending_handle.EncodeTo(&handle_encoding);
    r->index_block.Add(r->last_key, handle_encoding);
    r->pending_index_entry = false;
  }
  if (r->filter) r->filter->AddKey(key);

  r->last_key.assign(key.data(), key.size());
  r->props.num_entries++;
  r->props.raw_key_size += key.size();
  r->props.raw_value_size += value.size();
  r->data_block.Add(key, value);

  if (r->data_block.CurrentSizeEstimate() >= r->options.block_size) Flush();
}

void TableBuilder::AddRangeTombstone(std::string_view begin, std::string_view end, uint64_t seq) {
  Rep* r = rep_.get();
  if (r->closed || begin >= end) return;  // an empty range deletes nothing (bytewise keys)
  std::string key;
  AppendInternalKey(&key, ParsedInternalKey(begin, seq, kTypeRangeDeletion));
  r->range_dels.emplace_back(std::move(key), std::string(end));
}

void TableBuilder::Flush() {
  Rep* r = rep_.get();
  if (r->closed || !r->status.ok() || r->data_block.empty()) return;
  r->WriteDataBlock(r->data_block.Finish(), &r->pending_handle);
  r->data_block.Reset();
  if (r->status.ok()) {
    r->pending_index_entry = true;
    r->props.num_data_blocks++;
    r->status = r->file->Flush();
  }
}

Status TableBuilder::status() const { return rep_->status; }

Status TableBuilder::Finish() {
  Rep* r = rep_.get();
  Flush();
  if (r->closed) return Status::InvalidArgument("TableBuilder::Finish called twice");
  r->closed = true;
  if (!r->status.ok()) return r->status;
  r->props.data_size = r->offset;

  std::map<std::string, BlockHandle> meta;  // metaindex entries, in bytewise order

  if (r->filter) {
    BlockHandle filter_handle;
    r->WriteRaw(r->filter->Finish(), &filter_handle);
    r->props.filter_size = filter_handle.size() + kBlockTrailerSize;
    meta["filter." + std::string(r->options.filter_policy->Name())] = filter_handle;
  }

  if (r->status.ok() && !r->range_dels.empty()) {
    const Comparator* cmp = r->options.comparator;
    std::sort(r->range_dels.begin(), r->range_dels.end(),
              [cmp](const auto& a, const auto& b) { return cmp->Compare(a.first, b.first) < 0; });
    BlockBuilder block(1);
    for (const auto& [key, end] : r->range_dels) block.Add(key, end);
    BlockHandle handle;
    r->props.num_range_deletions = r->range_dels.size();
    r->WriteRaw(block.Finish(), &handle);
    meta[kRangeDelBlockName] = handle;
  }

  BlockHandle index_handle;
  if (r->status.ok()) {
    if (r->pending_index_entry) {
      r->options.comparator->FindShortSuccessor(&r->last_key);
      std::string handle_encoding;
      r->pending_handle.EncodeTo(&handle_encoding);
      r->index_block.Add(r->last_key, handle_encoding);
      r->pending_index_entry = false;
    }
    r->WriteRaw(r->index_block.Finish(), &index_handle);
    r->props.index_size = index_handle.size() + kBlockTrailerSize;
  }

  if (r->status.ok()) {
    BlockHandle props_handle;
    r->WriteRaw(r->props.Encode(), &props_handle);
    meta[kPropertiesBlockName] = props_handle;
  }

  BlockHandle metaindex_handle;
  if (r->status.ok()) {
    BlockBuilder metaindex(1);
    for (const auto& [name, handle] : meta) {
      std::string encoding;
      handle.EncodeTo(&encoding);
      metaindex.Add(name, encoding);
    }
    r->WriteRaw(metaindex.Finish(), &metaindex_handle);
  }

  if (r->status.ok()) {
    Footer footer;
    footer.set_metaindex_handle(metaindex_handle);
    footer.set_index_handle(index_handle);
    std::string encoding;
    footer.EncodeTo(&encoding);
    r->status = r->file->Append(encoding);
    if (r->status.ok()) r->offset += encoding.size();
  }
  return r->status;
}

void TableBuilder::Abandon() { rep_->closed = true; }

uint64_t TableBuilder::NumEntries() const { return rep_->props.num_entries; }

uint64_t TableBuilder::FileSize() const { return rep_->offset; }

}  // namespace jadedb::lsm
