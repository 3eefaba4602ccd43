#include "lsm/sstable/index_search.h"

#include <algorithm>
#include <cstring>

namespace jadedb::lsm {

std::unique_ptr<IndexSearch> IndexSearch::Build(const Block& index, const Comparator* comparator) {
  if (!comparator->is_bytewise_internal() || index.NumRestarts() == 0) return nullptr;
  // First pass: check the shape and find the prefix shared by every user key but the last.
  // The keys are sorted bytewise, so that is the common prefix of the first and the
  // next-to-last. The last is left out because the table builder shortens it to a successor
  // of the table's last key ("0000123" becomes "1"), which would leave no common prefix.
  uint32_t count = 0;
  std::string first;
  std::string before_last;
  {
    BlockCursor it(&index, comparator);
    for (it.SeekToFirst(); it.Valid(); it.Next()) {
      if (it.key().size() < 8 || it.restart_index() != count) return nullptr;
      if (count == 0) first.assign(it.key().data(), it.key().size() - 8);
      count++;
    }
    if (!it.status().ok() || count != index.NumRestarts()) return nullptr;
  }
  auto search = std::unique_ptr<IndexSearch>(new IndexSearch());
  search->num_entries_ = count;
  if (count >= 2) {
    BlockCursor it(&index, comparator);
    it.SeekToRestart(count - 2);
    // A damaged block can decode differently from its restart point than in sequence.
    if (!it.Valid() || it.key().size() < 8) return nullptr;
    before_last.assign(it.key().data(), it.key().size() - 8);
    const size_t n = std::min(first.size(), before_last.size());
    size_t common = 0;
    while (common < n && first[common] == before_last[common]) common++;
    search->common_ = first.substr(0, common);
  }
  search->keys_.reserve(count - 1);
  BlockCursor it(&index, comparator);
  const std::string_view common = search->common_;
  for (it.SeekToFirst(); it.Valid() && search->keys_.size() + 1 < count; it.Next()) {
    // Summary needs every summarized key to start with common_: sorted keys do, keys of a
    // damaged block may not (nor be 8 bytes long): then no summaries, plain binary search.
    const std::string_view key = it.key();
    if (key.size() < 8 + common.size() || key.substr(0, common.size()) != common) return nullptr;
    search->keys_.push_back(search->Summary(key.substr(0, key.size() - 8)));
  }
  if (!it.status().ok() || search->keys_.size() + 1 != count) return nullptr;
  const uint32_t summarized = count - 1;
  search->top_.reserve((summarized + kStride - 1) / kStride);
  for (uint32_t i = 0; i < summarized; i += kStride) search->top_.push_back(search->keys_[i]);
  return search;
}

uint64_t IndexSearch::Summary(std::string_view user_key) const {
  const size_t skip = common_.size();
  const size_t rest = user_key.size() - skip;
  uint64_t v = 0;
  if (rest >= 8) {
    std::memcpy(&v, user_key.data() + skip, 8);
  } else {
    std::memcpy(&v, user_key.data() + skip, rest);  // the missing low bytes stay zero
  }
  return __builtin_bswap64(v);  // big-endian: integer order is byte order
}

void IndexSearch::Narrow(std::string_view target, uint32_t* lo, uint32_t* hi) const {
  // Entries [0, n) have summaries; the last entry (number n) does not, and only comes into
  // play when the target is past every summarized entry.
  const uint32_t n = static_cast<uint32_t>(keys_.size());
  *lo = 0;
  *hi = num_entries_;
  if (target.size() < 8) return;
  const std::string_view user = target.substr(0, target.size() - 8);
  // Every entry's user key starts with common_. A target that differs from it inside both, or
  // is a proper prefix of it, sorts before or after all of them.
  const size_t m = std::min(user.size(), common_.size());
  const int c = m == 0 ? 0 : std::memcmp(user.data(), common_.data(), m);
  if (c < 0 || (c == 0 && user.size() < common_.size())) {
    *hi = 0;
    return;
  }
  if (c > 0) {
    *lo = n;  // after every summarized entry: the last one, or none
    return;
  }
  // A smaller summary means a smaller user key (zero padding only ever makes a proper prefix
  // compare smaller), so a smaller internal key; a larger summary a larger one. Equal
  // summaries need the real keys.
  const uint64_t t = Summary(user);
  const uint64_t* const keys = keys_.data();
  // Top level: top_[j - 1] < t <= top_[j] puts the first summary >= t in keys_ positions
  // ((j - 1) * kStride, j * kStride].
  const size_t j = std::lower_bound(top_.begin(), top_.end(), t) - top_.begin();
  uint32_t first = 0;
  if (j > 0) {
    const uint32_t begin = static_cast<uint32_t>((j - 1) * kStride + 1);
    const uint32_t end = static_cast<uint32_t>(std::min<size_t>(j * kStride, n));
    first = static_cast<uint32_t>(std::lower_bound(keys + begin, keys + end, t) - keys);
  }
  *lo = first;
  // Equal summaries are rare (keys equal on 8 bytes past the common prefix): step over a few,
  // and search for the end of a longer run.
  uint32_t end = first;
  while (end < n && keys[end] == t && end - first < 4) end++;
  if (end < n && keys[end] == t) {
    const size_t k = std::upper_bound(top_.begin(), top_.end(), t) - top_.begin();
    // top_[k - 1] <= t < top_[k]: the first summary > t is in ((k - 1) * kStride, k * kStride].
    const uint32_t begin = static_cast<uint32_t>((k - 1) * kStride + 1);
    const uint32_t stop = static_cast<uint32_t>(std::min<size_t>(k * kStride, n));
    end = static_cast<uint32_t>(std::upper_bound(keys + begin, keys + stop, t) - keys);
  }
  // Past every summarized entry, the answer is the last entry or none.
  *hi = end < n ? end : num_entries_;
}

size_t IndexSearch::MemoryUsage() const {
  return sizeof(*this) + common_.capacity() + (keys_.capacity() + top_.capacity()) * 8;
}

}  // namespace jadedb::lsm
