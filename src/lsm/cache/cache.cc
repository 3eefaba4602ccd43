// Sharded LRU cache (cache.h).
//
// Each shard keeps its entries in an intrusive hash table (handle_table.h) and on exactly one
// of two intrusive circular lists:
//   lru_    entries referenced only by the cache (refs == 1), oldest first: eviction victims.
//   in_use_ entries also pinned by clients (refs >= 2), never evicted.
// An entry dropped from the table (evicted, erased, replaced) is "out of cache": it stays
// alive until its last Release and then runs its deleter. A key is hashed once per call: the
// high bits pick the shard, the low bits the bucket, and the handle keeps the hash for
// Release. Lock order: one shard mutex at a time; deleters run outside the lock so they may
// use the cache.
#include "lsm/cache/cache.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "lsm/cache/handle_table.h"
#include "util/hash.h"

namespace jadedb::lsm {
namespace {

class LRUShard {
 public:
  LRUShard() {
    lru_.next = lru_.prev = &lru_;
    in_use_.next = in_use_.prev = &in_use_;
  }
  LRUShard(const LRUShard&) = delete;
  LRUShard& operator=(const LRUShard&) = delete;

  ~LRUShard() {
    // Clients must have released every handle; anything left in in_use_ is a leak we
    // cannot free safely, so we only drop the idle entries.
    for (LRUHandle* e = lru_.next; e != &lru_;) {
      LRUHandle* next = e->next;
      e->in_cache = false;
      Free(e);
      e = next;
    }
  }

  void SetCapacity(size_t capacity) { capacity_ = capacity; }

  Cache::Handle* Insert(std::string_view key, uint32_t hash, void* value, size_t charge,
                        Cache::Deleter deleter) {
    LRUHandle* e = LRUHandle::Create(key, hash, value, charge, deleter);
    e->refs = 1;  // the returned pin
    LRUHandle* dead = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (capacity_ > 0) {
        e->refs++;  // the cache's reference
        e->in_cache = true;
        Append(&in_use_, e);
        usage_ += charge;
        FinishErase(table_.Insert(e), &dead);
      }  // capacity 0 turns caching off: the entry lives only while pinned.
      while (usage_ > capacity_ && lru_.next != &lru_) {
        LRUHandle* victim = lru_.next;
        FinishErase(table_.Remove(victim->key(), victim->hash), &dead);
      }
    }
    FreeAll(dead);
    return e;
  }

  Cache::Handle* Lookup(std::string_view key, uint32_t hash) {
    std::lock_guard<std::mutex> lock(mu_);
    LRUHandle* e = table_.Lookup(key, hash);
    if (e == nullptr) {
      misses_++;
      return nullptr;
    }
    hits_++;
    Ref(e);
    return e;
  }

  void Release(LRUHandle* e) {
    bool free_it = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_it = Unref(e);
    }
    if (free_it) Free(e);
  }

  void Erase(std::string_view key, uint32_t hash) {
    LRUHandle* dead = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      FinishErase(table_.Remove(key, hash), &dead);
    }
    FreeAll(dead);
  }

  size_t TotalCharge() const {
    std::lock_guard<std::mutex> lock(mu_);
    return usage_;
  }
  uint64_t Hits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_;
  }
  uint64_t Misses() const {
    std::lock_guard<std::mutex> lock(mu_);
    return misses_;
  }

 private:
  static void Remove(LRUHandle* e) {
    e->next->prev = e->prev;
    e->prev->next = e->next;
  }
  // Appends e as the newest entry of list.
  static void Append(LRUHandle* list, LRUHandle* e) {
    e->next = list;
    e->prev = list->prev;
    e->prev->next = e;
    e->next->prev = e;
  }

  void Ref(LRUHandle* e) {
    if (e->refs == 1 && e->in_cache) {  // idle -> pinned
      Remove(e);
      Append(&in_use_, e);
    }
    e->refs++;
  }

  // Drops one reference; true when the entry must be freed (outside the lock).
  bool Unref(LRUHandle* e) {
    e->refs--;
    if (e->refs == 0) return true;
    if (e->in_cache && e->refs == 1) {  // pinned -> idle
      Remove(e);
      Append(&lru_, e);
    }
    return false;
  }

  // e (when not null) has just been removed from table_: takes it out of the lists and drops
  // the cache's reference. Entries that die are chained (through next_hash, unused once out
  // of the table) onto *dead, to be freed outside the lock without allocating.
  void FinishErase(LRUHandle* e, LRUHandle** dead) {
    if (e == nullptr) return;
    Remove(e);
    e->in_cache = false;
    usage_ -= e->charge;
    if (Unref(e)) {
      e->next_hash = *dead;
      *dead = e;
    }
  }

  static void Free(LRUHandle* e) {
    if (e->deleter != nullptr) e->deleter(e->key(), e->value);
    LRUHandle::Destroy(e);
  }
  static void FreeAll(LRUHandle* dead) {
    while (dead != nullptr) {
      LRUHandle* next = dead->next_hash;
      Free(dead);
      dead = next;
    }
  }

  mutable std::mutex mu_;
  size_t capacity_ = 0;
  // All below guarded by mu_.
  size_t usage_ = 0;
  uint64_t hits_ = 0;  // per shard, under the lock already held, instead of a shared atomic
  uint64_t misses_ = 0;
  LRUHandle lru_{};     // dummy head
  LRUHandle in_use_{};  // dummy head
  HandleTable table_;
};

class ShardedLRUCache final : public Cache {
 public:
  ShardedLRUCache(size_t capacity, int shard_bits)
      : shard_bits_(shard_bits), shards_(size_t{1} << shard_bits), capacity_(capacity) {
    size_t n = shards_.size();
    size_t per_shard = (capacity + n - 1) / n;
    for (auto& s : shards_) s.SetCapacity(per_shard);
  }

  Handle* Insert(std::string_view key, void* value, size_t charge, Deleter deleter) override {
    const uint32_t hash = HashKey(key);
    return Shard(hash).Insert(key, hash, value, charge, deleter);
  }
  Handle* Lookup(std::string_view key) override {
    const uint32_t hash = HashKey(key);
    return Shard(hash).Lookup(key, hash);
  }
  void Release(Handle* handle) override {
    auto* e = static_cast<LRUHandle*>(handle);
    Shard(e->hash).Release(e);
  }
  void* Value(Handle* handle) override { return static_cast<LRUHandle*>(handle)->value; }
  void Erase(std::string_view key) override {
    const uint32_t hash = HashKey(key);
    Shard(hash).Erase(key, hash);
  }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  size_t TotalCharge() const override {
    size_t total = 0;
    for (const auto& s : shards_) total += s.TotalCharge();
    return total;
  }
  size_t Capacity() const override { return capacity_; }
  uint64_t Hits() const override {
    uint64_t total = 0;
    for (const auto& s : shards_) total += s.Hits();
    return total;
  }
  uint64_t Misses() const override {
    uint64_t total = 0;
    for (const auto& s : shards_) total += s.Misses();
    return total;
  }

 private:
  static uint32_t HashKey(std::string_view key) { return Hash(key, 0); }
  LRUShard& Shard(uint32_t hash) {
    if (shard_bits_ == 0) return shards_[0];
    // The high bits of the hash are the best mixed (and the table uses the low ones).
    return shards_[hash >> (32 - shard_bits_)];
  }

  const int shard_bits_;
  std::vector<LRUShard> shards_;
  const size_t capacity_;
  std::atomic<uint64_t> next_id_{0};
};

}  // namespace

size_t CacheEntryOverhead(size_t key_size) { return sizeof(LRUHandle) + key_size; }

std::unique_ptr<Cache> NewLRUCache(size_t capacity, int shard_bits) {
  if (shard_bits < 0) shard_bits = 0;
  if (shard_bits > 12) shard_bits = 12;
  return std::make_unique<ShardedLRUCache>(capacity, shard_bits);
}

}  // namespace jadedb::lsm
