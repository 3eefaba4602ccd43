#include "lsm/cache/handle_table.h"

#include <cstring>
#include <new>

namespace jadedb::lsm {

LRUHandle* LRUHandle::Create(std::string_view key, uint32_t hash, void* value, size_t charge,
                             Cache::Deleter deleter) {
  void* mem = ::operator new(sizeof(LRUHandle) + key.size());
  auto* e = new (mem) LRUHandle;
  e->value = value;
  e->deleter = deleter;
  e->next_hash = nullptr;
  e->next = nullptr;
  e->prev = nullptr;
  e->charge = charge;
  e->key_length = key.size();
  e->hash = hash;
  e->refs = 0;
  e->in_cache = false;
  // Empty views may have a null data(): memcpy must not see it.
  if (!key.empty()) std::memcpy(reinterpret_cast<char*>(e + 1), key.data(), key.size());
  return e;
}

void LRUHandle::Destroy(LRUHandle* e) {
  e->~LRUHandle();
  ::operator delete(e);
}

HandleTable::HandleTable() { Resize(); }

LRUHandle** HandleTable::FindPointer(std::string_view key, uint32_t hash) const {
  LRUHandle** ptr = &list_[hash & (length_ - 1)];
  while (*ptr != nullptr && ((*ptr)->hash != hash || key != (*ptr)->key())) {
    ptr = &(*ptr)->next_hash;
  }
  return ptr;
}

LRUHandle* HandleTable::Insert(LRUHandle* h) {
  LRUHandle** ptr = FindPointer(h->key(), h->hash);
  LRUHandle* old = *ptr;
  h->next_hash = (old == nullptr ? nullptr : old->next_hash);
  *ptr = h;
  if (old == nullptr) {
    ++elems_;
    if (elems_ > length_) Resize();  // keep the average chain at most one long
  }
  return old;
}

LRUHandle* HandleTable::Remove(std::string_view key, uint32_t hash) {
  LRUHandle** ptr = FindPointer(key, hash);
  LRUHandle* result = *ptr;
  if (result != nullptr) {
    *ptr = result->next_hash;
    --elems_;
  }
  return result;
}

void HandleTable::Resize() {
  size_t new_length = 4;
  while (new_length < elems_) new_length *= 2;
  auto new_list = std::make_unique<LRUHandle*[]>(new_length);  // value-initialized: all null
  for (size_t i = 0; i < length_; i++) {
    LRUHandle* h = list_[i];
    while (h != nullptr) {
      LRUHandle* next = h->next_hash;
      LRUHandle** bucket = &new_list[h->hash & (new_length - 1)];
      h->next_hash = *bucket;
      *bucket = h;
      h = next;
    }
  }
  list_ = std::move(new_list);
  length_ = new_length;
}

}  // namespace jadedb::lsm
