// Fuzz target: the sstable block parser (src/lsm/sstable/block.*): a block's restart array and
// prefix-compressed entries, iterated forward and backward, and sought to keys taken from the
// input (docs/formats/sstable.md, "Block").
//
// Input: byte 0 holds options, the rest is the data.
//   bit 0: mode. 0 = the rest is the raw contents of a block; 1 = the rest is a list of
//          key/value pairs that BlockBuilder writes into a block first (round trip)
//   bit 1: raw mode: compare keys as internal keys instead of bytewise
//   bits 2-6: round-trip mode: restart interval - 1
// Checks, raw mode: no out-of-bounds read, damage ends iteration with Corruption. Round-trip
// mode: forward and backward iteration return exactly the pairs written, and Seek finds each
// key and its successor.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "iterator_exercise.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/block_builder.h"

namespace jadedb::lsm {
namespace {

BlockContents Copy(std::string_view data) {
  BlockContents c;
  c.owned.reset(new char[data.size() + 1]);
  if (!data.empty()) std::memcpy(c.owned.get(), data.data(), data.size());
  c.data = std::string_view(c.owned.get(), data.size());
  return c;
}

void RawBlock(std::string_view data, bool internal_keys) {
  InternalKeyComparator icmp(BytewiseComparator());
  const Comparator* cmp =
      internal_keys ? static_cast<const Comparator*>(&icmp) : BytewiseComparator();
  Block block(Copy(data));
  auto it = block.NewIterator(cmp, "fuzz.sst", 0);
  if (!it->status().ok()) {
    FUZZ_CHECK(it->status().IsCorruption());
    FUZZ_CHECK(!it->Valid());
    return;
  }
  const std::vector<std::string> keys = fuzz::ForwardKeys(it.get());
  fuzz::BackwardKeys(it.get());
  // A comparator that sees keys shorter than 8 bytes as internal keys would read outside
  // them; the engine never feeds those to an internal-key block, and neither do we.
  std::vector<std::string> targets;
  for (const std::string& t : fuzz::SeekTargets(keys, data)) {
    if (!internal_keys || t.size() >= 8) targets.push_back(t);
  }
  auto fresh = block.NewIterator(cmp, "fuzz.sst", 0);
  fuzz::SeekAround(fresh.get(), targets);
}

// Pairs from the input: [klen byte][key][vlen byte][value]..., sorted and de-duplicated.
std::map<std::string, std::string> ParsePairs(std::string_view in) {
  std::map<std::string, std::string> pairs;
  while (in.size() >= 2) {
    size_t klen = std::min<size_t>(static_cast<unsigned char>(in[0]) % 48, in.size() - 1);
    std::string key(in.substr(1, klen));
    in.remove_prefix(1 + klen);
    std::string value;
    if (!in.empty()) {
      size_t vlen = std::min<size_t>(static_cast<unsigned char>(in[0]), in.size() - 1);
      value.assign(in.substr(1, vlen));
      in.remove_prefix(1 + vlen);
    }
    pairs.emplace(std::move(key), std::move(value));
  }
  return pairs;
}

void RoundTrip(std::string_view data, int restart_interval) {
  const std::map<std::string, std::string> pairs = ParsePairs(data);
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : pairs) builder.Add(k, v);
  Block block(Copy(builder.Finish()));
  auto it = block.NewIterator(BytewiseComparator(), "fuzz.sst", 0);

  auto expected = pairs.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++expected) {
    FUZZ_CHECK(expected != pairs.end());
    FUZZ_CHECK(it->key() == expected->first && it->value() == expected->second);
  }
  FUZZ_CHECK(expected == pairs.end() && it->status().ok());

  auto back = pairs.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++back) {
    FUZZ_CHECK(back != pairs.rend());
    FUZZ_CHECK(it->key() == back->first && it->value() == back->second);
  }
  FUZZ_CHECK(back == pairs.rend() && it->status().ok());

  for (auto p = pairs.begin(); p != pairs.end(); ++p) {
    it->Seek(p->first);
    FUZZ_CHECK(it->Valid() && it->key() == p->first);
    // The smallest key after p->first: the next pair, if any.
    it->Seek(p->first + '\0');
    auto next = std::next(p);
    if (next != pairs.end() && next->first == p->first + '\0') ++next;  // that key itself
    if (next == pairs.end()) {
      FUZZ_CHECK(!it->Valid() || it->key() == p->first + '\0');
    } else {
      FUZZ_CHECK(it->Valid());
      FUZZ_CHECK(it->key() == p->first + '\0' || it->key() == next->first);
    }
  }
  FUZZ_CHECK(it->status().ok());
}

}  // namespace
}  // namespace jadedb::lsm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    jadedb::lsm::RoundTrip(rest, 1 + ((data[0] >> 2) & 31));
  } else {
    jadedb::lsm::RawBlock(rest, (data[0] & 2) != 0);
  }
  return 0;
}
