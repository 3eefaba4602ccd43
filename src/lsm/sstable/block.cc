#include "lsm/sstable/block.h"

#include <string>

#include "lsm/base/dbformat.h"
#include "util/coding.h"

namespace jadedb::lsm {

Block::Block(BlockContents contents) : contents_(std::move(contents)) {
  const std::string_view data = contents_.data;
  if (data.size() < sizeof(uint32_t)) {
    malformed_ = true;
    return;
  }
  const size_t max_restarts = (data.size() - sizeof(uint32_t)) / sizeof(uint32_t);
  num_restarts_ = DecodeFixed32(data.data() + data.size() - sizeof(uint32_t));
  // The builder always writes at least one restart (at offset 0).
  if (num_restarts_ == 0 || num_restarts_ > max_restarts) {
    malformed_ = true;
    num_restarts_ = 0;
    return;
  }
  restart_offset_ =
      static_cast<uint32_t>(data.size() - (1 + size_t{num_restarts_}) * sizeof(uint32_t));
  // Restart offsets must be strictly increasing and point at entries (before the restart
  // array). Checking them all here keeps the iterator's binary search simple and safe.
  uint32_t prev = 0;
  for (uint32_t i = 0; i < num_restarts_; i++) {
    uint32_t r = DecodeFixed32(data.data() + restart_offset_ + i * sizeof(uint32_t));
    bool ok = (i == 0) ? r == 0 : (r > prev && r < restart_offset_);
    if (!ok) {
      malformed_ = true;
      num_restarts_ = 0;
      return;
    }
    prev = r;
  }
  // One restart at 0 with no entries is an empty block; restarts but no room for entries is
  // not.
  if (num_restarts_ > 1 && restart_offset_ == 0) malformed_ = true;
}

// Iterates the entries between data_ and data_ + restarts_. current_ is the offset of the
// current entry (restarts_ when not valid); key_ holds the fully decoded current key.
class Block::Iter final : public InternalIterator {
 public:
  Iter(const Comparator* comparator, const Block* block, std::string_view file_name,
       uint64_t block_offset)
      : comparator_(comparator),
        data_(block->contents_.data.data()),
        size_(block->contents_.data.size()),
        restarts_(block->restart_offset_),
        num_restarts_(block->num_restarts_),
        current_(restarts_),
        restart_index_(num_restarts_),
        file_name_(file_name),
        block_offset_(block_offset) {}

  bool Valid() const override { return current_ < restarts_; }
  Status status() const override { return status_; }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }

  void Next() override {
    if (!Valid()) return;
    ParseNextKey();
  }

  void Prev() override {
    if (!Valid()) return;
    const uint32_t original = current_;
    // Back up to the last restart point before the current entry.
    while (RestartPoint(restart_index_) >= original) {
      if (restart_index_ == 0) {  // current_ was the first entry
        MarkInvalid();
        return;
      }
      restart_index_--;
    }
    SeekToRestartPoint(restart_index_);
    // Walk forward to the entry just before original.
    do {
      if (!ParseNextKey()) return;
    } while (NextEntryOffset() < original);
    if (NextEntryOffset() != original) CorruptionError("entries overlap");
  }

  void Seek(std::string_view target) override {
    if (!status_.ok() || num_restarts_ == 0) return;
    // Binary search for the last restart point whose key is < target.
    uint32_t left = 0;
    uint32_t right = num_restarts_ - 1;
    while (left < right) {
      uint32_t mid = left + (right - left + 1) / 2;
      uint32_t shared, non_shared, value_length;
      const char* key_ptr = DecodeEntry(data_ + RestartPoint(mid), data_ + restarts_, &shared,
                                        &non_shared, &value_length);
      if (key_ptr == nullptr || shared != 0) {
        CorruptionError("bad entry at restart point");
        return;
      }
      if (CompareKeys(comparator_, std::string_view(key_ptr, non_shared), target) < 0) {
        left = mid;
      } else {
        right = mid - 1;
      }
    }
    SeekToRestartPoint(left);
    while (ParseNextKey()) {
      if (CompareKeys(comparator_, key_, target) >= 0) return;
    }
  }

  void SeekToFirst() override {
    if (!status_.ok() || num_restarts_ == 0) return;
    SeekToRestartPoint(0);
    ParseNextKey();
  }

  void SeekToLast() override {
    if (!status_.ok() || num_restarts_ == 0) return;
    SeekToRestartPoint(num_restarts_ - 1);
    while (ParseNextKey() && NextEntryOffset() < restarts_) {
    }
  }

 private:
  // Decodes the entry header at p (bounded by limit); returns the start of the key delta, or
  // null when the header or the key/value bytes it announces do not fit.
  static const char* DecodeEntry(const char* p, const char* limit, uint32_t* shared,
                                 uint32_t* non_shared, uint32_t* value_length) {
    if (limit - p < 3) return nullptr;
    *shared = static_cast<unsigned char>(p[0]);
    *non_shared = static_cast<unsigned char>(p[1]);
    *value_length = static_cast<unsigned char>(p[2]);
    if ((*shared | *non_shared | *value_length) < 128) {
      p += 3;  // fast path: all three lengths fit in one byte each
    } else {
      if ((p = GetVarint32Ptr(p, limit, shared)) == nullptr) return nullptr;
      if ((p = GetVarint32Ptr(p, limit, non_shared)) == nullptr) return nullptr;
      if ((p = GetVarint32Ptr(p, limit, value_length)) == nullptr) return nullptr;
    }
    if (static_cast<uint64_t>(limit - p) < uint64_t{*non_shared} + *value_length) return nullptr;
    return p;
  }

  uint32_t RestartPoint(uint32_t index) const {
    return DecodeFixed32(data_ + restarts_ + index * sizeof(uint32_t));
  }

  uint32_t NextEntryOffset() const {
    return static_cast<uint32_t>((value_.data() + value_.size()) - data_);
  }

  void SeekToRestartPoint(uint32_t index) {
    key_.clear();
    restart_index_ = index;
    // ParseNextKey starts at the end of value_.
    value_ = std::string_view(data_ + RestartPoint(index), 0);
  }

  void MarkInvalid() {
    current_ = restarts_;
    restart_index_ = num_restarts_;
    key_.clear();
    value_ = {};
  }

  void CorruptionError(std::string_view what) {
    MarkInvalid();
    if (status_.ok()) {
      status_ =
          BlockCorruption(file_name_.empty() ? "(block)" : file_name_, block_offset_, size_, what);
    }
  }

  // Moves to the entry after the current one; false at the end or on corruption.
  bool ParseNextKey() {
    current_ = NextEntryOffset();
    if (current_ >= restarts_) {
      MarkInvalid();
      return false;
    }
    uint32_t shared, non_shared, value_length;
    const char* p =
        DecodeEntry(data_ + current_, data_ + restarts_, &shared, &non_shared, &value_length);
    if (p == nullptr || key_.size() < shared) {
      CorruptionError("bad entry in block");
      return false;
    }
    key_.resize(shared);
    key_.append(p, non_shared);
    value_ = std::string_view(p + non_shared, value_length);
    while (restart_index_ + 1 < num_restarts_ && RestartPoint(restart_index_ + 1) <= current_) {
      restart_index_++;
    }
    return true;
  }

  const Comparator* const comparator_;
  const char* const data_;
  const size_t size_;
  const uint32_t restarts_;
  const uint32_t num_restarts_;

  uint32_t current_;
  uint32_t restart_index_;  // the restart block current_ is in
  std::string key_;
  std::string_view value_;
  Status status_;
  const std::string_view file_name_;
  const uint64_t block_offset_;
};

std::unique_ptr<InternalIterator> Block::NewIterator(const Comparator* comparator,
                                                     std::string_view file_name,
                                                     uint64_t block_offset) const {
  if (malformed_) {
    return NewErrorIterator(BlockCorruption(file_name.empty() ? "(block)" : file_name, block_offset,
                                            size(), "bad restart array"));
  }
  return std::make_unique<Iter>(comparator, this, file_name, block_offset);
}

}  // namespace jadedb::lsm
