// Sharded LRU cache (cache.h).
//
// Each shard keeps its entries in a hash table (std::unordered_map keyed by a view of the
// entry's own key bytes) and on exactly one of two intrusive circular lists:
//   lru_    entries referenced only by the cache (refs == 1), oldest first: eviction victims.
//   in_use_ entries also pinned by clients (refs >= 2), never evicted.
// An entry dropped from the table (evicted, erased, replaced) is "out of cache": it stays
// alive until its last Release and then runs its deleter. Lock order: one shard mutex at a
// time; deleters run outside the lock so they may use the cache.
#include "lsm/cache/cache.h"

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/hash.h"

namespace jadedb::lsm {
namespace {

struct LRUHandle : Cache::Handle {
  void* value = nullptr;
  Cache::Deleter deleter = nullptr;
  LRUHandle* next = nullptr;
  LRUHandle* prev = nullptr;
  size_t charge = 0;
  uint32_t refs = 0;      // one for the cache while in_cache, one per client pin
  bool in_cache = false;  // reachable from the shard's table
  std::string key;

  std::string_view key_view() const { return key; }
};

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
    std::vector<LRUHandle*> dead;
    for (LRUHandle* e = lru_.next; e != &lru_;) {
      LRUHandle* next = e->next;
      e->in_cache = false;
      dead.push_back(e);
      e = next;
    }
    for (LRUHandle* e : dead) Free(e);
  }

  void SetCapacity(size_t capacity) { capacity_ = capacity; }

  Cache::Handle* Insert(std::string_view key, void* value, size_t charge, Cache::Deleter deleter) {
    auto* e = new LRUHandle;
    e->value = value;
    e->deleter = deleter;
    e->charge = charge;
    e->key.assign(key.data(), key.size());
    e->refs = 1;  // the returned pin
    std::vector<LRUHandle*> dead;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (capacity_ > 0) {
        e->refs++;  // the cache's reference
        e->in_cache = true;
        Append(&in_use_, e);
        usage_ += charge;
        auto [it, inserted] = table_.try_emplace(e->key_view(), e);
        if (!inserted) {
          LRUHandle* old = it->second;
          // The map's key view points into old->key: re-key the slot with the new entry.
          table_.erase(it);
          table_.emplace(e->key_view(), e);
          FinishErase(old, &dead);
        }
      }  // capacity 0 turns caching off: the entry lives only while pinned.
      while (usage_ > capacity_ && lru_.next != &lru_) {
        LRUHandle* victim = lru_.next;
        table_.erase(victim->key_view());
        FinishErase(victim, &dead);
      }
    }
    for (LRUHandle* d : dead) Free(d);
    return e;
  }

  Cache::Handle* Lookup(std::string_view key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(key);
    if (it == table_.end()) return nullptr;
    Ref(it->second);
    return it->second;
  }

  void Release(LRUHandle* e) {
    bool free_it = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      free_it = Unref(e);
    }
    if (free_it) Free(e);
  }

  void Erase(std::string_view key) {
    std::vector<LRUHandle*> dead;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = table_.find(key);
      if (it == table_.end()) return;
      LRUHandle* e = it->second;
      table_.erase(it);
      FinishErase(e, &dead);
    }
    for (LRUHandle* d : dead) Free(d);
  }

  size_t TotalCharge() const {
    std::lock_guard<std::mutex> lock(mu_);
    return usage_;
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

  // e has just been removed from table_: takes it out of the lists and drops the cache's
  // reference. Entries that die are collected in *dead.
  void FinishErase(LRUHandle* e, std::vector<LRUHandle*>* dead) {
    Remove(e);
    e->in_cache = false;
    usage_ -= e->charge;
    if (Unref(e)) dead->push_back(e);
  }

  static void Free(LRUHandle* e) {
    if (e->deleter != nullptr) e->deleter(e->key, e->value);
    delete e;
  }

  mutable std::mutex mu_;
  size_t capacity_ = 0;
  size_t usage_ = 0;                                        // guarded by mu_
  LRUHandle lru_;                                           // guarded by mu_; dummy head
  LRUHandle in_use_;                                        // guarded by mu_; dummy head
  std::unordered_map<std::string_view, LRUHandle*> table_;  // guarded by mu_
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
    return Shard(key).Insert(key, value, charge, deleter);
  }
  Handle* Lookup(std::string_view key) override {
    Handle* h = Shard(key).Lookup(key);
    (h != nullptr ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
    return h;
  }
  void Release(Handle* handle) override {
    auto* e = static_cast<LRUHandle*>(handle);
    Shard(e->key).Release(e);
  }
  void* Value(Handle* handle) override { return static_cast<LRUHandle*>(handle)->value; }
  void Erase(std::string_view key) override { Shard(key).Erase(key); }
  uint64_t NewId() override { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }
  size_t TotalCharge() const override {
    size_t total = 0;
    for (const auto& s : shards_) total += s.TotalCharge();
    return total;
  }
  size_t Capacity() const override { return capacity_; }
  uint64_t Hits() const override { return hits_.load(std::memory_order_relaxed); }
  uint64_t Misses() const override { return misses_.load(std::memory_order_relaxed); }

 private:
  LRUShard& Shard(std::string_view key) {
    if (shard_bits_ == 0) return shards_[0];
    // The high bits of the hash are the best mixed.
    return shards_[Hash(key, 0) >> (32 - shard_bits_)];
  }

  const int shard_bits_;
  std::vector<LRUShard> shards_;
  const size_t capacity_;
  std::atomic<uint64_t> next_id_{0};
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace

std::unique_ptr<Cache> NewLRUCache(size_t capacity, int shard_bits) {
  if (shard_bits < 0) shard_bits = 0;
  if (shard_bits > 12) shard_bits = 12;
  return std::make_unique<ShardedLRUCache>(capacity, shard_bits);
}

}  // namespace jadedb::lsm
