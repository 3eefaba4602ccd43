// Tables read through a memory map (Env::NewRandomAccessFileMaybeMapped): the POSIX mapping
// and its process-wide cap, zero-copy cached blocks (charge, checksum on first read), their
// lifetime against the table and the mapping, and the pread fallback (cap reached, wrapped
// Envs such as fault injection).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "lsm/base/filename.h"
#include "lsm/cache/cache.h"
#include "lsm/sstable/block.h"
#include "lsm/sstable/bloom.h"
#include "lsm/sstable/format.h"
#include "lsm/sstable/table_cache.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"
#include "util/fault_injection_env.h"

namespace jadedb::lsm {
namespace {

std::string Key(uint64_t table, int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "t%02llu-key%06d", static_cast<unsigned long long>(table), i);
  return buf;
}

std::string Value(uint64_t table, int i) {
  return std::string(100, static_cast<char>('a' + (i + table) % 26)) + std::to_string(i);
}

// Flips one bit of the byte at offset of the file at path with pwrite, so that a live shared
// mapping of the file sees the change.
void FlipByte(const std::string& path, uint64_t offset) {
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char byte = 0;
  ASSERT_EQ(1, ::pread(fd, &byte, 1, static_cast<off_t>(offset)));
  byte ^= 0x20;
  ASSERT_EQ(1, ::pwrite(fd, &byte, 1, static_cast<off_t>(offset)));
  ::close(fd);
}

// Restores the process-wide mmap cap when a test changed it.
class MmapLimitGuard {
 public:
  explicit MmapLimitGuard(int limit) : previous_(SetPosixMmapLimit(limit)) {}
  ~MmapLimitGuard() { SetPosixMmapLimit(previous_); }

 private:
  const int previous_;
};

class MmapTableTest : public ::testing::Test {
 protected:
  MmapTableTest() {
    options_.filter_policy = bloom_.get();
    options_.block_cache = block_cache_.get();
  }

  // Writes table file `number` holding Key(number, i) -> Value(number, i) for i < n.
  uint64_t WriteTable(uint64_t number, int n) {
    sst_test::KVMap kvs;
    for (int i = 0; i < n; i++) kvs[Key(number, i)] = Value(number, i);
    std::string contents = sst_test::BuildTableContents(options_, kvs);
    EXPECT_TRUE(WriteStringToFile(env_, contents, Path(number), false).ok());
    return contents.size();
  }
  std::string Path(uint64_t number) const { return TableFileName(dir_.path(), number); }

  // Opens table `number` through the mapping Env call.
  Status OpenTable(uint64_t number, uint64_t size, std::unique_ptr<Table>* table) {
    std::unique_ptr<RandomAccessFile> file;
    Status s = env_->NewRandomAccessFileMaybeMapped(Path(number), &file);
    if (!s.ok()) return s;
    return Table::Open(options_, std::move(file), size, Path(number), table);
  }

  // Looks Key(number, i) up in table; the value found, or "" when the table lacks it.
  static std::string Get(const Table& table, uint64_t number, int i, Status* status = nullptr) {
    std::string found;
    const std::string key = Key(number, i);
    Status s = table.InternalGet({}, key, [&](std::string_view k, std::string_view v) {
      if (k == key) found = std::string(v);
    });
    if (status != nullptr) *status = s;
    EXPECT_TRUE(status != nullptr || s.ok()) << s.ToString();
    return found;
  }

  Env* const env_ = Env::Default();
  test::TempDir dir_;
  std::unique_ptr<FilterPolicy> bloom_ = NewBloomFilterPolicy(10);
  std::unique_ptr<Cache> block_cache_ = NewLRUCache(8 << 20, 0);
  TableOptions options_;
};

TEST_F(MmapTableTest, PosixEnvMapsUpToTheLimitAndFallsBackToPread) {
  const std::string data = "0123456789";
  ASSERT_TRUE(WriteStringToFile(env_, data, dir_.Join("a"), false).ok());
  ASSERT_TRUE(WriteStringToFile(env_, "", dir_.Join("empty"), false).ok());
  MmapLimitGuard guard(1);

  std::unique_ptr<RandomAccessFile> a, b, c, e;
  ASSERT_TRUE(env_->NewRandomAccessFileMaybeMapped(dir_.Join("a"), &a).ok());
  EXPECT_TRUE(a->ViewsStable());
  std::string_view got;
  ASSERT_TRUE(a->Read(2, 3, &got, nullptr).ok());  // a mapped read needs no scratch
  EXPECT_EQ("234", got);
  ASSERT_TRUE(a->Read(8, 10, &got, nullptr).ok());  // short at the end, like pread
  EXPECT_EQ("89", got);
  ASSERT_TRUE(a->Read(10, 4, &got, nullptr).ok());
  EXPECT_TRUE(got.empty());

  // The cap is reached: the next file is read with pread, and still reads right.
  ASSERT_TRUE(env_->NewRandomAccessFileMaybeMapped(dir_.Join("a"), &b).ok());
  EXPECT_FALSE(b->ViewsStable());
  char scratch[4];
  ASSERT_TRUE(b->Read(6, 4, &got, scratch).ok());
  EXPECT_EQ("6789", got);
  // Closing the mapped file frees its slot.
  a.reset();
  ASSERT_TRUE(env_->NewRandomAccessFileMaybeMapped(dir_.Join("a"), &c).ok());
  EXPECT_TRUE(c->ViewsStable());
  c.reset();
  // An empty file cannot be mapped; it opens anyway.
  ASSERT_TRUE(env_->NewRandomAccessFileMaybeMapped(dir_.Join("empty"), &e).ok());
  EXPECT_FALSE(e->ViewsStable());
  // The plain call never maps.
  std::unique_ptr<RandomAccessFile> plain;
  ASSERT_TRUE(env_->NewRandomAccessFile(dir_.Join("a"), &plain).ok());
  EXPECT_FALSE(plain->ViewsStable());
  std::unique_ptr<RandomAccessFile> missing;
  EXPECT_TRUE(env_->NewRandomAccessFileMaybeMapped(dir_.Join("none"), &missing).IsNotFound());
}

// Point lookups search a mapped table's uncompressed blocks in place: each block is read
// (and checksummed) once, and the block cache is never touched.
TEST_F(MmapTableTest, PointLookupsSearchBlocksInPlaceWithoutTheCache) {
  const int n = 4000;
  const uint64_t size = WriteTable(1, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(1, size, &table).ok());
  const uint64_t blocks = table->Properties().num_data_blocks;
  ASSERT_GT(blocks, 100u);
  for (int i = 0; i < n; i++) ASSERT_EQ(Value(1, i), Get(*table, 1, i));
  EXPECT_EQ(blocks, table->DataBlockReads());
  EXPECT_EQ(0u, block_cache_->TotalCharge());
  for (int i = 0; i < n; i += 7) ASSERT_EQ(Value(1, i), Get(*table, 1, i));
  EXPECT_EQ(blocks, table->DataBlockReads());  // verified once: not read again
  EXPECT_EQ("", Get(*table, 2, 5));            // another table's key
}

// The in-place flag a lookup consults is its own block's: the second block is verified on
// its first read even though the first block was verified already. (A flag looked up by a
// stale cursor position, one entry behind, would find the first block's flag set and skip
// exactly this check.)
TEST_F(MmapTableTest, InPlaceLookupVerifiesEachBlockOnItsFirstRead) {
  const int n = 500;
  const uint64_t size = WriteTable(6, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(6, size, &table).ok());
  const uint64_t first_block = table->ApproximateOffsetOf(Key(6, 0));
  int second = -1;  // the first key of the second data block
  for (int i = 1; i < n && second < 0; i++) {
    if (table->ApproximateOffsetOf(Key(6, i)) != first_block) second = i;
  }
  ASSERT_GT(second, 0);
  for (int i = 0; i < second; i++) ASSERT_EQ(Value(6, i), Get(*table, 6, i));

  // Damage the second block, under the live mapping, then look a key of it up.
  const uint64_t second_block = table->ApproximateOffsetOf(Key(6, second));
  FlipByte(Path(6), second_block + 20);
  Status s;
  Get(*table, 6, second + 1, &s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
}

// Under paranoid checks every read verifies, so lookups go through the cache path.
TEST_F(MmapTableTest, ParanoidChecksKeepLookupsOnTheCachePath) {
  options_.paranoid_checks = true;
  const int n = 1000;
  const uint64_t size = WriteTable(4, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(4, size, &table).ok());
  for (int i = 0; i < n; i += 5) ASSERT_EQ(Value(4, i), Get(*table, 4, i));
  EXPECT_GT(block_cache_->TotalCharge(), 0u);
}

// Compressed blocks cannot be viewed in place: lookups cache them decompressed.
TEST_F(MmapTableTest, CompressedBlocksAreCachedDecompressed) {
  options_.compression = CompressionType::kLz4;
  const int n = 2000;
  const uint64_t size = WriteTable(5, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(5, size, &table).ok());
  ASSERT_GT(table->Properties().num_compressed_blocks, 0u);
  for (int i = 0; i < n; i += 3) ASSERT_EQ(Value(5, i), Get(*table, 5, i));
  const uint64_t reads = table->DataBlockReads();
  EXPECT_GT(block_cache_->TotalCharge(), 0u);
  for (int i = 0; i < n; i += 3) ASSERT_EQ(Value(5, i), Get(*table, 5, i));
  EXPECT_EQ(reads, table->DataBlockReads());  // served from the cache
}

// Scans and seeks, like point lookups, use a mapped table's uncompressed blocks in place:
// each block is read (and checksummed) once, and the block cache is never touched, whether or
// not the read asks to fill it.
TEST_F(MmapTableTest, IteratorsUseBlocksInPlaceWithoutTheCache) {
  const int n = 4000;
  const uint64_t size = WriteTable(1, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(1, size, &table).ok());
  const uint64_t blocks = table->Properties().num_data_blocks;
  ASSERT_GT(blocks, 100u);
  int count = 0;
  {
    auto it = table->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(Key(1, count++), it->key());
    ASSERT_TRUE(it->status().ok());
  }
  EXPECT_EQ(n, count);
  EXPECT_EQ(blocks, table->DataBlockReads());
  EXPECT_EQ(0u, block_cache_->TotalCharge());
  TableReadOptions no_fill;
  no_fill.fill_cache = false;
  auto it = table->NewIterator(no_fill);
  for (int i = n - 1; i >= 0; i -= 13) {
    it->Seek(Key(1, i));
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(Value(1, i), it->value());
  }
  for (it->SeekToLast(), count = 0; it->Valid(); it->Prev()) count++;
  EXPECT_EQ(n, count);
  EXPECT_EQ(blocks, table->DataBlockReads());  // verified once: not read again
  EXPECT_EQ(0u, block_cache_->TotalCharge());
}

// An iterator meeting a damaged block on its first read reports the checksum mismatch, as a
// lookup does, and passes over the block.
TEST_F(MmapTableTest, InPlaceIteratorVerifiesEachBlockOnItsFirstRead) {
  const int n = 500;
  const uint64_t size = WriteTable(6, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(6, size, &table).ok());
  FlipByte(Path(6), 40);  // inside the first data block
  auto it = table->NewIterator({});
  it->Seek(Key(6, 0));
  ASSERT_TRUE(it->Valid());  // moved past the bad block
  EXPECT_NE(Key(6, 0), it->key());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  EXPECT_NE(std::string::npos, it->status().ToString().find("checksum mismatch"));
}

// Compressed blocks cannot be viewed in place: iterators read them decompressed through the
// cache, once.
TEST_F(MmapTableTest, IteratorsCacheCompressedBlocksDecompressed) {
  options_.compression = CompressionType::kLz4;
  const int n = 2000;
  const uint64_t size = WriteTable(5, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(5, size, &table).ok());
  ASSERT_EQ(table->Properties().num_compressed_blocks, table->Properties().num_data_blocks);
  for (int round = 0; round < 2; round++) {
    auto it = table->NewIterator({});
    int count = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ASSERT_EQ(Value(5, count++), it->value());
    EXPECT_EQ(n, count);
    EXPECT_EQ(table->Properties().num_data_blocks, table->DataBlockReads());
  }
  EXPECT_GT(block_cache_->TotalCharge(), 0u);
}

// Blocks that go through the cache viewing the mapping (here under paranoid checks, which
// keep every read on the cache path) cost the cache only their Block object and entry.
TEST_F(MmapTableTest, ZeroCopyBlocksAreChargedTheirHeapCostAndErasedWithTheTable) {
  options_.paranoid_checks = true;
  const int n = 4000;
  const uint64_t size = WriteTable(1, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(1, size, &table).ok());
  const uint64_t blocks = table->Properties().num_data_blocks;
  ASSERT_GT(blocks, 100u);
  // A scan caches every block, each charged its Block object and cache entry, not its 4 KiB.
  int count = 0;
  {
    auto it = table->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  }
  EXPECT_EQ(n, count);
  EXPECT_EQ(blocks, table->DataBlockReads());
  const size_t charge = block_cache_->TotalCharge();
  EXPECT_EQ(blocks * (sizeof(Block) + CacheEntryOverhead(16)), charge);
  {
    auto it = table->NewIterator({});
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
    }
  }
  EXPECT_EQ(blocks, table->DataBlockReads());  // served from the cache

  // A scan that does not fill the cache reads the blocks again, leaving the cache as it was.
  TableReadOptions no_fill;
  no_fill.fill_cache = false;
  auto it = table->NewIterator(no_fill);
  count = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) count++;
  EXPECT_EQ(n, count);
  it.reset();
  EXPECT_EQ(charge, block_cache_->TotalCharge());

  // Closing the table drops its blocks from the cache: they hold its mapping.
  table.reset();
  EXPECT_EQ(0u, block_cache_->TotalCharge());
}

TEST_F(MmapTableTest, UnpinnedIndexAndFilterViewTheMappingAndAreErasedToo) {
  options_.pin_index_and_filter = false;
  const int n = 2000;
  const uint64_t size = WriteTable(2, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(2, size, &table).ok());
  for (int i = 0; i < n; i += 3) ASSERT_EQ(Value(2, i), Get(*table, 2, i));
  EXPECT_EQ("", Get(*table, 3, 5));  // absent: the filter (now cached) rules it out
  const uint64_t blocks = table->DataBlockReads();
  // Data blocks, the index and the filter: none is charged its bytes.
  EXPECT_LT(block_cache_->TotalCharge(), (blocks + 2) * 256);
  EXPECT_GT(block_cache_->TotalCharge(), blocks * sizeof(Block));
  table.reset();
  EXPECT_EQ(0u, block_cache_->TotalCharge());
}

TEST_F(MmapTableTest, MappedBlockIsChecksummedWhenFirstCached) {
  const int n = 500;
  const uint64_t size = WriteTable(3, n);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenTable(3, size, &table).ok());
  // Flip a byte inside the first data block, under the live (shared) mapping.
  FlipByte(Path(3), 40);

  // The default read options ask for no checksum; the first read of a mapped block into the
  // cache checks it anyway.
  Status s;
  Get(*table, 3, 0, &s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.ToString().find("checksum mismatch")) << s.ToString();
  EXPECT_EQ(0u, block_cache_->TotalCharge());  // a bad block is not cached
  // Blocks elsewhere still read.
  EXPECT_EQ(Value(3, n - 1), Get(*table, 3, n - 1));
}

TEST_F(MmapTableTest, ViewingContentsKeepTheMappingAlive) {
  const uint64_t size = WriteTable(4, 300);
  std::unique_ptr<RandomAccessFile> unique;
  ASSERT_TRUE(env_->NewRandomAccessFileMaybeMapped(Path(4), &unique).ok());
  ASSERT_TRUE(unique->ViewsStable());
  std::shared_ptr<const RandomAccessFile> file = std::move(unique);
  Footer footer;
  ASSERT_TRUE(ReadFooter(file.get(), "f", size, &footer).ok());
  BlockContents contents;
  ASSERT_TRUE(ReadBlock(file.get(), "f", size, footer.index_handle(), true, &contents).ok());
  EXPECT_EQ(nullptr, contents.owned);  // a view: nothing copied
  contents.backing = file;
  auto block = std::make_unique<Block>(std::move(contents));
  EXPECT_FALSE(block->OwnsContents());
  file.reset();  // the block is now the mapping's only owner
  auto it = block->NewIterator(BytewiseComparator());
  int entries = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) entries++;
  EXPECT_TRUE(it->status().ok());
  EXPECT_GT(entries, 0);
}

TEST_F(MmapTableTest, EvictedTableStaysReadableForItsIterators) {
  const uint64_t size = WriteTable(5, 1000);
  TableCache cache(dir_.path(), options_, env_, 16);
  auto it = cache.NewIterator({}, 5, size);
  it->SeekToFirst();
  ASSERT_TRUE(it->Valid());
  cache.Evict(5);  // as when the file is deleted: the iterator still holds the table
  for (int i = 0; i < 1000; i++, it->Next()) {
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(Key(5, i), it->key());
    ASSERT_EQ(Value(5, i), it->value());
  }
  it.reset();
  EXPECT_EQ(0u, block_cache_->TotalCharge());  // the table closed and took its blocks along
}

TEST_F(MmapTableTest, WithoutMmapTablesAreReadWithPread) {
  const int n = 1000;
  const uint64_t size = WriteTable(6, n);
  TableCache cache(dir_.path(), options_, env_, 16, /*allow_mmap_reads=*/false);
  for (int i = 0; i < n; i += 50) {
    std::string found;
    ASSERT_TRUE(cache
                    .Get({}, 6, size, Key(6, i),
                         [&](std::string_view, std::string_view v) { found = std::string(v); })
                    .ok());
    EXPECT_EQ(Value(6, i), found);
  }
  // Copied blocks are charged their bytes.
  EXPECT_GT(block_cache_->TotalCharge(), 4096u);
}

TEST_F(MmapTableTest, FaultInjectionEnvTablesAreNotMappedAndSeeReadFaults) {
  const uint64_t size = WriteTable(7, 1000);
  FaultInjectionEnv fault_env(env_);
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fault_env.NewRandomAccessFileMaybeMapped(Path(7), &file).ok());
  EXPECT_FALSE(file->ViewsStable());

  TableCache cache(dir_.path(), options_, &fault_env, 16);
  auto get = [&](int i, std::string* found) {
    return cache.Get({}, 7, size, Key(7, i),
                     [&](std::string_view, std::string_view v) { *found = std::string(v); });
  };
  std::string found;
  ASSERT_TRUE(get(0, &found).ok());
  EXPECT_EQ(Value(7, 0), found);
  fault_env.FailAlways(FaultOp::kRead, ".sst");
  EXPECT_TRUE(get(999, &found).IsIOError());  // a block not cached yet
  fault_env.ClearFaults();
  ASSERT_TRUE(get(999, &found).ok());
  EXPECT_EQ(Value(7, 999), found);
}

// Readers of several tables race with a table cache too small for them (tables close and
// reopen, erasing their blocks) and with a block cache that evicts: for TSan and ASan.
TEST_F(MmapTableTest, ConcurrentReadersWhileTablesCloseAndReopen) {
  block_cache_ = NewLRUCache(64 << 10, 2);  // small: evicts constantly
  options_.block_cache = block_cache_.get();
  constexpr int kTables = 6;
  constexpr int kKeys = 600;
  std::vector<uint64_t> sizes;
  for (int t = 0; t < kTables; t++) sizes.push_back(WriteTable(10 + t, kKeys));
  TableCache cache(dir_.path(), options_, env_, 2);
  std::atomic<bool> failed{false};
  auto reader = [&](uint64_t seed) {
    Random rnd(seed);
    for (int op = 0; op < 3000 && !failed; op++) {
      const int t = static_cast<int>(rnd.Uniform(kTables));
      const int i = static_cast<int>(rnd.Uniform(kKeys));
      if (op % 50 == 0) {
        auto it = cache.NewIterator({}, 10 + t, sizes[t]);
        int n = 0;
        for (it->Seek(Key(10 + t, i)); it->Valid() && n < 40; it->Next(), n++) {
          if (it->key() != Key(10 + t, i + n) || it->value() != Value(10 + t, i + n)) {
            failed = true;
          }
        }
        if (!it->status().ok()) failed = true;
        continue;
      }
      std::string found;
      Status s = cache.Get({}, 10 + t, sizes[t], Key(10 + t, i),
                           [&](std::string_view, std::string_view v) { found = std::string(v); });
      if (!s.ok() || found != Value(10 + t, i)) failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (int r = 0; r < 3; r++) threads.emplace_back(reader, 17 + r);
  threads.emplace_back([&] {
    for (int k = 0; k < 200 && !failed; k++) cache.Evict(10 + k % kTables);
  });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(failed);
}

}  // namespace
}  // namespace jadedb::lsm
