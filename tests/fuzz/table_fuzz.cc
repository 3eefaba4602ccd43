// Fuzz target: the sstable reader (src/lsm/sstable/table.*) over arbitrary bytes as a table
// file: footer, index, metaindex, properties, filter and range-deletion blocks, data blocks
// stored raw or compressed (snappy, lz4, zstd), then iteration, seeks and point lookups
// (docs/formats/sstable.md).
//
// Input: byte 0 holds options, the rest is the file.
//   bit 0: TableReadOptions::verify_checksums
//   bit 1: TableOptions::paranoid_checks
//   bit 2: a block cache (bit 3 then chooses pin_index_and_filter)
//   bit 4: a bloom filter policy (reads the table's filter block)
//   bit 5: internal-key comparator (as the engine uses) instead of bytewise
//   bit 6: reseal: recompute the trailer checksum of every block the footer, the metaindex and
//          the index point at before opening, so mutations reach the block contents and the
//          decompressors instead of stopping at a checksum mismatch
// Checks: no crash or sanitizer report; every failure is a Corruption (or NotSupported);
// Open failures name the file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_env.h"
#include "iterator_exercise.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/bloom.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/table.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm {
namespace {

constexpr char kFileName[] = "000007.sst";

// Rewrites the trailer checksum of the block at handle, when the handle lies in the file.
void ResealBlock(std::string* file, const BlockHandle& h) {
  const uint64_t n = file->size();
  if (h.offset() > n || h.size() > n - h.offset() ||
      kBlockTrailerSize > n - h.offset() - h.size()) {
    return;
  }
  char* block = file->data() + h.offset();
  const size_t size = static_cast<size_t>(h.size());
  const uint32_t crc = crc32c::Value(block, size + 1);  // contents and type byte
  EncodeFixed32(block + size + 1, crc32c::Mask(crc));
}

// Reseals the block at h, then every block named by the handles stored as its values (when
// it is uncompressed and parses).
void ResealTree(std::string* file, const BlockHandle& h, bool follow) {
  ResealBlock(file, h);
  if (!follow) return;
  const uint64_t n = file->size();
  if (h.offset() > n || h.size() > n - h.offset() ||
      kBlockTrailerSize > n - h.offset() - h.size() || (*file)[h.offset() + h.size()] != 0) {
    return;
  }
  BlockContents contents;
  contents.owned.reset(new char[h.size() + 1]);
  std::memcpy(contents.owned.get(), file->data() + h.offset(), h.size());
  contents.data = std::string_view(contents.owned.get(), h.size());
  Block block(std::move(contents));
  auto it = block.NewIterator(BytewiseComparator());
  size_t steps = 0;
  for (it->SeekToFirst(); it->Valid() && steps < fuzz::kMaxSteps; it->Next(), steps++) {
    BlockHandle child;
    std::string_view v = it->value();
    if (child.DecodeFrom(&v)) ResealBlock(file, child);
  }
}

void Reseal(std::string* file) {
  if (file->size() < Footer::kEncodedLength) return;
  Footer footer;
  const std::string_view tail =
      std::string_view(*file).substr(file->size() - Footer::kEncodedLength);
  if (!footer.DecodeFrom(tail, kFileName, 0).ok()) return;
  ResealTree(file, footer.metaindex_handle(), /*follow=*/true);
  ResealTree(file, footer.index_handle(), /*follow=*/true);
}

bool Acceptable(const Status& s) { return s.ok() || s.IsCorruption() || s.IsNotSupported(); }

}  // namespace
}  // namespace jadedb::lsm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jadedb;       // NOLINT(build/namespaces)
  using namespace jadedb::lsm;  // NOLINT(build/namespaces)
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (flags & 64) Reseal(&file);

  const InternalKeyComparator icmp(BytewiseComparator());
  const bool internal_keys = (flags & 32) != 0;
  std::unique_ptr<FilterPolicy> bloom = NewBloomFilterPolicy(10);
  std::unique_ptr<InternalFilterPolicy> internal_bloom;
  std::unique_ptr<Cache> cache;
  TableOptions options;
  options.comparator = internal_keys ? static_cast<const Comparator*>(&icmp) : BytewiseComparator();
  options.paranoid_checks = (flags & 2) != 0;
  if (flags & 4) {
    cache = NewLRUCache(1 << 20, 0);
    options.block_cache = cache.get();
    options.pin_index_and_filter = (flags & 8) != 0;
  }
  if (flags & 16) {
    if (internal_keys) {
      internal_bloom = std::make_unique<InternalFilterPolicy>(bloom.get());
      options.filter_policy = internal_bloom.get();
    } else {
      options.filter_policy = bloom.get();
    }
  }
  TableReadOptions read;
  read.verify_checksums = (flags & 1) != 0;

  std::unique_ptr<Table> table;
  Status s =
      Table::Open(options, fuzz::NewStringRandomAccessFile(file), file.size(), kFileName, &table);
  if (!s.ok()) {
    FUZZ_CHECK(Acceptable(s));
    FUZZ_CHECK(s.ToString().find(kFileName) != std::string::npos);
    return 0;
  }

  auto it = table->NewIterator(read);
  const std::vector<std::string> keys = fuzz::ForwardKeys(it.get());
  fuzz::BackwardKeys(it.get());
  // The engine only seeks tables of internal keys to internal keys.
  std::vector<std::string> targets;
  for (const std::string& t : fuzz::SeekTargets(keys, file)) {
    if (!internal_keys || t.size() >= 8) targets.push_back(t);
  }
  fuzz::SeekAround(it.get(), targets);

  for (const std::string& t : targets) {
    s = table->InternalGet(read, t, [](std::string_view k, std::string_view v) {
      fuzz::TouchBytes(k);
      fuzz::TouchBytes(v);
    });
    FUZZ_CHECK(Acceptable(s));
    (void)table->ApproximateOffsetOf(t);
  }
  if (internal_keys && !keys.empty()) {
    // Bounded scans, as DB iterators with iterate_lower/upper_bound do.
    TableReadOptions bounded = read;
    const std::string& a = keys.front();
    const std::string& b = keys[keys.size() / 2];
    if (a.size() >= 8 && b.size() >= 8) {
      bounded.lower_bound = std::string(ExtractUserKey(a));
      bounded.upper_bound = std::string(ExtractUserKey(b));
      auto bit = table->NewIterator(bounded);
      fuzz::ForwardKeys(bit.get());
      fuzz::BackwardKeys(bit.get());
      fuzz::SeekAround(bit.get(), targets);
    }
  }

  std::string report;
  s = table->VerifyChecksums(&report);
  FUZZ_CHECK(Acceptable(s));
  (void)table->NumEntries();
  (void)table->Properties().ToString();
  for (const RangeTombstone& t : table->RangeTombstones()) {
    fuzz::TouchBytes(t.begin);
    fuzz::TouchBytes(t.end);
  }
  return 0;
}
