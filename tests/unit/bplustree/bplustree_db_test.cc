#include "bplustree/bplustree_db.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bplustree/adaptive_hash_index.h"
#include "bplustree/node.h"
#include "bplustree/page.h"
#include "bplustree/storage_engine.h"
#include "bplustree/tree.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

std::string Key(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08d", i);
  return buf;
}

class BPlusTreeDBTest : public testing::Test {
 protected:
  BPlusTreeDBTest() : path_(dir_.path()) { Open(); }

  void Open() {
    db_.reset();
    Options o;
    o.engine = EngineType::kBPlusTree;
    o.create_if_missing = true;
    Status s = OpenBPlusTreeDB(o, path_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  BPlusTreeDB* impl() { return static_cast<BPlusTreeDB*>(db_.get()); }
  std::string Get(std::string_view k) {
    std::string v;
    Status s = db_->Get(ReadOptions(), k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return v;
  }
  void Put(std::string_view k, std::string_view v) {
    ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok());
  }

  test::TempDir dir_;
  std::string path_;
  std::unique_ptr<DB> db_;
};

TEST_F(BPlusTreeDBTest, BasicOpsBatchesAndProperties) {
  Put("a", "1");
  Put("b", "2");
  ASSERT_TRUE(db_->Delete(WriteOptions(), "a").ok());
  WriteBatch batch;
  batch.Put("c", "3");
  batch.Delete("b");
  batch.Put("d", "4");
  WriteOptions sync;
  sync.sync = true;
  ASSERT_TRUE(db_->Write(sync, &batch).ok());
  EXPECT_EQ(Get("a"), "NOT_FOUND");
  EXPECT_EQ(Get("b"), "NOT_FOUND");
  EXPECT_EQ(Get("c"), "3");
  EXPECT_EQ(Get("d"), "4");
  EXPECT_EQ(db_->engine(), EngineType::kBPlusTree);
  const Snapshot* snap = nullptr;
  Status s = db_->GetSnapshot(&snap);
  EXPECT_TRUE(s.IsNotSupported());
  EXPECT_NE(s.ToString().find("transaction layer"), std::string::npos);
  std::string v;
  ASSERT_TRUE(db_->GetProperty("jadedb.stats", &v));
  EXPECT_NE(v.find("bplustree.buffer-pool.hits"), std::string::npos) << v;
  EXPECT_NE(v.find("bplustree.ahi.hit-rate"), std::string::npos) << v;
  ASSERT_TRUE(db_->GetProperty("jadedb.bplustree.tree-height", &v));
  EXPECT_EQ(v, "1");
  EXPECT_FALSE(db_->GetProperty("jadedb.no-such-thing", &v));
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  std::string report;
  ASSERT_TRUE(db_->VerifyChecksums(&report).ok());
  EXPECT_NE(report.find("pages verified"), std::string::npos) << report;
  Open();
  EXPECT_EQ(Get("c"), "3");
}

TEST_F(BPlusTreeDBTest, IteratorMatchesModelWithBoundsBothWays) {
  Random rnd(5);
  std::map<std::string, std::string> model;
  for (int i = 0; i < 6000; i++) {
    std::string k = Key(static_cast<int>(rnd.Uniform(4000)));
    std::string v(rnd.Uniform(300), 'v');
    Put(k, v);
    model[k] = v;
  }
  for (int t = 0; t < 60; t++) {
    ReadOptions ro;
    if (rnd.OneIn(2)) ro.lower_bound = Key(static_cast<int>(rnd.Uniform(4000)));
    if (rnd.OneIn(2)) ro.upper_bound = Key(static_cast<int>(rnd.Uniform(4000)));
    auto lo = ro.lower_bound ? model.lower_bound(*ro.lower_bound) : model.begin();
    auto hi = ro.upper_bound ? model.lower_bound(*ro.upper_bound) : model.end();
    std::vector<std::pair<std::string, std::string>> want;
    if (!(ro.lower_bound && ro.upper_bound && *ro.upper_bound <= *ro.lower_bound)) {
      want.assign(lo, hi);
    }
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    std::vector<std::pair<std::string, std::string>> got;
    for (it->SeekToFirst(); it->Valid(); it->Next()) got.emplace_back(it->key(), it->value());
    ASSERT_EQ(got, want);
    got.clear();
    for (it->SeekToLast(); it->Valid(); it->Prev()) got.emplace_back(it->key(), it->value());
    std::reverse(got.begin(), got.end());
    ASSERT_EQ(got, want);
    // Seek / SeekForPrev to random targets.
    std::string target = Key(static_cast<int>(rnd.Uniform(4000))) + (rnd.OneIn(2) ? "x" : "");
    it->Seek(target);
    auto m = std::lower_bound(want.begin(), want.end(), target,
                              [](const auto& p, const std::string& t) { return p.first < t; });
    ASSERT_EQ(it->Valid(), m != want.end());
    if (it->Valid()) {
      EXPECT_EQ(it->key(), m->first);
    }
    it->SeekForPrev(target);
    auto u = std::upper_bound(want.begin(), want.end(), target,
                              [](const std::string& t, const auto& p) { return t < p.first; });
    ASSERT_EQ(it->Valid(), u != want.begin());
    if (it->Valid()) {
      EXPECT_EQ(it->key(), std::prev(u)->first);
    }
    EXPECT_TRUE(it->status().ok());
  }
}

// Seek(it->key()) passes a view of the iterator's own current entry, whose bytes the seek
// replaces (leaf copies reuse one buffer): the target must be taken before that. A key
// inserted just before the current one moves the entry within the new copy of its leaf.
TEST_F(BPlusTreeDBTest, SeekToTheIteratorsOwnKey) {
  for (int i = 0; i < 3000; i += 2) Put(Key(i), std::string(200, 'a' + i % 26));
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  int n = 0;
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next(), n++) {
    const std::string want(it->key());
    // Sorts between the previous key and this one (so it lands in this key's leaf, just
    // before it) and starts with the previous key's bytes.
    if (n % 3 == 1) Put(prev + "a", "new");
    prev = want;
    it->Seek(it->key());
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), want);
    it->SeekForPrev(it->key());
    ASSERT_TRUE(it->Valid());
    ASSERT_EQ(it->key(), want);
  }
  EXPECT_EQ(n, 1500);  // keys written after creation are not seen
  EXPECT_TRUE(it->status().ok());
}

TEST_F(BPlusTreeDBTest, IteratorStaysOrderedWhileWriting) {
  for (int i = 0; i < 3000; i += 2) Put(Key(i), std::string(100, 'a'));
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  std::string last;
  int seen = 0;
  int w = 1;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string k(it->key());
    ASSERT_TRUE(last.empty() || last < k) << last << " then " << k;
    last = k;
    seen++;
    // Splits, merges and deletes everywhere, including around the iterator.
    if (w < 3000) {
      Put(Key(w), std::string(150, 'b'));
      w += 2;
    }
    if (seen % 7 == 0) {
      ASSERT_TRUE(db_->Delete(WriteOptions(), Key(seen * 2 + 40)).ok());
    }
  }
  EXPECT_TRUE(it->status().ok());
  EXPECT_GE(seen, 1000);
  std::string report;
  ASSERT_TRUE(db_->VerifyChecksums(&report).ok()) << report;
}

TEST_F(BPlusTreeDBTest, AdaptiveHashIndexHitsAndInvalidation) {
  for (int i = 0; i < 3000; i++) Put(Key(i), "v" + std::to_string(i));
  AdaptiveHashIndex* ahi = impl()->ahi();
  for (int r = 0; r < 5; r++) {
    for (int i = 0; i < 100; i++) ASSERT_EQ(Get(Key(i)), "v" + std::to_string(i));
  }
  AhiStats st = ahi->GetStats();
  EXPECT_GT(st.hits, 200u);
  EXPECT_GT(ahi->HitRate(), 0.3);
  // A write changes the leaf's LSN: entries pointing at it are stale and must not be used.
  Put(Key(5), "new");
  EXPECT_EQ(Get(Key(5)), "new");
  ASSERT_TRUE(db_->Delete(WriteOptions(), Key(6)).ok());
  EXPECT_EQ(Get(Key(6)), "NOT_FOUND");
  EXPECT_EQ(Get(Key(7)), "v7");
  EXPECT_GT(ahi->GetStats().invalidations, 0u);
  ahi->SetEnabled(false);
  uint64_t hits = ahi->GetStats().hits;
  for (int i = 0; i < 100; i++) Get(Key(i));
  EXPECT_EQ(ahi->GetStats().hits, hits);
}

TEST_F(BPlusTreeDBTest, CorruptedPageIsCorruptionNamingFileAndPage) {
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(100, 'x'));
  db_.reset();  // clean close: every page on disk
  // Damage a tree page (not a meta page) in the middle of its payload, and drop the
  // double-write copy so nothing can repair it.
  std::string file = path_ + "/data-000000.jdb";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  f.seekp(3 * 16384 + 5000);
  f.write("garbage!", 8);
  f.close();
  std::remove((path_ + "/doublewrite.jdb").c_str());
  Options o;
  o.create_if_missing = true;
  Status s = OpenBPlusTreeDB(o, path_, &db_);
  if (!s.ok()) {
    // Recovery reads the page while opening.
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find("data-000000.jdb"), std::string::npos) << s.ToString();
    return;
  }
  bool corruption = false;
  for (int i = 0; i < 3000 && !corruption; i++) {
    std::string v;
    Status g = db_->Get(ReadOptions(), Key(i), &v);
    if (!g.ok()) {
      EXPECT_TRUE(g.IsCorruption()) << g.ToString();
      EXPECT_NE(g.ToString().find("data-000000.jdb"), std::string::npos) << g.ToString();
      EXPECT_NE(g.ToString().find("3"), std::string::npos) << g.ToString();
      corruption = true;
    }
  }
  std::string report;
  Status v = db_->VerifyChecksums(&report);
  EXPECT_TRUE(v.IsCorruption()) << v.ToString();
  EXPECT_NE(v.ToString().find("data-000000.jdb"), std::string::npos) << v.ToString();
  EXPECT_TRUE(corruption);
}

// A page whose checksum is right but whose node is malformed (two slots naming one cell, as
// a bug or a crafted file could leave it) is Corruption naming the file and page when it is
// read, never a crash or a wrong answer.
TEST_F(BPlusTreeDBTest, MalformedNodeWithValidChecksumIsCorruption) {
  for (int i = 0; i < 3000; i++) Put(Key(i), std::string(100, 'x'));
  db_.reset();
  const std::string file = path_ + "/data-000000.jdb";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  // Find a leaf with at least two cells and point its second slot at its first cell.
  std::string page(16384, '\0');
  PageId damaged = kInvalidPageId;
  for (PageId id = kFirstDataPageId; id < 64 && damaged == kInvalidPageId; id++) {
    f.seekg(static_cast<std::streamoff>(id * page.size()));
    if (!f.read(page.data(), static_cast<std::streamsize>(page.size()))) break;
    if (PageView(page.data(), page.size()).type() != PageType::kLeaf) continue;
    char* node = page.data() + kPageHeaderSize;
    if (Node(node, PayloadSize(page.size())).count() < 2) continue;
    std::memcpy(node + Node::kHeaderSize + 2, node + Node::kHeaderSize, 2);
    SealPage(page.data(), page.size());
    f.seekp(static_cast<std::streamoff>(id * page.size()));
    f.write(page.data(), static_cast<std::streamsize>(page.size()));
    damaged = id;
  }
  f.close();
  ASSERT_NE(damaged, kInvalidPageId);
  std::remove((path_ + "/doublewrite.jdb").c_str());
  Options o;
  o.create_if_missing = true;
  ASSERT_TRUE(OpenBPlusTreeDB(o, path_, &db_).ok());
  int corrupt = 0;
  for (int i = 0; i < 3000; i++) {
    std::string v;
    Status g = db_->Get(ReadOptions(), Key(i), &v);
    if (g.ok()) {
      EXPECT_EQ(v, std::string(100, 'x'));
      continue;
    }
    ASSERT_TRUE(g.IsCorruption()) << g.ToString();
    EXPECT_NE(g.ToString().find("data-000000.jdb"), std::string::npos) << g.ToString();
    EXPECT_NE(g.ToString().find("page " + std::to_string(damaged)), std::string::npos)
        << g.ToString();
    corrupt++;
  }
  EXPECT_GT(corrupt, 0);
}

TEST_F(BPlusTreeDBTest, ConcurrentReadersAndWriters) {
  const int kKeys = 2000;
  for (int i = 0; i < kKeys; i++) Put(Key(i), "0");
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; w++) {
    threads.emplace_back([&, w] {
      Random rnd(100 + w);
      for (int n = 0; n < 3000; n++) {
        int k = static_cast<int>(rnd.Uniform(kKeys));
        Status s;
        if (rnd.OneIn(4)) {
          s = db_->Delete(WriteOptions(), Key(k));
        } else {
          WriteBatch b;
          b.Put(Key(k), std::string(rnd.Uniform(200), 'a' + w));
          b.Put(Key((k + 1) % kKeys), std::string(rnd.Uniform(200), 'c'));
          s = db_->Write(WriteOptions(), &b);
        }
        if (!s.ok()) errors++;
      }
    });
  }
  for (int r = 0; r < 2; r++) {
    threads.emplace_back([&, r] {
      Random rnd(200 + r);
      while (!stop.load()) {
        if (rnd.OneIn(2)) {
          std::string v;
          Status s = db_->Get(ReadOptions(), Key(static_cast<int>(rnd.Uniform(kKeys))), &v);
          if (!s.ok() && !s.IsNotFound()) errors++;
        } else {
          std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
          std::string last;
          int n = 0;
          bool fwd = rnd.OneIn(2);
          for (fwd ? it->SeekToFirst() : it->SeekToLast(); it->Valid() && n < 300;
               fwd ? it->Next() : it->Prev()) {
            std::string k(it->key());
            if (!last.empty() && (fwd ? !(last < k) : !(k < last))) errors++;
            last = k;
            n++;
          }
          if (!it->status().ok()) errors++;
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  stop = true;
  for (size_t i = 2; i < threads.size(); i++) threads[i].join();
  EXPECT_EQ(errors.load(), 0);
  std::string report;
  Status s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// A child process writes batches (the first 50 synced) and is killed with SIGKILL mid-stream;
// recovery must keep every synced batch, and every batch must be all-or-nothing.
TEST_F(BPlusTreeDBTest, RecoveryAfterKillKeepsSyncedAtomicBatches) {
  db_.reset();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<DB> db;
    Options o;
    if (!OpenBPlusTreeDB(o, path_, &db).ok()) _exit(2);
    for (int b = 1;; b++) {
      WriteBatch batch;
      // Ten keys spread over the tree, all set to the batch number, plus filler that splits.
      for (int k = 0; k < 10; k++) batch.Put(Key(k * 1000), std::to_string(b));
      batch.Put(Key(b % 9000 + 1), std::string(300, 'f'));
      WriteOptions wo;
      wo.sync = b <= 50;
      if (!db->Write(wo, &batch).ok()) _exit(3);
      if (b == 50 && write(fds[1], "x", 1) != 1) _exit(4);
    }
  }
  char c;
  ASSERT_EQ(read(fds[0], &c, 1), 1);
  usleep(20000);  // let it write unsynced batches too
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
  close(fds[0]);
  close(fds[1]);
  Open();
  std::string first = Get(Key(0));
  ASSERT_NE(first, "NOT_FOUND");
  EXPECT_GE(std::stoi(first), 50);
  for (int k = 1; k < 10; k++) EXPECT_EQ(Get(Key(k * 1000)), first) << k;
  std::string report;
  Status s = db_->VerifyChecksums(&report);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(BPlusTreeFileNames, OwnsOnlyItsFiles) {
  EXPECT_TRUE(IsBPlusTreeFileName("data-000000.jdb"));
  EXPECT_TRUE(IsBPlusTreeFileName("wal-000012.log"));
  EXPECT_TRUE(IsBPlusTreeFileName("doublewrite.jdb"));
  EXPECT_FALSE(IsBPlusTreeFileName("000012.log"));
  EXPECT_FALSE(IsBPlusTreeFileName("MANIFEST-000001"));
  EXPECT_FALSE(IsBPlusTreeFileName("data-00000.jdb"));
  EXPECT_FALSE(IsBPlusTreeFileName("LOCK"));
}

}  // namespace
}  // namespace jadedb::bplustree
