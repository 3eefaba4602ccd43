// Conformance: iterator positioning, direction changes, bounds and the consistent view, for
// every engine, with the data in the write buffer, in files, in both, and after a restart.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "conformance/engines.h"
#include "jadedb/db.h"

namespace jadedb::test {
namespace {

// Where an iterator is: its key, or "(invalid)".
std::string At(const Iterator& it) {
  if (!it.Valid()) return it.status().ok() ? "(invalid)" : "(error " + it.status().ToString() + ")";
  return std::string(it.key());
}

class IteratorTest : public EngineTest {
 protected:
  // Checks Seek/SeekForPrev at every target in `targets` followed by a fixed walk of
  // Next/Prev moves against `model`, plus SeekToFirst/SeekToLast, under `ro`'s bounds.
  void CheckAgainstModel(const std::map<std::string, std::string>& model, const ReadOptions& ro,
                         const std::vector<std::string>& targets) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : model) {
      if (ro.lower_bound && k < *ro.lower_bound) continue;
      if (ro.upper_bound && k >= *ro.upper_bound) continue;
      keys.push_back(k);
    }
    const long n = static_cast<long>(keys.size());
    auto expect_at = [&](const Iterator& it, long pos, const std::string& what) {
      std::string want = pos >= 0 && pos < n ? keys[pos] : "(invalid)";
      ASSERT_EQ(At(it), want) << what;
      if (it.Valid()) {
        ASSERT_EQ(it.value(), model.at(want)) << what;
      }
    };
    // Moves after each positioning: a direction change at every step.
    const std::string moves = "NPPNNNPPPN";
    auto walk = [&](Iterator* it, long pos, std::string what) {
      expect_at(*it, pos, what);
      for (char m : moves) {
        if (pos < 0 || pos >= n) return;
        if (m == 'N') {
          it->Next();
          pos++;
        } else {
          it->Prev();
          pos--;
        }
        what += m;
        expect_at(*it, pos, what);
      }
    };
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    EXPECT_FALSE(it->Valid());
    it->SeekToFirst();
    walk(it.get(), 0, "SeekToFirst ");
    it->SeekToLast();
    walk(it.get(), n - 1, "SeekToLast ");
    for (const std::string& t : targets) {
      long lb = std::lower_bound(keys.begin(), keys.end(), t) - keys.begin();
      it->Seek(t);
      walk(it.get(), lb, "Seek(" + Escape(t) + ") ");
      long ub = std::upper_bound(keys.begin(), keys.end(), t) - keys.begin();
      it->SeekForPrev(t);
      walk(it.get(), ub - 1, "SeekForPrev(" + Escape(t) + ") ");
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }
};

TEST_P(IteratorTest, EmptyDb) {
  Open();
  auto check = [&]() {
    std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
    EXPECT_FALSE(it->Valid());
    it->SeekToFirst();
    EXPECT_FALSE(it->Valid());
    it->SeekToLast();
    EXPECT_FALSE(it->Valid());
    it->Seek("");
    EXPECT_FALSE(it->Valid());
    it->Seek("a");
    EXPECT_FALSE(it->Valid());
    it->SeekForPrev("\xff\xff");
    EXPECT_FALSE(it->Valid());
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  };
  check();
  // Only deletions: still empty.
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(Delete("a").ok());
  ASSERT_TRUE(Delete("b").ok());
  check();
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  check();
  Reopen();
  check();
}

TEST_P(IteratorTest, Positioning) {
  Open();
  for (const char* k : {"b", "d", "f"}) ASSERT_TRUE(Put(k, std::string("v") + k).ok());
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->SeekToFirst();
  EXPECT_EQ(At(*it), "b");
  EXPECT_EQ(it->value(), "vb");
  it->SeekToLast();
  EXPECT_EQ(At(*it), "f");
  it->Seek("d");  // exact hit
  EXPECT_EQ(At(*it), "d");
  it->Seek("c");  // between keys
  EXPECT_EQ(At(*it), "d");
  it->Seek("a");  // before the first
  EXPECT_EQ(At(*it), "b");
  it->Seek("g");  // after the last
  EXPECT_EQ(At(*it), "(invalid)");
  it->SeekForPrev("d");
  EXPECT_EQ(At(*it), "d");
  it->SeekForPrev("e");
  EXPECT_EQ(At(*it), "d");
  it->SeekForPrev("a");
  EXPECT_EQ(At(*it), "(invalid)");
  it->SeekForPrev("z");
  EXPECT_EQ(At(*it), "f");
  // Off both ends.
  it->SeekToLast();
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->SeekToFirst();
  it->Prev();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST_P(IteratorTest, DirectionChanges) {
  Open();
  for (const char* k : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(Put(k, k).ok());
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  it->Seek("c");
  it->Next();
  EXPECT_EQ(At(*it), "d");
  it->Prev();
  EXPECT_EQ(At(*it), "c");
  it->Prev();
  EXPECT_EQ(At(*it), "b");
  it->Next();
  EXPECT_EQ(At(*it), "c");
  it->SeekToLast();
  it->Prev();
  EXPECT_EQ(At(*it), "d");
  it->Next();
  EXPECT_EQ(At(*it), "e");
  it->SeekForPrev("cc");
  it->Next();
  EXPECT_EQ(At(*it), "d");
  it->SeekToFirst();
  it->Next();
  it->Prev();
  EXPECT_EQ(At(*it), "a");
}

// The same positioning and walks checked against a model with the data spread over the write
// buffer and files, with overwritten and deleted keys hidden in lower layers.
TEST_P(IteratorTest, LayeredDataMatchesModel) {
  Open();
  std::map<std::string, std::string> model;
  auto put = [&](const std::string& k, const std::string& v) {
    ASSERT_TRUE(Put(k, v).ok());
    model[k] = v;
  };
  auto del = [&](const std::string& k) {
    ASSERT_TRUE(Delete(k).ok());
    model.erase(k);
  };
  std::vector<std::string> targets = {"", "a", "b", "c", "d", "e", "f", "g", "h", "i", "z"};
  for (const char* k : {"b", "d", "f", "h"}) put(k, std::string("v1-") + k);
  CheckAgainstModel(model, ReadOptions(), targets);  // write buffer only
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  CheckAgainstModel(model, ReadOptions(), targets);  // one file only
  put("d", "v2-d");
  del("f");
  put("e", "v2-e");
  put("a", "v2-a");
  del("h");
  CheckAgainstModel(model, ReadOptions(), targets);  // file + buffer, hidden versions
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  put("f", "v3-f");
  del("b");
  CheckAgainstModel(model, ReadOptions(), targets);  // two files + buffer
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  CheckAgainstModel(model, ReadOptions(), targets);
  Reopen();
  CheckAgainstModel(model, ReadOptions(), targets);
}

TEST_P(IteratorTest, Bounds) {
  Open();
  std::map<std::string, std::string> model;
  for (const char* k : {"a", "b", "c", "d", "e", "f"}) {
    ASSERT_TRUE(Put(k, k).ok());
    model[k] = k;
  }
  {
    ReadOptions ro;
    ro.lower_bound = "b";  // inclusive
    ro.upper_bound = "e";  // exclusive
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    it->SeekToFirst();
    EXPECT_EQ(At(*it), "b");
    it->Prev();
    EXPECT_EQ(At(*it), "(invalid)");
    it->SeekToLast();
    EXPECT_EQ(At(*it), "d");
    it->Next();
    EXPECT_EQ(At(*it), "(invalid)");
    it->Seek("a");  // below the lower bound: clamps to it
    EXPECT_EQ(At(*it), "b");
    it->Seek("c");
    EXPECT_EQ(At(*it), "c");
    it->Seek("e");  // the upper bound itself is out
    EXPECT_EQ(At(*it), "(invalid)");
    it->Seek("z");
    EXPECT_EQ(At(*it), "(invalid)");
    it->SeekForPrev("z");  // above the upper bound: clamps below it
    EXPECT_EQ(At(*it), "d");
    it->SeekForPrev("e");
    EXPECT_EQ(At(*it), "d");
    it->SeekForPrev("b");
    EXPECT_EQ(At(*it), "b");
    it->SeekForPrev("a");
    EXPECT_EQ(At(*it), "(invalid)");
    EXPECT_EQ(ScanForward(ro), ScanBackward(ro));
    EXPECT_EQ(ScanForward(ro).size(), 3u);
  }
  std::vector<std::string> targets = {"", "a", "b", "bb", "c", "cc", "d", "e", "f", "g"};
  auto check_bounds = [&](std::optional<std::string> lo, std::optional<std::string> hi) {
    ReadOptions ro;
    ro.lower_bound = lo;
    ro.upper_bound = hi;
    SCOPED_TRACE("lower " + (lo ? Escape(*lo) : "none") + " upper " + (hi ? Escape(*hi) : "none"));
    CheckAgainstModel(model, ro, targets);
  };
  auto check_all_bounds = [&]() {
    check_bounds("bb", "cc");  // bounds between keys
    check_bounds("b", std::nullopt);
    check_bounds(std::nullopt, "e");
    check_bounds("", "z");
    check_bounds("c", "c");  // empty range
    check_bounds("x", "z");  // range past every key
    check_bounds("", "a");   // range before every key
  };
  check_all_bounds();
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ASSERT_TRUE(Delete("c").ok());
  model.erase("c");
  check_all_bounds();
}

TEST_P(IteratorTest, SeesStateAtCreation) {
  Open();
  std::map<std::string, std::string> before;
  for (int i = 0; i < 100; i++) {
    std::string k = "key" + std::to_string(i);
    ASSERT_TRUE(Put(k, "old").ok());
    before[k] = "old";
  }
  std::unique_ptr<Iterator> it = db_->NewIterator(ReadOptions());
  // Overwrites, deletions and new keys after creation are invisible to it...
  ASSERT_TRUE(Put("key1", "new").ok());
  ASSERT_TRUE(Delete("key2").ok());
  ASSERT_TRUE(Put("key1000", "new").ok());
  ASSERT_TRUE(Put("a-first", "new").ok());
  // ...even once flushed and compacted away (the iterator must keep what it reads alive).
  Random rnd(17);
  for (int i = 0; i < 2000; i++)
    ASSERT_TRUE(Put("key" + std::to_string(i), RandomBytes(&rnd, 200)).ok());
  ASSERT_TRUE(db_->Flush(FlushOptions()).ok());
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());

  std::vector<std::pair<std::string, std::string>> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.emplace_back(it->key(), it->value());
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(seen, ToVector(before));
  it->Seek("key2");
  EXPECT_EQ(At(*it), "key2");
  EXPECT_EQ(it->value(), "old");
  // A new iterator sees the new state.
  std::unique_ptr<Iterator> it2 = db_->NewIterator(ReadOptions());
  it2->Seek("key2");
  EXPECT_EQ(At(*it2), "key2");
  EXPECT_NE(it2->value(), "old");
  it2->SeekToFirst();
  EXPECT_EQ(At(*it2), "a-first");
}

// Thousands of keys across many files and levels, with overwrites and deletions, scanned in
// both directions.
TEST_P(IteratorTest, ManyKeysAcrossFiles) {
  Open();
  Random rnd(99);
  std::map<std::string, std::string> model;
  auto key_of = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "k%06d", i);
    return std::string(buf);
  };
  for (int round = 0; round < 3; round++) {
    for (int i = round; i < 5000; i += 1 + round) {
      std::string v = RandomBytes(&rnd, rnd.Uniform(300));
      ASSERT_TRUE(Put(key_of(i), v).ok());
      model[key_of(i)] = v;
    }
    for (int i = 0; i < 5000; i += 7 + round) {
      ASSERT_TRUE(Delete(key_of(i)).ok());
      model.erase(key_of(i));
    }
  }
  auto check = [&]() {
    EXPECT_EQ(ScanForward(ReadOptions()), ToVector(model));
    EXPECT_EQ(ScanBackward(ReadOptions()), ToVector(model));
    ReadOptions careful;  // read options that change how blocks are read, not what is read
    careful.verify_checksums = true;
    careful.fill_cache = false;
    EXPECT_EQ(ScanForward(careful), ToVector(model));
    CheckAgainstModel(model, ReadOptions(), {key_of(0), key_of(777), key_of(2500), "k0049995"});
  };
  check();
  ASSERT_TRUE(db_->CompactRange(nullptr, nullptr).ok());
  check();
  Reopen();
  check();
}

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(IteratorTest);

}  // namespace
}  // namespace jadedb::test
