#include "lsm/sstable/table_dump.h"

#include <cstdio>
#include <memory>
#include <string_view>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/table_properties.h"

namespace jadedb::lsm {
namespace {

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out.append(buf);
    }
  }
  return out;
}

std::string HandleString(const BlockHandle& h) {
  return "offset " + std::to_string(h.offset()) + " size " + std::to_string(h.size());
}

// Dumps tables whose keys are internal keys (decoded) or plain keys (quoted).
class Dumper {
 public:
  Dumper(const RandomAccessFile* file, const std::string& path, uint64_t file_size,
         std::string* out)
      : file_(file), path_(path), file_size_(file_size), out_(out) {}

  Status Run() {
    out_->append("table " + path_ + " (" + std::to_string(file_size_) + " bytes)\n");
    Footer footer;
    Status s = ReadFooter(file_, path_, file_size_, &footer);
    if (!s.ok()) return s;
    char magic[32];
    std::snprintf(magic, sizeof(magic), "0x%016llx",
                  static_cast<unsigned long long>(kTableMagicNumber));
    out_->append("footer:\n  metaindex: " + HandleString(footer.metaindex_handle()) +
                 "\n  index: " + HandleString(footer.index_handle()) + "\n  format version: " +
                 std::to_string(footer.version()) + "\n  magic: " + magic + "\n");

    std::unique_ptr<Block> metaindex;
    if (!(s = ReadParsed(footer.metaindex_handle(), &metaindex)).ok()) return s;
    out_->append("metaindex:\n");
    auto meta =
        metaindex->NewIterator(BytewiseComparator(), path_, footer.metaindex_handle().offset());
    BlockHandle properties_handle;
    bool have_properties = false;
    for (meta->SeekToFirst(); meta->Valid(); meta->Next()) {
      BlockHandle h;
      if (!(s = DecodeHandle(meta->value(), footer.metaindex_handle(), &h)).ok()) return s;
      out_->append("  " + Escape(meta->key()) + " -> " + HandleString(h) + "\n");
      if (meta->key() == kPropertiesBlockName) {
        properties_handle = h;
        have_properties = true;
      }
    }
    if (!meta->status().ok()) return meta->status();

    if (have_properties) {
      std::unique_ptr<Block> block;
      if (!(s = ReadParsed(properties_handle, &block)).ok()) return s;
      TableProperties props;
      if (!(s = props.DecodeFrom(*block, path_, properties_handle.offset())).ok()) return s;
      out_->append("properties:\n" + props.ToString("  "));
      internal_keys_ = props.comparator_name == "jadedb.InternalKeyComparator";
      if (internal_keys_) {
        out_->append("keys: 'user_key' @ sequence : type (1 = value, 0 = deletion)\n");
      }
    }

    std::unique_ptr<Block> index;
    if (!(s = ReadParsed(footer.index_handle(), &index)).ok()) return s;
    // Iterated in stored order, which needs no comparator.
    auto index_iter =
        index->NewIterator(BytewiseComparator(), path_, footer.index_handle().offset());
    std::vector<BlockHandle> data_handles;
    out_->append("index:\n");
    for (index_iter->SeekToFirst(); index_iter->Valid(); index_iter->Next()) {
      BlockHandle h;
      if (!(s = DecodeHandle(index_iter->value(), footer.index_handle(), &h)).ok()) return s;
      out_->append("  " + KeyString(index_iter->key()) + " -> " + HandleString(h) + "\n");
      data_handles.push_back(h);
    }
    if (!index_iter->status().ok()) return index_iter->status();

    for (size_t i = 0; i < data_handles.size(); i++) {
      const BlockHandle& h = data_handles[i];
      out_->append("data block " + std::to_string(i) + " (" + HandleString(h) + "):\n");
      std::unique_ptr<Block> block;
      if (!(s = ReadParsed(h, &block)).ok()) return s;
      auto it = block->NewIterator(BytewiseComparator(), path_, h.offset());
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out_->append("  " + KeyString(it->key()) + " => '" + Escape(it->value()) + "'\n");
      }
      if (!it->status().ok()) return it->status();
    }
    return Status::OK();
  }

 private:
  Status ReadParsed(const BlockHandle& h, std::unique_ptr<Block>* block) {
    BlockContents contents;
    Status s = ReadBlock(file_, path_, file_size_, h, /*verify_checksum=*/true, &contents);
    if (s.ok()) *block = std::make_unique<Block>(std::move(contents));
    return s;
  }

  Status DecodeHandle(std::string_view encoding, const BlockHandle& in_block, BlockHandle* h) {
    if (h->DecodeFrom(&encoding)) return Status::OK();
    return BlockCorruption(path_, in_block.offset(), in_block.size(), "bad block handle");
  }

  std::string KeyString(std::string_view key) const {
    ParsedInternalKey parsed;
    if (internal_keys_ && ParseInternalKey(key, &parsed)) {
      // Same form as ParsedInternalKey::DebugString, so dumps and logs can be grepped alike.
      return "'" + Escape(parsed.user_key) + "' @ " + std::to_string(parsed.sequence) + " : " +
             std::to_string(static_cast<int>(parsed.type));
    }
    return "'" + Escape(key) + "'";
  }

  const RandomAccessFile* const file_;
  const std::string& path_;
  const uint64_t file_size_;
  std::string* const out_;
  bool internal_keys_ = false;
};

}  // namespace

Status DumpTableFile(Env* env, const std::string& path, std::string* out) {
  uint64_t file_size = 0;
  Status s = env->GetFileSize(path, &file_size);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  s = env->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  return Dumper(file.get(), path, file_size, out).Run();
}

}  // namespace jadedb::lsm
