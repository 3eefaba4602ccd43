#include "lsm/sstable/table.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/sstable/bloom.h"
#include "lsm/sstable/format.h"
#include "sstable_test_util.h"
#include "testutil/test_util.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

using sst_test::KVMap;

std::string NumberKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

KVMap MakeData(Random* rnd, int n) {
  KVMap kvs;
  for (int i = 0; i < n; i++) {
    // Even numbers only, so odd ones are absent keys between present ones.
    kvs[NumberKey(i * 2)] = test::RandomBytes(rnd, rnd->Uniform(100));
  }
  return kvs;
}

class TableRoundTripTest : public ::testing::TestWithParam<int> {};

TEST_P(TableRoundTripTest, BothDirectionsAndSeek) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  TableOptions options;
  options.block_size = 1024;
  options.block_restart_interval = GetParam();
  const KVMap kvs = MakeData(&rnd, 12000);
  std::string contents = sst_test::BuildTableContents(options, kvs);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(options, contents, &table).ok());
  EXPECT_EQ(kvs.size(), table->NumEntries());
  EXPECT_GT(table->Properties().num_data_blocks, 100u);

  std::vector<std::pair<std::string, std::string>> model(kvs.begin(), kvs.end());
  auto it = table->NewIterator({});
  size_t i = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), i++) {
    ASSERT_EQ(model[i].first, it->key());
    ASSERT_EQ(model[i].second, it->value());
  }
  ASSERT_EQ(model.size(), i);
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    --i;
    ASSERT_EQ(model[i].first, it->key());
    ASSERT_EQ(model[i].second, it->value());
  }
  ASSERT_EQ(0u, i);
  ASSERT_TRUE(it->status().ok());

  // Random seeks followed by a random walk, against the model.
  for (int round = 0; round < 2000; round++) {
    const int target_num = static_cast<int>(rnd.Uniform(kvs.size() * 2 + 10));
    const std::string target = NumberKey(target_num);
    it->Seek(target);
    size_t pos = kvs.lower_bound(target) == kvs.end()
                     ? model.size()
                     : std::distance(kvs.begin(), kvs.lower_bound(target));
    for (int step = 0; step < 10; step++) {
      ASSERT_EQ(pos < model.size(), it->Valid()) << target << " step " << step;
      if (pos >= model.size()) break;
      ASSERT_EQ(model[pos].first, it->key());
      ASSERT_EQ(model[pos].second, it->value());
      if (rnd.OneIn(2)) {
        it->Next();
        pos++;
      } else {
        it->Prev();
        pos = pos == 0 ? model.size() : pos - 1;
      }
    }
  }
  EXPECT_TRUE(it->status().ok());
}

INSTANTIATE_TEST_SUITE_P(RestartIntervals, TableRoundTripTest, ::testing::Values(1, 16));

TEST(TableTest, Properties) {
  Random rnd(7);
  TableOptions options;
  options.block_size = 512;
  auto policy = NewBloomFilterPolicy(10);
  options.filter_policy = policy.get();
  const KVMap kvs = MakeData(&rnd, 1000);
  uint64_t key_bytes = 0, value_bytes = 0;
  for (const auto& [k, v] : kvs) key_bytes += k.size(), value_bytes += v.size();
  std::string contents = sst_test::BuildTableContents(options, kvs);
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(options, contents, &table).ok());
  const TableProperties& p = table->Properties();
  EXPECT_EQ(1000u, p.num_entries);
  EXPECT_EQ(key_bytes, p.raw_key_size);
  EXPECT_EQ(value_bytes, p.raw_value_size);
  EXPECT_GT(p.num_data_blocks, 10u);
  EXPECT_GT(p.data_size, key_bytes);  // values are random: no compression either way
  EXPECT_GT(p.index_size, 0u);
  EXPECT_GT(p.filter_size, 1000u * 10 / 8);
  EXPECT_LT(p.data_size + p.index_size + p.filter_size, contents.size());
  EXPECT_EQ("jadedb.BytewiseComparator", p.comparator_name);
  EXPECT_EQ("jadedb.BuiltinBloomFilter", p.filter_policy_name);
}

// Internal keys, as the engine stores them: several versions per user key.
class InternalKeyTableTest : public ::testing::Test {
 protected:
  InternalKeyTableTest() : icmp_(BytewiseComparator()), ipolicy_(bloom_.get()) {
    options_.comparator = &icmp_;
    options_.filter_policy = &ipolicy_;
    options_.block_size = 1024;
  }

  static std::string IKey(std::string_view user_key, SequenceNumber seq, ValueType t) {
    std::string k;
    AppendInternalKey(&k, ParsedInternalKey(user_key, seq, t));
    return k;
  }

  // Builds a table of user keys NumberKey(2i) for i < n, each with versions at sequences
  // 3i+1 (value) and 3i (deletion for every 5th key, else value).
  void Build(int n) {
    sst_test::StringSink sink;
    TableBuilder builder(options_, &sink);
    for (int i = 0; i < n; i++) {
      std::string user = NumberKey(2 * i);
      builder.Add(IKey(user, 3 * i + 1, kTypeValue), "v" + std::to_string(i));
      builder.Add(IKey(user, 3 * i, i % 5 == 0 ? kTypeDeletion : kTypeValue), "old");
    }
    ASSERT_TRUE(builder.Finish().ok());
    auto source = std::make_unique<sst_test::StringSource>(sink.contents());
    source_ = source.get();
    ASSERT_TRUE(
        Table::Open(options_, std::move(source), sink.contents().size(), "t.sst", &table_).ok());
  }

  // InternalGet for user_key as of snapshot seq: the found (key, value) or "" when the
  // handler was not called.
  std::string Get(std::string_view user_key, SequenceNumber seq, Status* status = nullptr) {
    std::string found;
    Status s = table_->InternalGet({}, IKey(user_key, seq, kValueTypeForSeek),
                                   [&](std::string_view k, std::string_view v) {
                                     ParsedInternalKey parsed;
                                     EXPECT_TRUE(ParseInternalKey(k, &parsed));
                                     found = parsed.DebugString() + "=" + std::string(v);
                                   });
    if (status != nullptr) *status = s;
    EXPECT_TRUE(s.ok() || status != nullptr) << s.ToString();
    return found;
  }

  std::unique_ptr<FilterPolicy> bloom_ = NewBloomFilterPolicy(10);
  InternalKeyComparator icmp_;
  InternalFilterPolicy ipolicy_;
  TableOptions options_;
  std::unique_ptr<Table> table_;
  sst_test::StringSource* source_ = nullptr;
};

TEST_F(InternalKeyTableTest, InternalGetHits) {
  Build(5000);
  EXPECT_EQ(10000u, table_->NumEntries());
  EXPECT_EQ("'key00000014' @ 22 : 1=v7", Get(NumberKey(14), kMaxSequenceNumber));
  EXPECT_EQ("'key00000014' @ 22 : 1=v7", Get(NumberKey(14), 22));
  EXPECT_EQ("'key00000014' @ 21 : 1=old", Get(NumberKey(14), 21));
  EXPECT_EQ("'key00000020' @ 30 : 0=old", Get(NumberKey(20), 30));  // a deletion
  // Below the oldest version: the next entry is the following user key (the caller checks).
  EXPECT_EQ("'key00000016' @ 25 : 1=v8", Get(NumberKey(14), 20));
  for (int i = 0; i < 5000; i += 7) {
    std::string found = Get(NumberKey(2 * i), kMaxSequenceNumber);
    EXPECT_EQ(
        "'" + NumberKey(2 * i) + "' @ " + std::to_string(3 * i + 1) + " : 1=v" + std::to_string(i),
        found);
  }
  // Past the last key.
  EXPECT_EQ("", Get("zzz", kMaxSequenceNumber));
}

TEST_F(InternalKeyTableTest, FilterSkipsAbsentKeysWithoutReading) {
  Build(5000);
  const int reads_before = source_->reads();
  int called = 0;
  for (int i = 0; i < 5000; i++) {
    // Odd numbers were never added.
    called += Get(NumberKey(2 * i + 1), kMaxSequenceNumber).empty() ? 0 : 1;
  }
  const int reads = source_->reads() - reads_before;
  // Only the filter's false positives (about 1%) read a block.
  EXPECT_EQ(reads, called);
  EXPECT_LT(reads, 5000 * 3 / 100);
}

TEST_F(InternalKeyTableTest, IterationAndApproximateOffsets) {
  Build(3000);
  auto it = table_->NewIterator({});
  it->SeekToFirst();
  std::string prev;
  int n = 0;
  for (; it->Valid(); it->Next(), n++) {
    if (n > 0) {
      ASSERT_LT(icmp_.Compare(prev, it->key()), 0);
    }
    prev.assign(it->key());
  }
  EXPECT_EQ(6000, n);
  EXPECT_TRUE(it->status().ok());

  uint64_t last = 0;
  for (int i = 0; i < 3000; i += 100) {
    uint64_t off =
        table_->ApproximateOffsetOf(IKey(NumberKey(2 * i), kMaxSequenceNumber, kValueTypeForSeek));
    EXPECT_GE(off, last);
    last = off;
  }
  EXPECT_EQ(0u, table_->ApproximateOffsetOf(IKey("", kMaxSequenceNumber, kTypeValue)));
  EXPECT_EQ(table_->Properties().data_size,
            table_->ApproximateOffsetOf(IKey("zzz", kMaxSequenceNumber, kTypeValue)));
  EXPECT_GT(table_->Properties().data_size, last);
}

TEST(TableTest, BlockCache) {
  Random rnd(11);
  auto cache = NewLRUCache(1 << 20);
  TableOptions options;
  options.block_size = 1024;
  options.block_cache = cache.get();
  const KVMap kvs = MakeData(&rnd, 2000);
  std::string contents = sst_test::BuildTableContents(options, kvs);
  auto source = std::make_unique<sst_test::StringSource>(contents);
  sst_test::StringSource* src = source.get();
  std::unique_ptr<Table> table;
  ASSERT_TRUE(Table::Open(options, std::move(source), contents.size(), "c.sst", &table).ok());

  auto scan = [&](TableReadOptions ro) {
    auto it = table->NewIterator(ro);
    size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) n++;
    EXPECT_TRUE(it->status().ok());
    return n;
  };

  // fill_cache = false reads blocks without keeping them.
  TableReadOptions no_fill;
  no_fill.fill_cache = false;
  EXPECT_EQ(kvs.size(), scan(no_fill));
  EXPECT_EQ(0u, cache->TotalCharge());

  const int reads0 = src->reads();
  EXPECT_EQ(kvs.size(), scan({}));
  const int reads1 = src->reads();
  const uint64_t blocks = table->Properties().num_data_blocks;
  EXPECT_EQ(blocks, static_cast<uint64_t>(reads1 - reads0));
  // Charged by block bytes: the data blocks without their trailers.
  EXPECT_EQ(table->Properties().data_size - blocks * kBlockTrailerSize, cache->TotalCharge());

  // A second scan comes from the cache.
  const uint64_t hits_before = cache->Hits();
  EXPECT_EQ(kvs.size(), scan({}));
  EXPECT_EQ(reads1, src->reads());
  EXPECT_EQ(hits_before + blocks, cache->Hits());

  // InternalGet uses the cache too.
  bool found = false;
  ASSERT_TRUE(
      table
          ->InternalGet({}, NumberKey(100),
                        [&](std::string_view k, std::string_view) { found = k == NumberKey(100); })
          .ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(reads1, src->reads());
}

// Point lookups through every way a block can be held: index pinned or in the block cache,
// data blocks cached, read without filling the cache, or read with no cache at all. Each
// must find the same entries, and leave no cache entry pinned (the cache can drop all).
TEST(TableTest, InternalGetThroughEveryBlockSource) {
  Random rnd(12);
  const KVMap kvs = MakeData(&rnd, 3000);
  for (int mode = 0; mode < 4; mode++) {
    SCOPED_TRACE("mode " + std::to_string(mode));
    auto cache = NewLRUCache(1 << 20, /*shard_bits=*/0);  // one shard: one eviction sweep
    TableOptions options;
    options.block_size = 512;
    options.block_cache = mode == 3 ? nullptr : cache.get();
    options.pin_index_and_filter = mode != 1;
    std::string contents = sst_test::BuildTableContents(options, kvs);
    auto source = std::make_unique<sst_test::StringSource>(contents);
    sst_test::StringSource* src = source.get();
    std::unique_ptr<Table> table;
    ASSERT_TRUE(Table::Open(options, std::move(source), contents.size(), "g.sst", &table).ok());
    TableReadOptions ro;
    ro.fill_cache = mode != 2;
    ro.verify_checksums = true;
    for (int i = 0; i < 6000; i += 5) {
      const std::string key = NumberKey(i);
      std::string found_key, found_value;
      int calls = 0;
      // Captures more than std::function keeps inline: KeyValueCallback must not care.
      Status s = table->InternalGet(ro, key, [&](std::string_view k, std::string_view v) {
        calls++;
        found_key = k;
        found_value = v;
      });
      ASSERT_TRUE(s.ok()) << s.ToString();
      // A present key is found; an absent one may yield the next entry of its block.
      auto it = kvs.lower_bound(key);
      if (it != kvs.end() && it->first == key) {
        ASSERT_EQ(1, calls);
      }
      if (calls > 0) {
        ASSERT_NE(kvs.end(), it);
        EXPECT_EQ(it->first, found_key);
        EXPECT_EQ(it->second, found_value);
      }
    }
    if (mode == 2) {
      EXPECT_EQ(0u, cache->TotalCharge());  // nothing kept
    }
    if (mode == 0) {
      // Every block is cached now: looking everything up again reads nothing.
      const int reads = src->reads();
      for (int i = 0; i < 6000; i += 5) {
        ASSERT_TRUE(
            table->InternalGet(ro, NumberKey(i), [](std::string_view, std::string_view) {}).ok());
      }
      EXPECT_EQ(reads, src->reads());
    }
    // All handles were released: an entry larger than the cache evicts every unpinned
    // entry, so only a leaked pin would keep its charge.
    table.reset();
    if (mode != 3) {
      cache->Release(cache->Insert("big", nullptr, size_t{1} << 21, nullptr));
      EXPECT_EQ(size_t{1} << 21, cache->TotalCharge());
    }
  }
}

TEST(TableTest, TwoTablesShareACacheWithoutMixingBlocks) {
  auto cache = NewLRUCache(1 << 20);
  TableOptions options;
  options.block_cache = cache.get();
  std::string a = sst_test::BuildTableContents(options, {{"k", "from a"}});
  std::string b = sst_test::BuildTableContents(options, {{"k", "from b"}});
  std::unique_ptr<Table> ta, tb;
  ASSERT_TRUE(sst_test::OpenTable(options, a, &ta, "a.sst").ok());
  ASSERT_TRUE(sst_test::OpenTable(options, b, &tb, "b.sst").ok());
  for (int round = 0; round < 2; round++) {
    auto ia = ta->NewIterator({});
    auto ib = tb->NewIterator({});
    ia->SeekToFirst();
    ib->SeekToFirst();
    EXPECT_EQ("from a", ia->value());
    EXPECT_EQ("from b", ib->value());
  }
}

class TableCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Random rnd(5);
    options_.block_size = 1024;
    policy_ = NewBloomFilterPolicy(10);
    options_.filter_policy = policy_.get();
    kvs_ = MakeData(&rnd, 2000);
    good_ = sst_test::BuildTableContents(options_, kvs_);
    std::unique_ptr<Table> table;
    ASSERT_TRUE(sst_test::OpenTable(options_, good_, &table).ok());
    props_ = table->Properties();
  }

  Status OpenDamaged(const std::string& contents, std::unique_ptr<Table>* table) {
    return sst_test::OpenTable(options_, contents, table, "bad.sst");
  }

  TableOptions options_;
  std::unique_ptr<FilterPolicy> policy_;
  KVMap kvs_;
  std::string good_;
  TableProperties props_;
};

TEST_F(TableCorruptionTest, FlippedDataByteIsReportedWithFileAndOffset) {
  std::string bad = good_;
  bad[20] ^= 0x01;  // inside the first data block (offset 0)
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenDamaged(bad, &table).ok());  // data blocks are checked when read

  TableReadOptions verify;
  verify.verify_checksums = true;
  auto it = table->NewIterator(verify);
  it->SeekToFirst();
  Status s = it->status();
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(0u, s.message().find("bad.sst: block at offset 0 size ")) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("checksum mismatch")) << s.ToString();
  // The iterator moves on past the bad block but keeps reporting the error.
  EXPECT_TRUE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption());

  bool called = false;
  const std::string first_key = kvs_.begin()->first;
  s = table->InternalGet(verify, first_key,
                         [&](std::string_view, std::string_view) { called = true; });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(std::string::npos, s.message().find("bad.sst: block at offset 0")) << s.ToString();
  EXPECT_FALSE(called);

  // paranoid_checks turns verification on for every read.
  options_.paranoid_checks = true;
  ASSERT_TRUE(OpenDamaged(bad, &table).ok());
  s = table->InternalGet({}, first_key, [&](std::string_view, std::string_view) {});
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  // VerifyChecksums finds it as well.
  std::string report;
  s = table->VerifyChecksums(&report);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, report.find("data block at offset 0 size")) << report;
}

TEST_F(TableCorruptionTest, VerifyChecksumsOnGoodTable) {
  std::unique_ptr<Table> table;
  ASSERT_TRUE(OpenDamaged(good_, &table).ok());
  std::string report;
  ASSERT_TRUE(table->VerifyChecksums(&report).ok());
  size_t lines = std::count(report.begin(), report.end(), '\n');
  EXPECT_EQ(props_.num_data_blocks + 4, lines) << report;  // + metaindex, index, props, filter
  EXPECT_EQ(std::string::npos, report.find("Corruption"));
}

TEST_F(TableCorruptionTest, TruncatedFilesFailToOpen) {
  for (size_t keep : {size_t{0}, size_t{10}, size_t{51}, good_.size() / 2, good_.size() - 1}) {
    std::unique_ptr<Table> table;
    Status s = OpenDamaged(good_.substr(0, keep), &table);
    EXPECT_TRUE(s.IsCorruption()) << keep << " " << s.ToString();
    EXPECT_EQ(0u, s.message().find("bad.sst: ")) << s.ToString();
    EXPECT_EQ(nullptr, table);
  }
}

TEST_F(TableCorruptionTest, BadMagicFailsToOpen) {
  std::string bad = good_;
  bad[bad.size() - 3] ^= 0x40;
  std::unique_ptr<Table> table;
  Status s = OpenDamaged(bad, &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_EQ("bad.sst: footer at offset " + std::to_string(good_.size() - Footer::kEncodedLength) +
                ": bad magic number",
            s.message());
}

TEST_F(TableCorruptionTest, MetaBlocksAreAlwaysVerifiedAtOpen) {
  // Every byte from the end of the data blocks to the footer belongs to the filter, index,
  // properties or metaindex block (contents or trailer): flipping any of them fails Open.
  const size_t meta_start = props_.data_size;
  const size_t meta_end = good_.size() - Footer::kEncodedLength;
  int checked = 0;
  for (size_t pos = meta_start; pos < meta_end; pos += 7) {
    std::string bad = good_;
    bad[pos] ^= 0x80;
    std::unique_ptr<Table> table;
    Status s = OpenDamaged(bad, &table);
    ASSERT_TRUE(s.IsCorruption()) << pos << " " << s.ToString();
    EXPECT_EQ(0u, s.message().find("bad.sst: block at offset ")) << s.ToString();
    checked++;
  }
  EXPECT_GT(checked, 20);
}

TEST_F(TableCorruptionTest, HandlesPointingOutsideTheFile) {
  // Rewrite the footer so the index handle points past the end.
  Footer footer;
  ASSERT_TRUE(footer.DecodeFrom(std::string_view(good_).substr(good_.size() - 52), "x", 0).ok());
  footer.set_index_handle(BlockHandle(good_.size() - 10, 1000));
  std::string bad = good_.substr(0, good_.size() - 52);
  footer.EncodeTo(&bad);
  std::unique_ptr<Table> table;
  Status s = OpenDamaged(bad, &table);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(std::string::npos, s.message().find("beyond end of file")) << s.ToString();
}

// Garbage and damaged files must never crash (this runs under ASan too): each either fails
// to open with Corruption/NotSupported or iterates to an end, possibly with an error.
TEST_F(TableCorruptionTest, GarbageNeverCrashes) {
  const uint64_t seed = test::TestSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  Random rnd(seed);
  int opened = 0;
  for (int round = 0; round < 400; round++) {
    std::string bytes;
    if (round % 4 == 0) {
      bytes = test::RandomBytes(&rnd, rnd.Uniform(4096));
      if (rnd.OneIn(2) && bytes.size() >= 12) {
        // A valid magic on garbage gets further into the parser.
        bytes.replace(bytes.size() - 12, 12, good_.substr(good_.size() - 12));
      }
    } else {
      bytes = good_;
      const int flips = 1 + static_cast<int>(rnd.Uniform(8));
      for (int f = 0; f < flips; f++) {
        // Bias towards the data blocks so the unverified read paths see damage too.
        size_t pos = rnd.OneIn(4) ? rnd.Uniform(bytes.size()) : rnd.Uniform(props_.data_size);
        bytes[pos] = static_cast<char>(rnd.Uniform(256));
      }
    }
    std::unique_ptr<Table> table;
    Status s = OpenDamaged(bytes, &table);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption() || s.IsNotSupported()) << s.ToString();
      continue;
    }
    opened++;
    for (bool verify : {false, true}) {
      TableReadOptions ro;
      ro.verify_checksums = verify;
      auto it = table->NewIterator(ro);
      int steps = 0;
      for (it->SeekToFirst(); it->Valid() && steps < 100000; it->Next()) steps++;
      for (it->SeekToLast(); it->Valid() && steps < 200000; it->Prev()) steps++;
      ASSERT_LT(steps, 200000);
      it->Seek(NumberKey(1000));
      (void)table->InternalGet(ro, NumberKey(1000), [](std::string_view, std::string_view) {});
      (void)table->ApproximateOffsetOf(NumberKey(500));
    }
    (void)table->VerifyChecksums(nullptr);
  }
  EXPECT_GT(opened, 0);
}

TEST(TableTest, FilterPolicyMismatchMeansNoFilter) {
  // A table written without a filter (or with another policy) is read without one: every
  // lookup goes to the data block, and nothing is missed.
  TableOptions write_options;
  std::string contents = sst_test::BuildTableContents(write_options, {{"a", "1"}, {"b", "2"}});
  TableOptions read_options;
  auto policy = NewBloomFilterPolicy(10);
  read_options.filter_policy = policy.get();
  std::unique_ptr<Table> table;
  ASSERT_TRUE(sst_test::OpenTable(read_options, contents, &table).ok());
  std::string found;
  ASSERT_TRUE(table
                  ->InternalGet({}, "b",
                                [&](std::string_view k, std::string_view v) {
                                  found = std::string(k) + "=" + std::string(v);
                                })
                  .ok());
  EXPECT_EQ("b=2", found);
}

}  // namespace
}  // namespace jadedb::lsm
