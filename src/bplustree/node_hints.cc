#include "bplustree/node_hints.h"

#include <algorithm>
#include <bit>

#include "bplustree/mapped_node.h"
#include "bplustree/node.h"
#include "bplustree/seqlock.h"
#include "util/coding.h"

namespace jadedb::bplustree {

namespace {

// Bytes [from, from + 8) of s, big-endian, zero-padded past its end: integers that order like
// the bytes they hold (a padded 0 ties with a real 0, so equal heads decide nothing).
uint64_t BigEndian8(std::string_view s, size_t from) {
  uint64_t v = 0;
  for (size_t i = from; i < from + 8; i++) v = (v << 8) | (i < s.size() ? uint8_t(s[i]) : 0);
  return v;
}

}  // namespace

void NodeHints::Range(std::string_view target, size_t* lo, size_t* hi) const {
  *lo = base;
  *hi = count;
  if (count == 0 || target.size() < prefix_len) return;
  const uint64_t target_prefix = BigEndian8(target.substr(0, prefix_len), 0);
  if (target_prefix != prefix) {
    // Every key of the node starts with the prefix: target sorts before or after them all.
    if (target_prefix < prefix) {
      *hi = base;
    } else {
      *lo = count;
    }
    return;
  }
  const uint64_t head = BigEndian8(target, prefix_len);
  // A sample whose head is below target's has a smaller key (the prefixes are equal), one
  // whose head is above has a larger key; equal heads decide nothing.
  size_t j = 0;
  while (j < kSamples && heads[j] < head) j++;
  if (j > 0) *lo = Sample(j - 1) + 1;
  while (j < kSamples && heads[j] == head) j++;
  if (j < kSamples) *hi = Sample(j);
}

bool ComputeNodeHints(const char* page, size_t page_size, NodeHints* hints) {
  const PageType type = PageView(page, page_size).type();
  if (type != PageType::kLeaf && type != PageType::kInternal) return false;
  const char* node = page + PayloadBegin();
  const size_t size = PayloadSize(page_size);
  const size_t count = DecodeFixed16(node + 2);
  const size_t base = type == PageType::kInternal ? 1 : 0;
  if (Node::kHeaderSize + 2 * count > size || count < base + NodeHints::kMinSlots) return false;
  auto key_at = [&](size_t i, std::string_view* key) {
    std::string_view value;
    uint8_t flags;
    return ReadMappedCell(node, size, DecodeFixed16(node + Node::kHeaderSize + 2 * i), key, &value,
                          &flags);
  };
  hints->count = static_cast<uint16_t>(count);
  hints->base = static_cast<uint8_t>(base);
  std::string_view first, last;
  if (!key_at(base, &first) || !key_at(count - 1, &last)) return false;
  // Keys are sorted, so every key shares what the first and the last share.
  size_t shared = 0;
  while (shared < 8 && shared < first.size() && shared < last.size() &&
         first[shared] == last[shared]) {
    shared++;
  }
  hints->prefix_len = static_cast<uint8_t>(shared);
  hints->prefix = BigEndian8(first.substr(0, shared), 0);
  for (size_t j = 0; j < NodeHints::kSamples; j++) {
    std::string_view key;
    if (!key_at(hints->Sample(j), &key)) return false;
    hints->heads[j] = BigEndian8(key, shared);
  }
  return true;
}

NodeHintCache::NodeHintCache(size_t slots) {
  const size_t n = std::bit_ceil(std::max<size_t>(slots, 64));
  shift_ = 64 - std::countr_zero(n);
  slots_ = std::make_unique<Slot[]>(n);
}

bool NodeHintCache::Find(PageId id, uint64_t seq, NodeHints* hints) const {
  Slot& slot = SlotFor(id);
  const uint64_t version = slot.version.load(std::memory_order_acquire);
  if ((version & 1) != 0 || slot.page.load(std::memory_order_relaxed) != id ||
      slot.seq.load(std::memory_order_relaxed) != seq) {
    return false;
  }
  const uint64_t shape = slot.shape.load(std::memory_order_relaxed);
  hints->count = static_cast<uint16_t>(shape);
  hints->base = static_cast<uint8_t>(shape >> 16);
  hints->prefix_len = static_cast<uint8_t>(shape >> 24);
  hints->prefix = slot.prefix.load(std::memory_order_relaxed);
  for (size_t j = 0; j < kHeadWords; j++) {
    hints->heads[j] = slot.heads[j].load(std::memory_order_relaxed);
  }
  return SeqlockUnchanged(slot.version, version);
}

void NodeHintCache::Store(PageId id, uint64_t seq, const NodeHints& hints) {
  Slot& slot = SlotFor(id);
  uint64_t version = slot.version.load(std::memory_order_relaxed);
  // Another writer is filling the slot: leave it (a cache may drop entries).
  if ((version & 1) != 0 ||
      !slot.version.compare_exchange_strong(version, version + 1, std::memory_order_acquire)) {
    return;
  }
  // Release stores: a reader whose loads see any of them sees the odd version when it checks
  // again (SeqlockUnchanged), and discards what it read.
  slot.page.store(id, std::memory_order_release);
  slot.seq.store(seq, std::memory_order_release);
  slot.shape.store(
      uint64_t{hints.count} | uint64_t{hints.base} << 16 | uint64_t{hints.prefix_len} << 24,
      std::memory_order_release);
  slot.prefix.store(hints.prefix, std::memory_order_release);
  for (size_t j = 0; j < kHeadWords; j++) {
    slot.heads[j].store(hints.heads[j], std::memory_order_release);
  }
  slot.version.store(version + 2, std::memory_order_release);
}

}  // namespace jadedb::bplustree
