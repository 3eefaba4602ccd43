// ExerciseIterator: drives an LSM InternalIterator over possibly damaged data the way readers
// do (forward, backward, seeks, direction changes) and checks what must hold for any input:
// key() and value() are only read while Valid() and every byte of them is readable, and an
// iterator that stops on an error says so with a Corruption status. Shared by the block and
// table fuzz targets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "lsm/base/iterator.h"

namespace jadedb::fuzz {

// Entries visited per walk: a fuzzed block cannot hold many more, and it bounds the time of
// one execution.
inline constexpr size_t kMaxSteps = 4096;

// Reads every byte of s (ASan then catches a view that points outside its buffer).
inline uint64_t TouchBytes(std::string_view s) {
  uint64_t sum = 0;
  for (char c : s) sum += static_cast<unsigned char>(c);
  return sum;
}

inline void CheckStopped(const lsm::InternalIterator& it) {
  const Status s = it.status();
  FUZZ_CHECK(s.ok() || s.IsCorruption() || s.IsNotSupported());
}

// Walks forward from the first entry; returns the keys seen (at most kMaxSteps).
inline std::vector<std::string> ForwardKeys(lsm::InternalIterator* it) {
  std::vector<std::string> keys;
  for (it->SeekToFirst(); it->Valid() && keys.size() < kMaxSteps; it->Next()) {
    TouchBytes(it->value());
    keys.emplace_back(it->key());
  }
  CheckStopped(*it);
  return keys;
}

// Walks backward from the last entry; returns the keys seen, last first.
inline std::vector<std::string> BackwardKeys(lsm::InternalIterator* it) {
  std::vector<std::string> keys;
  for (it->SeekToLast(); it->Valid() && keys.size() < kMaxSteps; it->Prev()) {
    TouchBytes(it->value());
    keys.emplace_back(it->key());
  }
  CheckStopped(*it);
  return keys;
}

// Seeks to each target and steps a little both ways from there.
inline void SeekAround(lsm::InternalIterator* it, const std::vector<std::string>& targets) {
  for (const std::string& t : targets) {
    it->Seek(t);
    for (int i = 0; i < 3 && it->Valid(); i++) {
      TouchBytes(it->key());
      TouchBytes(it->value());
      it->Next();
    }
    it->Seek(t);
    for (int i = 0; i < 3 && it->Valid(); i++) {
      TouchBytes(it->key());
      TouchBytes(it->value());
      it->Prev();
    }
    CheckStopped(*it);
  }
}

// Seek targets: some of the keys the iterator returned (plus their neighbours), and slices of
// the raw input.
inline std::vector<std::string> SeekTargets(const std::vector<std::string>& keys,
                                            std::string_view input) {
  std::vector<std::string> targets;
  for (size_t i = 0; i < keys.size() && targets.size() < 48; i += 1 + keys.size() / 16) {
    targets.push_back(keys[i]);
    targets.push_back(keys[i] + '\0');
    if (!keys[i].empty()) targets.push_back(keys[i].substr(0, keys[i].size() - 1));
  }
  for (size_t off = 0; off + 1 < input.size() && targets.size() < 64; off += 1 + input.size() / 8) {
    targets.emplace_back(input.substr(off, 1 + static_cast<unsigned char>(input[off]) % 24));
  }
  targets.emplace_back();
  return targets;
}

}  // namespace jadedb::fuzz
