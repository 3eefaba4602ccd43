#include "lsm/sstable/block.h"

#include <cstring>
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

namespace {

// Decodes the entry header at p (bounded by limit); returns the start of the key delta, or
// null when the header or the key/value bytes it announces do not fit.
inline const char* DecodeEntry(const char* p, const char* limit, uint32_t* shared,
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

// Length of the common prefix of a[0, n) and b[0, n), comparing 8 bytes at a time.
inline size_t CommonPrefix(const char* a, const char* b, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    // The lowest differing bit is in the first differing byte on a little-endian host.
    if (x != y) return i + static_cast<size_t>(__builtin_ctzll(x ^ y)) / 8;
  }
  while (i < n && a[i] == b[i]) i++;
  return i;
}

}  // namespace

BlockCursor::BlockCursor(const Block* block, const Comparator* comparator,
                         std::string_view file_name, uint64_t block_offset)
    : comparator_(comparator),
      data_(block->contents_.data.data()),
      size_(block->contents_.data.size()),
      restarts_(block->restart_offset_),
      num_restarts_(block->num_restarts_),
      current_(restarts_),
      restart_index_(num_restarts_),
      next_restart_(restarts_),
      file_name_(file_name),
      block_offset_(block_offset) {
  // A malformed block has no restarts (and restart_offset_ 0): never valid.
  if (block->malformed_) CorruptionError("bad restart array");
}

uint32_t BlockCursor::RestartPoint(uint32_t index) const {
  return DecodeFixed32(data_ + restarts_ + index * sizeof(uint32_t));
}

void BlockCursor::SeekToRestartPoint(uint32_t index) {
  key_ = {};
  restart_index_ = index;
  next_restart_ = index + 1 < num_restarts_ ? RestartPoint(index + 1) : restarts_;
  // ParseNextKey starts at the end of value_.
  value_ = std::string_view(data_ + RestartPoint(index), 0);
}

void BlockCursor::MarkInvalid() {
  current_ = restarts_;
  restart_index_ = num_restarts_;
  next_restart_ = restarts_;
  key_ = {};
  value_ = {};
}

void BlockCursor::CorruptionError(std::string_view what) {
  MarkInvalid();
  if (status_.ok()) {
    status_ =
        BlockCorruption(file_name_.empty() ? "(block)" : file_name_, block_offset_, size_, what);
  }
}

void BlockCursor::GrowKeyBuffer(size_t n, size_t keep) {
  size_t size = key_buf_size_;
  while (size < n) size *= 2;
  auto bigger = std::make_unique<char[]>(size);
  // key_ may point into the old buffer: copy before it goes.
  if (keep > 0) std::memcpy(bigger.get(), key_.data(), keep);
  heap_key_ = std::move(bigger);
  key_buf_ = heap_key_.get();
  key_buf_size_ = size;
}

bool BlockCursor::ParseNextKey() {
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
  if (shared == 0) {
    key_ = std::string_view(p, non_shared);  // whole key in the block: no copy
  } else {
    const size_t n = size_t{shared} + non_shared;
    if (n > key_buf_size_) {
      GrowKeyBuffer(n, shared);
    } else if (key_.data() != key_buf_) {
      std::memcpy(key_buf_, key_.data(), shared);  // key_ was in the block: take its prefix
    }
    std::memcpy(key_buf_ + shared, p, non_shared);
    key_ = std::string_view(key_buf_, n);
  }
  value_ = std::string_view(p + non_shared, value_length);
  if (current_ >= next_restart_) {
    do {
      restart_index_++;
      next_restart_ =
          restart_index_ + 1 < num_restarts_ ? RestartPoint(restart_index_ + 1) : restarts_;
    } while (current_ >= next_restart_);
  }
  return true;
}

void BlockCursor::Next() {
  if (!Valid()) return;
  ParseNextKey();
}

void BlockCursor::Prev() {
  if (!Valid()) return;
  const uint32_t original = current_;
  // Back up to the last restart point before the current entry.
  uint32_t index = restart_index_;
  while (RestartPoint(index) >= original) {
    if (index == 0) {  // current_ was the first entry
      MarkInvalid();
      return;
    }
    index--;
  }
  SeekToRestartPoint(index);
  // Walk forward to the entry just before original.
  do {
    if (!ParseNextKey()) return;
  } while (NextEntryOffset() < original);
  if (NextEntryOffset() != original) CorruptionError("entries overlap");
}

void BlockCursor::Seek(std::string_view target) {
  if (!status_.ok() || num_restarts_ == 0) return;
  SeekRange(target, 0, num_restarts_ - 1);
}

void BlockCursor::SeekWithin(std::string_view target, uint32_t lo, uint32_t hi) {
  if (!status_.ok() || num_restarts_ == 0) return;
  if (hi > num_restarts_) hi = num_restarts_;
  if (lo > hi) lo = hi;
  // The last restart point with a key < target is in [lo - 1, hi - 1] (lo - 1 when every key
  // from restart lo on is >= target); restart 0 stands for "none".
  const uint32_t left = lo > 0 ? lo - 1 : 0;
  const uint32_t right = hi > 0 ? hi - 1 : 0;
  SeekRange(target, left, right);
}

void BlockCursor::SeekRange(std::string_view target, uint32_t left, uint32_t right) {
  // Binary search for the last restart point whose key is < target. Keys at restart points
  // share no prefix, so they are compared in place.
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
  if (comparator_->is_bytewise_internal() && target.size() >= 8) {
    ScanBytewiseInternal(left, target);
    return;
  }
  SeekToRestartPoint(left);
  while (ParseNextKey()) {
    if (CompareKeys(comparator_, key_, target) >= 0) return;
  }
}

void BlockCursor::SetCurrentFromTarget(uint32_t offset, const char* p, uint32_t shared,
                                       uint32_t non_shared, uint32_t value_length,
                                       std::string_view target) {
  current_ = offset;
  if (shared == 0) {
    key_ = std::string_view(p, non_shared);
  } else {
    const size_t n = size_t{shared} + non_shared;
    if (n > key_buf_size_) {
      key_ = {};
      GrowKeyBuffer(n, 0);
    }
    std::memcpy(key_buf_, target.data(), shared);
    std::memcpy(key_buf_ + shared, p, non_shared);
    key_ = std::string_view(key_buf_, n);
  }
  value_ = std::string_view(p + non_shared, value_length);
  while (current_ >= next_restart_) {
    restart_index_++;
    next_restart_ =
        restart_index_ + 1 < num_restarts_ ? RestartPoint(restart_index_ + 1) : restarts_;
  }
}

// Decides most entries from the bytes each shares with the previous key instead of rebuilding
// and comparing every key. While `below` holds, the previous key is < target, equals target
// in its first `match` bytes, and is smaller at byte `match`, inside both user keys. A key
// sharing more than `match` bytes with it has that same smaller byte at the same place (and
// its user key is no shorter, keys being sorted), so it is < target too: skipped unread. A key
// sharing at most `match` bytes starts with target[0, shared), so only its delta is compared,
// and it can be rebuilt from target. Only a difference in the tags or lengths (the same user
// key, or one a prefix of the other) takes the full comparison.
void BlockCursor::ScanBytewiseInternal(uint32_t index, std::string_view target) {
  SeekToRestartPoint(index);
  const char* const limit = data_ + restarts_;
  const size_t target_user = target.size() - 8;
  uint32_t offset = RestartPoint(index);
  size_t prev_len = 0;  // length of the previous key
  size_t match = 0;
  bool below = false;
  while (offset < restarts_) {
    uint32_t shared, non_shared, value_length;
    const char* p = DecodeEntry(data_ + offset, limit, &shared, &non_shared, &value_length);
    if (p == nullptr || shared > prev_len) {
      current_ = offset;
      CorruptionError("bad entry in block");
      return;
    }
    const uint32_t next = static_cast<uint32_t>(p - data_) + non_shared + value_length;
    const size_t len = size_t{shared} + non_shared;
    if (below && shared > match) {  // below target, like the previous key
      prev_len = len;
      offset = next;
      continue;
    }
    // Here shared <= match (or shared == 0 at the restart point): the key begins with
    // target[0, shared). Find where the rest first differs from target.
    const size_t stop = len < target.size() ? len : target.size();
    const size_t pos = shared + CommonPrefix(p, target.data() + shared, stop - shared);
    if (len >= 8 && pos < len - 8 && pos < target_user) {
      // Decided inside both user keys.
      if (static_cast<unsigned char>(p[pos - shared]) < static_cast<unsigned char>(target[pos])) {
        below = true;
        match = pos;
        prev_len = len;
        offset = next;
        continue;
      }
      SetCurrentFromTarget(offset, p, shared, non_shared, value_length, target);
      return;
    }
    // Same user key (or one a prefix of the other, or a malformed short key): full compare.
    SetCurrentFromTarget(offset, p, shared, non_shared, value_length, target);
    if (CompareKeys(comparator_, key_, target) >= 0) return;
    // Below target without the invariant: continue the plain way from this entry.
    while (ParseNextKey()) {
      if (CompareKeys(comparator_, key_, target) >= 0) return;
    }
    return;
  }
  MarkInvalid();
}

void BlockCursor::SeekToRestart(uint32_t index) {
  if (!status_.ok()) return;
  if (index >= num_restarts_) {
    MarkInvalid();
    return;
  }
  SeekToRestartPoint(index);
  ParseNextKey();
}

void BlockCursor::SeekToFirst() {
  if (!status_.ok() || num_restarts_ == 0) return;
  SeekToRestartPoint(0);
  ParseNextKey();
}

void BlockCursor::SeekToLast() {
  if (!status_.ok() || num_restarts_ == 0) return;
  SeekToRestartPoint(num_restarts_ - 1);
  while (ParseNextKey() && NextEntryOffset() < restarts_) {
  }
}

// The heap iterator: a BlockCursor behind the InternalIterator interface.
class Block::Iter final : public InternalIterator {
 public:
  Iter(const Comparator* comparator, const Block* block, std::string_view file_name,
       uint64_t block_offset)
      : cursor_(block, comparator, file_name, block_offset) {}

  bool Valid() const override { return cursor_.Valid(); }
  Status status() const override { return cursor_.status(); }
  std::string_view key() const override { return cursor_.key(); }
  std::string_view value() const override { return cursor_.value(); }
  void Next() override { cursor_.Next(); }
  void Prev() override { cursor_.Prev(); }
  void Seek(std::string_view target) override { cursor_.Seek(target); }
  void SeekToFirst() override { cursor_.SeekToFirst(); }
  void SeekToLast() override { cursor_.SeekToLast(); }

 private:
  BlockCursor cursor_;
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
