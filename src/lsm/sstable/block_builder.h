// BlockBuilder: builds the contents of one block (data, index, metaindex, properties) from
// keys added in increasing order (docs/formats/sstable.md):
//   entry*  : varint32 shared | varint32 non_shared | varint32 value_length |
//             key bytes [shared, shared+non_shared) | value
//   restart*: fixed32 offset of each restart entry (an entry with shared == 0)
//   fixed32 number of restarts (>= 1)
// Every `restart_interval`-th entry stores its key whole, so a reader can binary-search the
// restarts. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jadedb::lsm {

class BlockBuilder {
 public:
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Back to the empty state (after Finish, to start the next block).
  void Reset();
  // key must sort after every key added since Reset (the caller's comparator order).
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array; the result stays valid until Reset.
  std::string_view Finish();
  // Size of the block Finish would produce now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace jadedb::lsm
