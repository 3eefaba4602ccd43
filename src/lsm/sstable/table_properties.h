// TableProperties: facts about a table recorded in its "jadedb.properties" meta block
// (docs/formats/sstable.md): entry and block counts, raw and on-disk sizes, and the names of
// the comparator and filter policy it was written with. Plain value.
#pragma once

#include <cstdint>
#include <string>

#include "jadedb/status.h"

namespace jadedb::lsm {

class Block;

// The metaindex key of the properties block.
inline constexpr const char* kPropertiesBlockName = "jadedb.properties";
// The metaindex key of the range-deletion block (absent when the table has no tombstones).
inline constexpr const char* kRangeDelBlockName = "jadedb.range_del";

struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t num_data_blocks = 0;
  uint64_t raw_key_size = 0;    // sum of key lengths as added
  uint64_t raw_value_size = 0;  // sum of value lengths as added
  uint64_t data_size = 0;       // bytes of data blocks, trailers included
  uint64_t index_size = 0;      // bytes of the index block, trailer included
  uint64_t filter_size = 0;     // bytes of the filter block, trailer included (0: none)
  std::string comparator_name;
  std::string filter_policy_name;      // empty when the table has no filter
  std::string compression_name;        // codec data blocks were written with ("none", "lz4", ...)
  uint64_t num_compressed_blocks = 0;  // data blocks stored compressed (the rest saved < 1/8)
  uint64_t num_range_deletions = 0;    // entries of the range-deletion block

  // The contents of a properties block (a block of name -> value entries; numbers are
  // varint64s).
  std::string Encode() const;
  // Parses a properties block; unknown names are skipped so newer writers stay readable.
  // Corruption naming file_name and block_offset when a value does not parse.
  Status DecodeFrom(const Block& block, std::string_view file_name, uint64_t block_offset);

  // One "name: value" line per property, each prefixed with indent.
  std::string ToString(std::string_view indent = "") const;
};

}  // namespace jadedb::lsm
