// Cache: a sharded LRU cache of reference-counted entries charged in bytes, shared by all
// tables of a DB (the block cache) and used for open tables (the table cache).
//
// Entries are handles: Lookup/Insert return a pinned handle that must be Released; a pinned
// entry is never freed, even when evicted or erased (it is freed on its last Release).
// Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace jadedb::lsm {

class Cache {
 public:
  struct Handle {};
  using Deleter = void (*)(std::string_view key, void* value);

  virtual ~Cache() = default;

  // Inserts key -> value costing `charge` bytes, replacing any entry for key, and returns it
  // pinned. deleter(key, value) runs when the entry is dropped and unpinned.
  virtual Handle* Insert(std::string_view key, void* value, size_t charge, Deleter deleter) = 0;
  // Pinned handle for key, or null.
  virtual Handle* Lookup(std::string_view key) = 0;
  virtual void Release(Handle* handle) = 0;
  virtual void* Value(Handle* handle) = 0;
  virtual void Erase(std::string_view key) = 0;
  // A new id, for clients sharing the cache to prefix their keys with.
  virtual uint64_t NewId() = 0;
  // Sum of the charges of the entries held.
  virtual size_t TotalCharge() const = 0;
  virtual size_t Capacity() const = 0;
  // Lookup hits and misses since creation.
  virtual uint64_t Hits() const = 0;
  virtual uint64_t Misses() const = 0;
};

// Heap bytes a cache made by NewLRUCache allocates per entry whose key has key_size bytes (the
// entry's bookkeeping and key copy), for clients whose charges count real memory.
size_t CacheEntryOverhead(size_t key_size);

// A cache of the given capacity in bytes, split into 2^shard_bits LRU shards (default 16).
std::unique_ptr<Cache> NewLRUCache(size_t capacity, int shard_bits = 4);

}  // namespace jadedb::lsm
