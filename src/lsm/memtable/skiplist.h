// SkipList: the sorted set under the memtable (same design as LevelDB's skiplist). Nodes are
// allocated from an Arena and never freed before the arena; entries are never removed.
//
// Thread safety: one writer at a time (Insert needs external synchronization), concurrently
// with any number of readers (Contains, iterators) that take no lock. This works because
//  - a node is fully built (key and its own next pointers) before it is linked in, and it is
//    linked with release stores that readers load with acquire: a reader that reaches a node
//    sees its key;
//  - nodes are never unlinked or freed while the list lives.
// The list and its arena must outlive every reader.
//
// Key is a small copyable type (the memtable uses const char* to an encoded entry).
// Comparator is a functor: int operator()(const Key& a, const Key& b) const, <0, 0, >0.
#pragma once

#include <atomic>
#include <cassert>
#include <cstddef>
#include <new>

#include "util/arena.h"
#include "util/random.h"

namespace jadedb::lsm {

template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  // cmp compares keys; arena (which must outlive the list) provides the nodes.
  SkipList(Comparator cmp, Arena* arena);
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts key. Requires that no key comparing equal to it is in the list.
  void Insert(const Key& key);

  // Allocates the node the next Insert will use, with `bytes` of caller data right behind it,
  // and returns that data's address (aligned for pointers). The memtable builds its entry
  // there and inserts a pointer to it, so a search step reads the node and the start of its
  // key from one or two adjacent cache lines instead of two scattered ones. Writer only; the
  // next Insert must follow before another call.
  char* AllocateBehindNextNode(size_t bytes);

  // True when a key comparing equal to key is in the list.
  bool Contains(const Key& key) const;

  // A cursor over the list. It sees every key inserted before it was positioned and may see
  // later ones. Not thread-safe itself (one iterator per reader thread).
  class Iterator {
   public:
    // Starts invalid.
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}

    bool Valid() const { return node_ != nullptr; }
    // Requires Valid().
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    // Requires Valid().
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // Requires Valid(). There are no back pointers: finds the last node before key().
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // First entry with a key >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  static constexpr int kMaxHeight = 12;
  // Each level holds about 1/kBranching of the nodes of the level below.
  static constexpr unsigned kBranching = 4;

  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }
  Node* NewNode(const Key& key, int height);
  static size_t NodeSize(int height) {
    return sizeof(Node) + sizeof(std::atomic<Node*>) * static_cast<size_t>(height - 1);
  }
  int RandomHeight();
  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  // True when key sorts after the key of n (a null n is the end: false).
  bool KeyIsAfterNode(const Key& key, Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }
  // The first node with a key >= key, or null. Fills prev[level] with the last node before it
  // on every level when prev is not null.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const;
  // The last node with a key < key, or head_.
  Node* FindLessThan(const Key& key) const;
  // The last node, or head_ when empty.
  Node* FindLast() const;

  const Comparator compare_;
  Arena* const arena_;
  Node* const head_;  // sentinel of kMaxHeight levels; its key is never compared
  // Height of the tallest node. Read racily by readers: a stale (smaller) value only makes a
  // search start lower; a new larger value's levels of head_ are null or already linked.
  std::atomic<int> max_height_;
  Random rnd_;  // writer only
  // Writer only: memory and height of the node AllocateBehindNextNode reserved, if any.
  char* reserved_node_ = nullptr;
  int reserved_height_ = 0;
};

template <typename Key, class Comparator>
struct SkipList<Key, Comparator>::Node {
  explicit Node(const Key& k) : key(k) {}

  Key const key;

  Node* Next(int n) {
    assert(n >= 0);
    // Acquire: see the fully initialized node that was published.
    return next_[n].load(std::memory_order_acquire);
  }
  void SetNext(int n, Node* x) {
    assert(n >= 0);
    // Release: whoever loads this pointer sees the node's contents.
    next_[n].store(x, std::memory_order_release);
  }
  // For the writer only, where no reader can yet reach the node (or the order is already
  // guaranteed by a later release store).
  Node* NoBarrierNext(int n) { return next_[n].load(std::memory_order_relaxed); }
  void NoBarrierSetNext(int n, Node* x) { next_[n].store(x, std::memory_order_relaxed); }
  // The levels beyond the first live in the allocation past the declared array: construct
  // them (null) before use.
  void InitUpperLevels(int height) {
    for (int i = 1; i < height; i++) new (&next_[i]) std::atomic<Node*>(nullptr);
  }

 private:
  // Array of the node's height; the allocation extends past the first element.
  std::atomic<Node*> next_[1];
};

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::NewNode(const Key& key,
                                                                             int height) {
  char* mem = arena_->AllocateAligned(NodeSize(height));
  Node* n = new (mem) Node(key);
  n->InitUpperLevels(height);
  return n;
}

template <typename Key, class Comparator>
int SkipList<Key, Comparator>::RandomHeight() {
  int height = 1;
  while (height < kMaxHeight && rnd_.OneIn(kBranching)) height++;
  assert(height > 0 && height <= kMaxHeight);
  return height;
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindGreaterOrEqual(
    const Key& key, Node** prev) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  // The node that ended the search on the level above: key is known to be <= its key, and
  // it is often the next node on this level too, so it needs no second comparison.
  Node* last_bigger = nullptr;
  while (true) {
    Node* next = x->Next(level);
    if (level > 0) {
      // Start loading where the search goes if it drops a level here, while next's key is
      // fetched and compared: x is in cache, so this costs no wait, and it overlaps the two
      // cache misses of a step down (next, then x's node on the level below) that were
      // otherwise taken one after the other.
      Node* down = x->NoBarrierNext(level - 1);
      if (down != next) __builtin_prefetch(down, 0, 1);
    }
    if (next != last_bigger && next != nullptr) {
      // Start loading the node after next while next's key is compared: on a long level
      // the search usually moves on to it (RocksDB's InlineSkipList does the same).
      __builtin_prefetch(next->NoBarrierNext(level), 0, 1);
    }
    if (next != last_bigger && KeyIsAfterNode(key, next)) {
      x = next;  // keep searching on this level
    } else {
      if (prev != nullptr) prev[level] = x;
      if (level == 0) return next;
      last_bigger = next;
      level--;  // go down a level
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLessThan(
    const Key& key) const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  while (true) {
    assert(x == head_ || compare_(x->key, key) < 0);
    Node* next = x->Next(level);
    if (next == nullptr || compare_(next->key, key) >= 0) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
typename SkipList<Key, Comparator>::Node* SkipList<Key, Comparator>::FindLast() const {
  Node* x = head_;
  int level = GetMaxHeight() - 1;
  while (true) {
    Node* next = x->Next(level);
    if (next == nullptr) {
      if (level == 0) return x;
      level--;
    } else {
      x = next;
    }
  }
}

template <typename Key, class Comparator>
SkipList<Key, Comparator>::SkipList(Comparator cmp, Arena* arena)
    : compare_(cmp),
      arena_(arena),
      head_(NewNode(Key(), kMaxHeight)),
      max_height_(1),
      rnd_(0xdeadbeef) {}

template <typename Key, class Comparator>
void SkipList<Key, Comparator>::Insert(const Key& key) {
  Node* prev[kMaxHeight];
  Node* x = FindGreaterOrEqual(key, prev);
  assert(x == nullptr || !Equal(key, x->key));

  const int height = reserved_node_ != nullptr ? reserved_height_ : RandomHeight();
  if (height > GetMaxHeight()) {
    for (int i = GetMaxHeight(); i < height; i++) prev[i] = head_;
    // Relaxed is enough: a reader that sees the new height before the node is linked finds
    // head_'s new levels null and drops down; one that sees the old height searches fine.
    max_height_.store(height, std::memory_order_relaxed);
  }

  if (reserved_node_ != nullptr) {
    x = new (reserved_node_) Node(key);
    x->InitUpperLevels(height);
    reserved_node_ = nullptr;
  } else {
    x = NewNode(key, height);
  }
  for (int i = 0; i < height; i++) {
    // The new node's own pointer needs no barrier: the release in prev[i]->SetNext publishes
    // it together with the node.
    x->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
    prev[i]->SetNext(i, x);
  }
}

template <typename Key, class Comparator>
char* SkipList<Key, Comparator>::AllocateBehindNextNode(size_t bytes) {
  assert(reserved_node_ == nullptr);
  reserved_height_ = RandomHeight();
  // NodeSize is a multiple of the pointer size, so the data behind it stays aligned.
  const size_t node_size = NodeSize(reserved_height_);
  reserved_node_ = arena_->AllocateAligned(node_size + bytes);
  return reserved_node_ + node_size;
}

template <typename Key, class Comparator>
bool SkipList<Key, Comparator>::Contains(const Key& key) const {
  Node* x = FindGreaterOrEqual(key, nullptr);
  return x != nullptr && Equal(key, x->key);
}

}  // namespace jadedb::lsm
