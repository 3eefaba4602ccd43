// LRUHandle and HandleTable: the entry and the hash table of one LRU cache shard (cache.cc).
//
// An LRUHandle is one allocation holding the entry's bookkeeping and, right behind it, its key
// bytes; it carries the key's hash, so neither the table nor a Release ever hashes again.
// HandleTable is an intrusive chained hash table over those handles (LevelDB's design): the
// chain link lives in the handle, so inserting allocates nothing, and the bucket array doubles
// when the table holds as many entries as buckets, keeping chains about one entry long.
//
// Thread safety: none; the owning shard serializes every call with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "lsm/cache/cache.h"

namespace jadedb::lsm {

struct LRUHandle : Cache::Handle {
  void* value;
  Cache::Deleter deleter;
  LRUHandle* next_hash;  // chain in the HandleTable bucket
  LRUHandle* next;       // LRU / in-use list
  LRUHandle* prev;
  size_t charge;
  size_t key_length;
  uint32_t hash;  // of the key; picks the shard (high bits) and the bucket (low bits)
  uint32_t refs;  // one for the cache while in_cache, one per client pin
  bool in_cache;  // reachable from the shard's table

  // A handle with a copy of key (refs 0, not in cache, unlinked). Free with Destroy.
  static LRUHandle* Create(std::string_view key, uint32_t hash, void* value, size_t charge,
                           Cache::Deleter deleter);
  // Frees the handle's memory (does not run the deleter).
  static void Destroy(LRUHandle* e);

  std::string_view key() const {
    return std::string_view(reinterpret_cast<const char*>(this + 1), key_length);
  }
};

class HandleTable {
 public:
  HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // The handle with this key (hash must be its hash), or null.
  LRUHandle* Lookup(std::string_view key, uint32_t hash) const { return *FindPointer(key, hash); }
  // Adds h; returns the handle with the same key that h replaces (unlinked), or null.
  LRUHandle* Insert(LRUHandle* h);
  // Unlinks and returns the handle with this key, or null.
  LRUHandle* Remove(std::string_view key, uint32_t hash);

  size_t size() const { return elems_; }
  // Number of buckets (a power of two); for tests of the resizing policy.
  size_t buckets() const { return length_; }

 private:
  // The link that points at the handle with this key, or at the null end of its chain.
  LRUHandle** FindPointer(std::string_view key, uint32_t hash) const;
  void Resize();

  size_t length_ = 0;
  size_t elems_ = 0;
  std::unique_ptr<LRUHandle*[]> list_;
};

}  // namespace jadedb::lsm
