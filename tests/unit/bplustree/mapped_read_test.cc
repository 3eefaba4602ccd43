// Mapped leaf reads (BPlusTreeOptions::allow_mmap_reads): the seqlock in PageFile, the
// bounds-checked leaf search, and Gets served from the map while writers change the tree.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bplustree/bplustree_db.h"
#include "bplustree/mapped_node.h"
#include "bplustree/node.h"
#include "bplustree/page.h"
#include "bplustree/page_file.h"
#include "bplustree/tree.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

constexpr size_t kSmallPage = 4096;

std::string MakePage(PageId id, char fill) {
  std::string p(kSmallPage, '\0');
  InitPage(p.data(), kSmallPage, id, PageType::kLeaf, 0, 1);
  std::memset(p.data() + PayloadBegin(), fill, 64);
  SealPage(p.data(), kSmallPage);
  return p;
}

TEST(PageFileMappedTest, SeqlockSeesEveryWriteAndResetsVerification) {
  test::TempDir dir;
  PageFile f(Env::Default(), dir.path(), kSmallPage, kSmallPage * 4, /*map_reads=*/true);
  PageFile::MappedPage m;
  EXPECT_FALSE(f.BeginMappedRead(5, &m));  // its segment was never opened

  std::string v1 = MakePage(5, 'a');
  ASSERT_TRUE(f.WritePage(5, v1.data()).ok());
  ASSERT_TRUE(f.BeginMappedRead(5, &m));
  EXPECT_EQ(std::string(m.data, kSmallPage), v1);
  EXPECT_FALSE(m.verified);
  ASSERT_TRUE(f.EndMappedRead(5, m));
  f.MarkMappedVerified(5, m);
  ASSERT_TRUE(f.BeginMappedRead(5, &m));
  EXPECT_TRUE(m.verified);
  EXPECT_FALSE(f.BeginMappedRead(6, &m));  // beyond the end of the file
  EXPECT_FALSE(f.BeginMappedRead(9, &m));  // another segment, never opened

  // A write between the two looks makes the read void, and its bytes unverified.
  ASSERT_TRUE(f.BeginMappedRead(5, &m));
  std::string v2 = MakePage(5, 'b');
  ASSERT_TRUE(f.WritePage(5, v2.data()).ok());
  EXPECT_FALSE(f.EndMappedRead(5, m));
  ASSERT_TRUE(f.BeginMappedRead(5, &m));
  EXPECT_EQ(std::string(m.data, kSmallPage), v2);
  EXPECT_FALSE(m.verified);
  EXPECT_TRUE(f.EndMappedRead(5, m));

  // A write to a neighbour changes nothing for this page.
  f.MarkMappedVerified(5, m);
  std::string n = MakePage(6, 'c');
  ASSERT_TRUE(f.WritePage(6, n.data()).ok());
  EXPECT_TRUE(f.EndMappedRead(5, m));
  ASSERT_TRUE(f.BeginMappedRead(6, &m));  // the file grew to hold page 6
  EXPECT_EQ(std::string(m.data, kSmallPage), n);
}

TEST(PageFileMappedTest, PoolReadsCopyFromTheMapAndVerifyEveryNewVersion) {
  test::TempDir dir;
  PageFile f(Env::Default(), dir.path(), kSmallPage, kSmallPage * 4, /*map_reads=*/true);
  std::string v1 = MakePage(5, 'a');
  ASSERT_TRUE(f.WritePage(5, v1.data()).ok());
  std::string buf(kSmallPage, '\0');
  PageFile::MappedPage m;
  ASSERT_TRUE(f.ReadPage(5, buf.data(), &m).ok());
  EXPECT_NE(m.data, nullptr);
  EXPECT_FALSE(m.verified);
  EXPECT_EQ(buf, v1);
  f.MarkMappedVerified(5, m);
  buf.assign(kSmallPage, '\0');
  ASSERT_TRUE(f.ReadPage(5, buf.data(), &m).ok());
  EXPECT_TRUE(m.verified);
  EXPECT_EQ(buf, v1);

  // A new version is checked again: a damaged one is Corruption, not trusted.
  std::string damaged = v1;
  damaged[PayloadBegin() + 10] ^= 1;
  ASSERT_TRUE(f.WritePage(5, damaged.data()).ok());
  Status s = f.ReadPage(5, buf.data(), &m);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_TRUE(f.ReadPage(6, buf.data(), &m).IsNotFound());  // never written
}

TEST(PageFileMappedTest, PoolNewerMarkStopsMappedReadsUntilAWriteClearsIt) {
  test::TempDir dir;
  PageFile f(Env::Default(), dir.path(), kSmallPage, kSmallPage * 4, /*map_reads=*/true);
  std::string v1 = MakePage(5, 'a');
  ASSERT_TRUE(f.WritePage(5, v1.data()).ok());
  PageFile::MappedPage m;
  ASSERT_TRUE(f.BeginMappedRead(5, &m));

  // A commit in the pool voids a read in progress and refuses new ones.
  f.MarkPoolNewer(5);
  EXPECT_FALSE(f.EndMappedRead(5, m));
  EXPECT_FALSE(f.BeginMappedRead(5, &m));
  f.MarkPoolNewer(5);  // again (another commit before any flush): still refused
  EXPECT_FALSE(f.BeginMappedRead(5, &m));
  // The flush writes the new version, then clears the mark: readable, and not yet verified.
  std::string v2 = MakePage(5, 'b');
  ASSERT_TRUE(f.WritePage(5, v2.data()).ok());
  EXPECT_FALSE(f.BeginMappedRead(5, &m));
  f.ClearPoolNewer(5);
  ASSERT_TRUE(f.BeginMappedRead(5, &m));
  EXPECT_EQ(std::string(m.data, kSmallPage), v2);
  EXPECT_FALSE(m.verified);
  EXPECT_TRUE(f.EndMappedRead(5, m));
  // Neighbours are not affected.
  f.MarkPoolNewer(4);
  EXPECT_TRUE(f.EndMappedRead(5, m));

  // A page marked before its segment file is opened (allocated at the end of the store) stays
  // unreadable in the map once the file appears, until it is cleared.
  f.MarkPoolNewer(9);
  std::string p9 = MakePage(9, 'c'), p10 = MakePage(10, 'd');
  ASSERT_TRUE(f.WritePage(10, p10.data()).ok());  // opens segment 2; page 9 is a hole
  EXPECT_FALSE(f.BeginMappedRead(9, &m));
  ASSERT_TRUE(f.BeginMappedRead(10, &m));
  ASSERT_TRUE(f.WritePage(9, p9.data()).ok());
  EXPECT_FALSE(f.BeginMappedRead(9, &m));
  f.ClearPoolNewer(9);
  ASSERT_TRUE(f.BeginMappedRead(9, &m));
  EXPECT_EQ(std::string(m.data, kSmallPage), p9);
}

TEST(PageFileMappedTest, NoMapWithoutTheOption) {
  test::TempDir dir;
  PageFile f(Env::Default(), dir.path(), kSmallPage, kSmallPage * 4);
  std::string v = MakePage(5, 'a');
  ASSERT_TRUE(f.WritePage(5, v.data()).ok());
  PageFile::MappedPage m;
  EXPECT_FALSE(f.BeginMappedRead(5, &m));
}

// A leaf page with keys k000..k(n-1) (even numbers only) and values "v" + key.
std::string MakeLeaf(int n) {
  std::string page(kSmallPage, '\0');
  InitPage(page.data(), kSmallPage, 7, PageType::kLeaf, 0, 1);
  Node node(page.data() + PayloadBegin(), PayloadSize(kSmallPage));
  Node::Init(node.data(), node.size(), /*leaf=*/true);
  for (int i = 0; i < n; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%03d", 2 * i);
    EXPECT_TRUE(node.InsertCell(i, Node::EncodeCell(0, key, std::string("v") + key)));
  }
  SealPage(page.data(), kSmallPage);
  return page;
}

TEST(MappedLeafTest, FindsEveryKeyAndNoOther) {
  const int n = 60;
  std::string page = MakeLeaf(n);
  for (int i = -1; i < 2 * n + 1; i++) {
    char key[16];
    std::snprintf(key, sizeof(key), "k%03d", i < 0 ? 999 : i);
    std::string value;
    MappedLeafResult r = FindInMappedLeaf(page.data(), kSmallPage, key, &value);
    if (i >= 0 && i < 2 * n && i % 2 == 0) {
      ASSERT_EQ(r, MappedLeafResult::kFound) << key;
      EXPECT_EQ(value, std::string("v") + key);
    } else {
      EXPECT_EQ(r, MappedLeafResult::kNotFound) << key;
    }
  }
  std::string value;
  EXPECT_EQ(FindInMappedLeaf(page.data(), kSmallPage, "", &value), MappedLeafResult::kNotFound);
}

TEST(MappedLeafTest, OverflowedValueIsLeftToThePool) {
  std::string page(kSmallPage, '\0');
  InitPage(page.data(), kSmallPage, 7, PageType::kLeaf, 0, 1);
  Node node(page.data() + PayloadBegin(), PayloadSize(kSmallPage));
  Node::Init(node.data(), node.size(), /*leaf=*/true);
  char ref[OverflowRef::kEncodedSize];
  OverflowRef{42, 100000}.EncodeTo(ref);
  ASSERT_TRUE(node.InsertCell(0, Node::EncodeCell(kValueOverflow, "big", std::string(ref, 12))));
  ASSERT_TRUE(node.InsertCell(1, Node::EncodeCell(0, "small", "v")));
  std::string value;
  EXPECT_EQ(FindInMappedLeaf(page.data(), kSmallPage, "big", &value), MappedLeafResult::kUnsure);
  EXPECT_EQ(FindInMappedLeaf(page.data(), kSmallPage, "small", &value), MappedLeafResult::kFound);
  EXPECT_EQ(value, "v");
}

// Bytes torn by a concurrent write can be anything: the search must stay inside the page
// (ASan checks it in the sanitizer run) whatever the slots and lengths say.
TEST(MappedLeafTest, GarbageNeverReadsOutsideThePage) {
  Random rnd(1121);
  const std::string good = MakeLeaf(60);
  for (int round = 0; round < 3000; round++) {
    // The page in a heap block of exactly its size, so any overrun is caught.
    std::unique_ptr<char[]> page(new char[kSmallPage]);
    std::memcpy(page.get(), good.data(), kSmallPage);
    const int flips = 1 + static_cast<int>(rnd.Uniform(64));
    for (int i = 0; i < flips; i++) {
      // Mostly the node header, slots and cell headers, where a wrong byte hurts most.
      const size_t at = rnd.OneIn(2) ? PayloadBegin() + rnd.Uniform(200)
                                     : PayloadBegin() + rnd.Uniform(PayloadSize(kSmallPage));
      page[at] = static_cast<char>(rnd.Uniform(256));
    }
    std::string value;
    char key[16];
    std::snprintf(key, sizeof(key), "k%03d", static_cast<int>(rnd.Uniform(130)));
    (void)FindInMappedLeaf(page.get(), kSmallPage, key, &value);
    EXPECT_LE(value.size(), kSmallPage);
  }
}

uint64_t Stat(DB* db, const std::string& name) {
  std::string stats;
  EXPECT_TRUE(db->GetProperty("jadedb.stats", &stats));
  const std::string tag = "bplustree." + name + ": ";
  size_t at = stats.find(tag);
  EXPECT_NE(at, std::string::npos) << name;
  return at == std::string::npos ? 0 : std::stoull(stats.substr(at + tag.size()));
}

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

std::string Value(int i, int version) {
  return Key(i) + "/" + std::to_string(version) + std::string(80, static_cast<char>('a' + i % 26));
}

class MappedReadDBTest : public testing::Test {
 protected:
  void Open(bool mapped, uint32_t page_size = 16384) {
    db_.reset();
    Options o;
    o.engine = EngineType::kBPlusTree;
    o.create_if_missing = true;
    o.bplustree.page_size = page_size;
    o.bplustree.buffer_pool_size = 64 * page_size;  // the minimum: most pages stay outside
    o.bplustree.allow_mmap_reads = mapped;
    Status s = OpenBPlusTreeDB(o, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Fill(int n, int version) {
    for (int i = 0; i < n; i += 100) {
      WriteBatch b;
      for (int j = i; j < i + 100 && j < n; j++) b.Put(Key(j), Value(j, version));
      ASSERT_TRUE(db_->Write(WriteOptions(), &b).ok());
    }
  }
  void ExpectAll(int n, const std::vector<int>& versions) {
    for (int i = 0; i < n; i++) {
      std::string v;
      Status s = db_->Get(ReadOptions(), Key(i), &v);
      ASSERT_TRUE(s.ok()) << i << " " << s.ToString();
      ASSERT_EQ(v, Value(i, versions[i])) << i;
    }
    std::string v;
    EXPECT_TRUE(db_->Get(ReadOptions(), "key", &v).IsNotFound());
    EXPECT_TRUE(db_->Get(ReadOptions(), Key(n), &v).IsNotFound());
  }

  test::TempDir dir_;
  std::unique_ptr<DB> db_;
};

constexpr int kKeys = 20000;  // ~2.4 MB of records: about twice the pool's 64 pages of leaves

TEST_F(MappedReadDBTest, GetsOutsideThePoolComeFromTheMapAndSeeLaterWrites) {
  Open(true);
  Fill(kKeys, 0);
  Open(true);  // a clean reopen: every leaf is on disk and none in the pool
  std::vector<int> versions(kKeys, 0);
  ExpectAll(kKeys, versions);
  const uint64_t reads = Stat(db_.get(), "mapped.reads");
  const uint64_t verifies = Stat(db_.get(), "mapped.verifies");
  EXPECT_GT(reads, kKeys / 2u);
  EXPECT_GT(verifies, 64u);  // more leaves than the pool holds, each verified once
  EXPECT_LT(verifies, kKeys / 20u);
  ExpectAll(kKeys, versions);
  EXPECT_EQ(Stat(db_.get(), "mapped.verifies"), verifies);  // no page changed: none again

  // Rewrite every third key: the leaves pass through the pool, are written back as it
  // evicts them, and the next mapped read of each verifies its new bytes.
  for (int i = 0; i < kKeys; i += 3) versions[i] = 1;
  for (int i = 0; i < kKeys; i += 3)
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 1)).ok());
  ExpectAll(kKeys, versions);
  EXPECT_GT(Stat(db_.get(), "mapped.verifies"), verifies);
  Open(true);
  ExpectAll(kKeys, versions);
}

// Hot keys whose leaves stay outside the pool are found through the adaptive hash index and
// the map, and a leaf rewritten since its entry was recorded is not trusted.
TEST_F(MappedReadDBTest, HotKeysHitTheHashIndexInTheMap) {
  Open(true);
  Fill(kKeys, 0);
  Open(true);
  std::vector<int> versions(kKeys, 0);
  auto read_hot = [&](int rounds) {
    for (int r = 0; r < rounds; r++) {
      for (int i = 0; i < kKeys; i += 97) {
        std::string v;
        ASSERT_TRUE(db_->Get(ReadOptions(), Key(i), &v).ok()) << i;
        ASSERT_EQ(v, Value(i, versions[i])) << i;
      }
    }
  };
  read_hot(60);
  const uint64_t hits = Stat(db_.get(), "ahi.hits");
  EXPECT_GT(hits, 1000u);
  EXPECT_GT(Stat(db_.get(), "mapped.reads"), 1000u);
  // Rewrite the hot keys and churn the pool so their leaves are written back and evicted:
  // the recorded LSNs are stale, and every answer must still be the new value.
  for (int i = 0; i < kKeys; i += 97) {
    versions[i] = 1;
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 1)).ok());
  }
  for (int i = 1; i < kKeys; i += 97) {
    versions[i] = 2;
    ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), Value(i, 2)).ok());
  }
  read_hot(5);
  ExpectAll(kKeys, versions);
  read_hot(5);
  EXPECT_GT(Stat(db_.get(), "ahi.hits"), hits);
}

TEST_F(MappedReadDBTest, OffMeansEveryLeafGoesThroughThePool) {
  Open(false);
  Fill(kKeys, 0);
  Open(false);
  ExpectAll(kKeys, std::vector<int>(kKeys, 0));
  EXPECT_EQ(Stat(db_.get(), "mapped.reads"), 0u);
  EXPECT_EQ(Stat(db_.get(), "mapped.verifies"), 0u);
}

// Readers see only values some write stored, while writers make the pool write back and
// evict the leaves that readers are reading from the map.
TEST_F(MappedReadDBTest, ConcurrentWritersAndMappedReaders) {
  Open(true);
  Fill(kKeys, 0);
  Open(true);
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; w++) {
    threads.emplace_back([&, w] {
      Random rnd(77 + w);
      for (int round = 1; round <= 3; round++) {
        for (int n = 0; n < 3000; n++) {
          const int i = static_cast<int>(rnd.Uniform(kKeys));
          if (!db_->Put(WriteOptions(), Key(i), Value(i, round)).ok()) bad++;
        }
      }
    });
  }
  for (int r = 0; r < 2; r++) {
    threads.emplace_back([&, r] {
      Random rnd(99 + r);
      while (!stop.load()) {
        const int i = static_cast<int>(rnd.Uniform(kKeys));
        std::string v;
        Status s = db_->Get(ReadOptions(), Key(i), &v);
        bool ok = s.ok();
        if (ok) {
          ok = false;
          for (int version = 0; version <= 3 && !ok; version++) ok = v == Value(i, version);
        }
        if (!ok) bad++;
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  for (size_t t = 2; t < threads.size(); t++) threads[t].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(Stat(db_.get(), "mapped.reads"), 0u);
}

// Every page is read through the map once the pool has written it: internal nodes too, so a
// clean tree is descended with no buffer-pool access at all.
TEST_F(MappedReadDBTest, CleanTreeIsDescendedWithoutThePool) {
  Open(true, 4096);
  Fill(kKeys, 0);
  Open(true, 4096);  // every page clean on disk
  std::vector<int> versions(kKeys, 0);
  ExpectAll(kKeys, versions);
  // The stats text is taken before its tree-height line fetches the root: one pool lookup
  // per call, after the counters were read.
  auto pool_lookups = [&] {
    std::string stats;
    EXPECT_TRUE(db_->GetProperty("jadedb.stats", &stats));
    uint64_t n = 0;
    for (const char* name : {"bplustree.buffer-pool.hits: ", "bplustree.buffer-pool.misses: "}) {
      const size_t at = stats.find(name);
      EXPECT_NE(at, std::string::npos) << name;
      if (at != std::string::npos) n += std::stoull(stats.substr(at + std::strlen(name)));
    }
    return n;
  };
  const uint64_t lookups = pool_lookups();
  ExpectAll(kKeys, versions);
  // The second pass found every page in the map: the pool saw no lookup but the stats call's.
  EXPECT_EQ(pool_lookups(), lookups + 1);
  EXPECT_EQ(Stat(db_.get(), "mapped.fallbacks"), 0u);
  // A change is read from the pool until it is flushed, then from the map again.
  ASSERT_TRUE(db_->Put(WriteOptions(), Key(7), Value(7, 1)).ok());
  versions[7] = 1;
  ExpectAll(kKeys, versions);
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ExpectAll(kKeys, versions);
}

// The window optimistic descent has to close: a writer splits the leaf after the reader read
// the leaf's id in its parent (in the map) and before it reads the leaf, moving the key out.
// The reader must see that the parent changed (its word) and restart, whether the split leaf
// is then read in the pool (still dirty) or in the map (written back at once).
TEST_F(MappedReadDBTest, SplitBetweenParentAndLeafIsSeenAndRestarts) {
  for (bool flush_in_window : {false, true}) {
    SCOPED_TRACE(flush_in_window ? "split leaf written back" : "split leaf dirty in the pool");
    Open(true, 4096);
    for (int i = 0; i < 3000; i += 2) ASSERT_TRUE(db_->Put(WriteOptions(), Key(i), "s").ok());
    Open(true, 4096);  // every page clean in the map
    auto* db = static_cast<BPlusTreeDB*>(db_.get());
    const size_t height = db->tree()->Height();
    ASSERT_GE(height, 2u);
    const int target = flush_in_window ? 2500 : 1000;  // a part of the tree not split before
    int hop = 0;
    bool fired = false;
    db->tree()->SetMappedHopHookForTest([&](PageId, PageId) {
      // Only at the hop from the leaf's parent, once.
      if (fired || static_cast<size_t>(++hop) != height - 1) return;
      fired = true;
      // Keys just below the target, with large values: the target's leaf splits, and the
      // target goes to the new right page.
      for (int j = 0; j < 40; j++) {
        char suffix[8];
        std::snprintf(suffix, sizeof(suffix), "-%02d", j);
        ASSERT_TRUE(db_->Put(WriteOptions(), Key(target - 1) + suffix, std::string(200, 'x')).ok());
      }
      if (flush_in_window) {
        ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
      }
    });
    const uint64_t restarts = Stat(db_.get(), "tree.restarts");
    hop = 0;
    std::string v;
    Status s = db_->Get(ReadOptions(), Key(target), &v);
    ASSERT_TRUE(fired);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(v, "s");
    EXPECT_GT(Stat(db_.get(), "tree.restarts"), restarts);
    db->tree()->SetMappedHopHookForTest(nullptr);
  }
}

// Linearizability under structure changes: a key whose insert was acknowledged is found by
// every Get that starts after, and a deleted one never comes back, while writers split and
// merge leaves and internal nodes (4 KiB pages: a deeper tree) and the small pool writes back
// and evicts the pages readers are descending in the map.
TEST_F(MappedReadDBTest, ReadersSeeEveryAcknowledgedInsertAndDeleteDuringSplitsAndMerges) {
  Open(true, 4096);
  constexpr int kStable = 8000;  // even keys, never changed
  for (int i = 0; i < kStable; i++) ASSERT_TRUE(db_->Put(WriteOptions(), Key(2 * i), "s").ok());
  Open(true, 4096);
  // The writer inserts odd keys in order, publishing how far it got, then deletes them in
  // order, publishing each delete before it starts (deleting) and after it returns (deleted).
  std::atomic<int> inserted{-1}, deleting{-1}, deleted{-1};
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread writer([&] {
    for (int i = 0; i < kStable; i++) {
      if (!db_->Put(WriteOptions(), Key(2 * i + 1), Value(i, 0)).ok()) bad++;
      inserted.store(i, std::memory_order_release);
    }
    for (int i = 0; i < kStable; i++) {
      deleting.store(i, std::memory_order_release);
      if (!db_->Delete(WriteOptions(), Key(2 * i + 1)).ok()) bad++;
      deleted.store(i, std::memory_order_release);
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      Random rnd(1234 + r);
      while (!stop.load(std::memory_order_relaxed)) {
        const int i = static_cast<int>(rnd.Uniform(kStable));
        const int ins = inserted.load(std::memory_order_acquire);
        const int del = deleted.load(std::memory_order_acquire);
        std::string v;
        Status s = db_->Get(ReadOptions(), Key(2 * i), &v);
        if (!s.ok() || v != "s") {
          ADD_FAILURE() << "stable key " << 2 * i << ": " << s.ToString();
          bad++;
        }
        s = db_->Get(ReadOptions(), Key(2 * i + 1), &v);
        if (i <= del) {
          if (!s.IsNotFound()) {  // deleted before this Get began
            ADD_FAILURE() << "deleted key " << 2 * i + 1 << ": " << s.ToString();
            bad++;
          }
        } else if (i <= ins) {
          // Inserted before this Get began; its delete may have started since.
          if (!(s.ok() && v == Value(i, 0)) && !(s.IsNotFound() && deleting.load() >= i)) {
            ADD_FAILURE() << "inserted key " << 2 * i + 1 << ": " << s.ToString();
            bad++;
          }
        }
      }
    });
  }
  writer.join();
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(Stat(db_.get(), "mapped.reads"), 0u);
  std::string report;
  EXPECT_TRUE(db_->VerifyChecksums(&report).ok()) << report;
}

}  // namespace
}  // namespace jadedb::bplustree
