#include "lsm/sstable/table_properties.h"

#include <map>

#include "lsm/sstable/block.h"
#include "lsm/sstable/block_builder.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

// Property names as stored; the block needs them in bytewise order, which std::map gives.
constexpr const char* kComparator = "jadedb.comparator";
constexpr const char* kCompression = "jadedb.compression";
constexpr const char* kDataSize = "jadedb.data.size";
constexpr const char* kFilterPolicy = "jadedb.filter.policy";
constexpr const char* kFilterSize = "jadedb.filter.size";
constexpr const char* kIndexSize = "jadedb.index.size";
constexpr const char* kNumCompressedBlocks = "jadedb.num.compressed.blocks";
constexpr const char* kNumDataBlocks = "jadedb.num.data.blocks";
constexpr const char* kNumEntries = "jadedb.num.entries";
constexpr const char* kNumRangeDeletions = "jadedb.num.range.deletions";
constexpr const char* kRawKeySize = "jadedb.raw.key.size";
constexpr const char* kRawValueSize = "jadedb.raw.value.size";

std::string Varint(uint64_t v) {
  std::string s;
  PutVarint64(&s, v);
  return s;
}

}  // namespace

std::string TableProperties::Encode() const {
  std::map<std::string, std::string> props = {
      {kComparator, comparator_name},
      {kDataSize, Varint(data_size)},
      {kFilterPolicy, filter_policy_name},
      {kFilterSize, Varint(filter_size)},
      {kIndexSize, Varint(index_size)},
      {kNumDataBlocks, Varint(num_data_blocks)},
      {kNumEntries, Varint(num_entries)},
      {kRawKeySize, Varint(raw_key_size)},
      {kRawValueSize, Varint(raw_value_size)},
      {kCompression, compression_name},
      {kNumCompressedBlocks, Varint(num_compressed_blocks)},
      {kNumRangeDeletions, Varint(num_range_deletions)},
  };
  // Names share the "jadedb." prefix: the default restart interval lets entries share it.
  BlockBuilder builder(16);
  for (const auto& [name, value] : props) builder.Add(name, value);
  return std::string(builder.Finish());
}

Status TableProperties::DecodeFrom(const Block& block, std::string_view file_name,
                                   uint64_t block_offset) {
  const std::map<std::string_view, uint64_t*> numbers = {
      {kDataSize, &data_size},
      {kFilterSize, &filter_size},
      {kIndexSize, &index_size},
      {kNumDataBlocks, &num_data_blocks},
      {kNumEntries, &num_entries},
      {kRawKeySize, &raw_key_size},
      {kRawValueSize, &raw_value_size},
      {kNumCompressedBlocks, &num_compressed_blocks},
      {kNumRangeDeletions, &num_range_deletions},
  };
  auto iter = block.NewIterator(BytewiseComparator(), file_name, block_offset);
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    const std::string_view name = iter->key();
    if (name == kComparator) {
      comparator_name.assign(iter->value());
    } else if (name == kCompression) {
      compression_name.assign(iter->value());
    } else if (name == kFilterPolicy) {
      filter_policy_name.assign(iter->value());
    } else if (auto it = numbers.find(name); it != numbers.end()) {
      std::string_view v = iter->value();
      if (!GetVarint64(&v, it->second) || !v.empty()) {
        return BlockCorruption(file_name, block_offset, block.size(),
                               "bad value for property " + std::string(name));
      }
    }
  }
  return iter->status();
}

std::string TableProperties::ToString(std::string_view indent) const {
  std::string out;
  auto line = [&](std::string_view name, const std::string& value) {
    out.append(indent);
    out.append(name);
    out.append(": ");
    out.append(value);
    out.push_back('\n');
  };
  line("comparator", comparator_name);
  line("filter policy", filter_policy_name.empty() ? "(none)" : filter_policy_name);
  line("num entries", std::to_string(num_entries));
  line("num data blocks", std::to_string(num_data_blocks));
  line("compression", compression_name.empty() ? "none" : compression_name);
  line("num compressed blocks", std::to_string(num_compressed_blocks));
  line("num range deletions", std::to_string(num_range_deletions));
  line("raw key bytes", std::to_string(raw_key_size));
  line("raw value bytes", std::to_string(raw_value_size));
  line("data size", std::to_string(data_size));
  line("index size", std::to_string(index_size));
  line("filter size", std::to_string(filter_size));
  return out;
}

}  // namespace jadedb::lsm
