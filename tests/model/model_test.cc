// Model-based random test: long random sequences of operations on a DB, every read checked
// against a std::map holding what the DB should contain. Runs against every engine.
//
// The seed is printed first; JADEDB_TEST_SEED=<seed> replays a run. JADEDB_MODEL_OPS=<n> sets
// the number of operations of every case (for long runs). Keys come from a small alphabet so
// overwrites and deletions hit the same keys often; small write buffers make flushes and
// compactions frequent.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/engines.h"
#include "jadedb/db.h"

namespace jadedb::test {
namespace {

using Model = std::map<std::string, std::string>;

struct ModelConfig {
  int ops;             // operations, unless JADEDB_MODEL_OPS says otherwise
  int text_keys;       // size of the "k00042"-style key space
  int binary_percent;  // keys drawn from a binary alphabet instead
  int max_value_log;   // values up to 2^max_value_log - 1 bytes (skewed small)
  int reopen_per_mille;
};

// A model restricted to [lower, upper), with positions as map iterators; `end()` (the first
// entry at/after upper) stands for "not Valid".
class ModelView {
 public:
  using It = Model::const_iterator;
  ModelView(const Model& m, const ReadOptions& ro) : m_(m), lower_(ro.lower_bound) {
    lo_ = ro.lower_bound ? m.lower_bound(*ro.lower_bound) : m.begin();
    hi_ = ro.upper_bound ? m.lower_bound(*ro.upper_bound) : m.end();
    if (ro.lower_bound && ro.upper_bound && *ro.upper_bound <= *ro.lower_bound) lo_ = hi_;
  }
  It end() const { return hi_; }
  It First() const { return lo_; }
  It Last() const { return lo_ == hi_ ? hi_ : std::prev(hi_); }
  It Seek(const std::string& t) const {
    if (lo_ == hi_) return hi_;
    if (lower_ && t < *lower_) return lo_;
    It p = m_.lower_bound(t);
    return Before(p, hi_) ? p : hi_;
  }
  It SeekForPrev(const std::string& t) const {
    if (lo_ == hi_) return hi_;
    if (lower_ && t < *lower_) return hi_;
    It p = m_.upper_bound(t);
    if (!Before(p, hi_)) p = hi_;
    return p == lo_ ? hi_ : std::prev(p);
  }
  It Next(It p) const { return std::next(p); }
  It Prev(It p) const { return p == lo_ ? hi_ : std::prev(p); }

 private:
  // Whether a comes before b (b may be m_.end()).
  bool Before(It a, It b) const {
    if (a == m_.end()) return false;
    return b == m_.end() || a->first < b->first;
  }
  const Model& m_;
  std::optional<std::string> lower_;
  It lo_, hi_;
};

class ModelTest : public EngineTest {
 protected:
  void Run(const ModelConfig& config);

 private:
  std::string RandomKey();
  std::string RandomValue();
  ReadOptions RandomBounds();
  bool Mismatch(const char* what, std::string_view key, const std::string& want,
                const std::string& got);

  void DoPut();
  void DoDelete();
  void DoBatch();
  void DoGet(const Snapshot* snap, const Model& model);
  void DoScan(const Snapshot* snap, const Model& model);
  void DoSeekWalk(const Snapshot* snap, const Model& model);
  bool CheckPosition(const Iterator& it, const ModelView& view, ModelView::It pos,
                     const std::string& what);
  void DoReopen();
  void DoCompactRange();
  void CheckPinnedIterator();

  ModelConfig config_{};
  std::unique_ptr<Random> rnd_;
  Model model_;
  long op_ = 0;
  struct Snap {
    const Snapshot* snapshot;
    Model model;
  };
  std::vector<Snap> snaps_;
  // An iterator created earlier and the model at its creation: it must not see later writes.
  std::unique_ptr<Iterator> pinned_;
  Model pinned_model_;
};

std::string ModelTest::RandomKey() {
  if (static_cast<int>(rnd_->Uniform(100)) < config_.binary_percent) {
    static const char kAlphabet[] = {'\0', '\x01', 'a', '\x7f', '\x80', '\xfe', '\xff'};
    std::string k(rnd_->Uniform(5), '\0');  // includes the empty key
    for (char& c : k) c = kAlphabet[rnd_->Uniform(sizeof(kAlphabet))];
    return k;
  }
  uint64_t n = rnd_->Uniform(config_.text_keys);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%06llu", static_cast<unsigned long long>(n));
  std::string k = buf;
  if (n % 17 == 0) k.append(200 + n % 100, 'x');  // a few long keys, always the same ones
  return k;
}

std::string ModelTest::RandomValue() {
  size_t len = rnd_->Skewed(config_.max_value_log);
  std::string v = "op" + std::to_string(op_) + ":";
  v += RandomBytes(rnd_.get(), len);
  return v;
}

ReadOptions ModelTest::RandomBounds() {
  ReadOptions ro;
  if (rnd_->OneIn(2)) ro.lower_bound = RandomKey();
  if (rnd_->OneIn(2)) ro.upper_bound = RandomKey();
  return ro;
}

bool ModelTest::Mismatch(const char* what, std::string_view key, const std::string& want,
                         const std::string& got) {
  ADD_FAILURE() << "op " << op_ << ": " << what << " key " << Escape(key) << ": expected "
                << Escape(want) << ", got " << Escape(got);
  return false;
}

void ModelTest::DoPut() {
  std::string k = RandomKey(), v = RandomValue();
  WriteOptions wo;
  wo.sync = rnd_->OneIn(50);
  Status s = db_->Put(wo, k, v);
  ASSERT_TRUE(s.ok()) << "op " << op_ << " Put " << Escape(k) << ": " << s.ToString();
  model_[k] = v;
}

// Removes [begin, end) from a model.
void EraseRange(Model* m, const std::string& begin, const std::string& end) {
  if (begin >= end) return;
  m->erase(m->lower_bound(begin), m->lower_bound(end));
}

void ModelTest::DoDelete() {
  if (engine() == EngineType::kLsm && rnd_->OneIn(4)) {
    // A range deletion over a small random span (sometimes empty or inverted).
    std::string b = RandomKey();
    std::string e = RandomKey();
    if (rnd_->OneIn(4)) std::swap(b, e);
    Status s = db_->DeleteRange(WriteOptions(), b, e);
    ASSERT_TRUE(s.ok()) << "op " << op_ << " DeleteRange " << Escape(b) << " " << Escape(e)
                        << ": " << s.ToString();
    EraseRange(&model_, b, e);
    return;
  }
  std::string k = RandomKey();
  Status s = db_->Delete(WriteOptions(), k);
  ASSERT_TRUE(s.ok()) << "op " << op_ << " Delete " << Escape(k) << ": " << s.ToString();
  model_.erase(k);
}

void ModelTest::DoBatch() {
  WriteBatch batch;
  Model after = model_;
  int n = 1 + static_cast<int>(rnd_->Uniform(30));
  std::string last;
  for (int i = 0; i < n; i++) {
    // Reuse the previous key now and then: put+delete of one key inside a batch.
    std::string k = (!last.empty() && rnd_->OneIn(4)) ? last : RandomKey();
    if (engine() == EngineType::kLsm && rnd_->OneIn(20)) {
      std::string e = RandomKey();
      batch.DeleteRange(k, e);
      EraseRange(&after, k, e);
    } else if (rnd_->OneIn(3)) {
      batch.Delete(k);
      after.erase(k);
    } else {
      std::string v = RandomValue();
      batch.Put(k, v);
      after[k] = v;
    }
    last = k;
  }
  Status s = db_->Write(WriteOptions(), &batch);
  ASSERT_TRUE(s.ok()) << "op " << op_ << " Write: " << s.ToString();
  model_ = std::move(after);
}

void ModelTest::DoGet(const Snapshot* snap, const Model& model) {
  std::string k = RandomKey();
  ReadOptions ro;
  ro.snapshot = snap;
  std::string got;
  Status s = db_->Get(ro, k, &got);
  auto it = model.find(k);
  const char* what = snap ? "Get(snapshot)" : "Get";
  if (it == model.end()) {
    if (!s.IsNotFound()) Mismatch(what, k, "NotFound", s.ok() ? got : s.ToString());
  } else if (!s.ok()) {
    Mismatch(what, k, it->second, s.ToString());
  } else if (got != it->second) {
    Mismatch(what, k, it->second, got);
  }
}

void ModelTest::DoScan(const Snapshot* snap, const Model& model) {
  ReadOptions ro;
  ro.snapshot = snap;
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  ModelView view(model, ro);
  it->SeekToFirst();
  for (auto p = view.First();; p = view.Next(p)) {
    if (!CheckPosition(*it, view, p, "forward scan") || p == view.end()) break;
    it->Next();
  }
  it->SeekToLast();
  for (auto p = view.Last();; p = view.Prev(p)) {
    if (!CheckPosition(*it, view, p, "backward scan") || p == view.end()) break;
    it->Prev();
  }
}

bool ModelTest::CheckPosition(const Iterator& it, const ModelView& view, ModelView::It pos,
                              const std::string& what) {
  if (pos == view.end()) {
    if (it.Valid()) return Mismatch(what.c_str(), it.key(), "(invalid)", "(valid)");
    if (!it.status().ok()) return Mismatch(what.c_str(), "", "status OK", it.status().ToString());
    return true;
  }
  if (!it.Valid()) {
    return Mismatch(what.c_str(), pos->first, "(valid)", "(invalid) " + it.status().ToString());
  }
  if (it.key() != pos->first) {
    return Mismatch((what + " (iterator at the wrong key)").c_str(), pos->first, pos->first,
                    std::string(it.key()));
  }
  if (it.value() != pos->second) {
    return Mismatch(what.c_str(), pos->first, pos->second, std::string(it.value()));
  }
  return true;
}

void ModelTest::DoSeekWalk(const Snapshot* snap, const Model& model) {
  ReadOptions ro = rnd_->OneIn(3) ? RandomBounds() : ReadOptions();
  ro.snapshot = snap;
  std::unique_ptr<Iterator> it = db_->NewIterator(ro);
  ModelView view(model, ro);
  std::string target = RandomKey();
  if (rnd_->OneIn(4)) target.push_back(static_cast<char>(rnd_->Uniform(256)));  // between keys
  std::string what = std::string(snap ? "snapshot " : "") +
                     (ro.lower_bound ? "lower " + Escape(*ro.lower_bound) + " " : "") +
                     (ro.upper_bound ? "upper " + Escape(*ro.upper_bound) + " " : "");
  ModelView::It pos;
  switch (rnd_->Uniform(4)) {
    case 0:
      it->Seek(target);
      pos = view.Seek(target);
      what += "Seek(" + Escape(target) + ")";
      break;
    case 1:
      it->SeekForPrev(target);
      pos = view.SeekForPrev(target);
      what += "SeekForPrev(" + Escape(target) + ")";
      break;
    case 2:
      it->SeekToFirst();
      pos = view.First();
      what += "SeekToFirst";
      break;
    default:
      it->SeekToLast();
      pos = view.Last();
      what += "SeekToLast";
      break;
  }
  int steps = static_cast<int>(rnd_->Uniform(9));
  for (int i = 0; i <= steps; i++) {
    if (!CheckPosition(*it, view, pos, what) || pos == view.end()) return;
    if (rnd_->OneIn(2)) {
      it->Next();
      pos = view.Next(pos);
      what += " Next";
    } else {
      it->Prev();
      pos = view.Prev(pos);
      what += " Prev";
    }
  }
}

void ModelTest::DoReopen() {
  for (const Snap& s : snaps_) db_->ReleaseSnapshot(s.snapshot);
  snaps_.clear();
  pinned_.reset();
  Reopen();
}

void ModelTest::DoCompactRange() {
  std::string a = RandomKey(), b = RandomKey();
  if (b < a) std::swap(a, b);
  std::string_view begin = a, end = b;
  int shape = static_cast<int>(rnd_->Uniform(4));  // full, [a,b], (-inf,b], [a,+inf)
  Status s = db_->CompactRange(shape == 0 || shape == 2 ? nullptr : &begin,
                               shape == 0 || shape == 3 ? nullptr : &end);
  ASSERT_TRUE(s.ok()) << "op " << op_ << " CompactRange: " << s.ToString();
}

void ModelTest::CheckPinnedIterator() {
  ModelView view(pinned_model_, ReadOptions());
  pinned_->SeekToFirst();
  for (auto p = view.First();; p = view.Next(p)) {
    if (!CheckPosition(*pinned_, view, p, "pinned iterator scan") || p == view.end()) break;
    pinned_->Next();
  }
  pinned_.reset();
}

void ModelTest::Run(const ModelConfig& config) {
  config_ = config;
  if (const char* env = std::getenv("JADEDB_MODEL_OPS")) config_.ops = std::atoi(env);
  const uint64_t seed = TestSeed();
  std::cout << "seed=" << seed << " ops=" << config_.ops << " (replay: JADEDB_TEST_SEED=" << seed
            << ")" << std::endl;
  rnd_ = std::make_unique<Random>(seed);
  Open();

  for (op_ = 0; op_ < config_.ops; op_++) {
    int r = static_cast<int>(rnd_->Uniform(1000));
    const Snap* snap = snaps_.empty() ? nullptr : &snaps_[rnd_->Uniform(snaps_.size())];
    if ((r -= 280) < 0) {
      DoPut();
    } else if ((r -= 100) < 0) {
      DoDelete();
    } else if ((r -= 80) < 0) {
      DoBatch();
    } else if ((r -= 220) < 0) {
      DoGet(nullptr, model_);
    } else if ((r -= 180) < 0) {
      DoSeekWalk(nullptr, model_);
    } else if ((r -= 8) < 0) {
      DoScan(nullptr, model_);
    } else if ((r -= 15) < 0) {
      if (snaps_.size() < 4) {
        const Snapshot* s = nullptr;
        Status st = db_->GetSnapshot(&s);
        if (st.ok()) {
          snaps_.push_back({s, model_});
        } else {
          ASSERT_TRUE(st.IsNotSupported()) << "op " << op_ << " GetSnapshot: " << st.ToString();
        }
      }
    } else if ((r -= 50) < 0) {
      if (snap != nullptr) {
        int kind = static_cast<int>(rnd_->Uniform(20));
        if (kind == 0) {
          DoScan(snap->snapshot, snap->model);
        } else if (kind < 10) {
          DoGet(snap->snapshot, snap->model);
        } else {
          DoSeekWalk(snap->snapshot, snap->model);
        }
      }
    } else if ((r -= 10) < 0) {
      if (!snaps_.empty()) {
        size_t i = rnd_->Uniform(snaps_.size());
        db_->ReleaseSnapshot(snaps_[i].snapshot);
        snaps_.erase(snaps_.begin() + static_cast<long>(i));
      }
    } else if ((r -= 5) < 0) {
      if (pinned_ == nullptr) {
        pinned_ = db_->NewIterator(ReadOptions());
        pinned_model_ = model_;
      }
    } else if ((r -= 10) < 0) {
      if (pinned_ != nullptr) CheckPinnedIterator();
    } else if ((r -= 10) < 0) {
      Status s = db_->Flush(FlushOptions());
      ASSERT_TRUE(s.ok()) << "op " << op_ << " Flush: " << s.ToString();
    } else if ((r -= 7) < 0) {
      DoCompactRange();
    } else if ((r -= 3) < 0) {
      // Value-log GC (LSM; other engines say NotSupported). Segments are sealed at reopen.
      Status s = db_->CompactValueLog();
      ASSERT_TRUE(s.ok() || s.IsNotSupported()) << "op " << op_ << " GC: " << s.ToString();
    } else if ((r -= config_.reopen_per_mille) < 0) {
      DoReopen();
    } else {
      DoGet(nullptr, model_);
    }
    if (HasFailure()) break;
  }
  if (!HasFailure()) {
    DoScan(nullptr, model_);  // final state, then again after a restart
    DoReopen();
    DoScan(nullptr, model_);
  } else {
    std::cout << "FAILED at op " << op_ << "; replay with JADEDB_TEST_SEED=" << seed << std::endl;
  }
  for (const Snap& s : snaps_) db_->ReleaseSnapshot(s.snapshot);
  snaps_.clear();
  pinned_.reset();
}

// Few keys: nearly every write overwrites or deletes a live key.
TEST_P(ModelTest, SmallKeySpace) { Run({12000, 64, 10, 10, 2}); }

// Many keys and larger values: many files and levels.
TEST_P(ModelTest, WideKeySpace) { Run({12000, 4000, 10, 12, 2}); }

// Mostly keys of bytes 0x00/0x01/0x7f/0x80/0xfe/0xff, including the empty key.
TEST_P(ModelTest, BinaryKeys) { Run({8000, 100, 70, 8, 2}); }

// Restarts every ~100 operations: log replay and recovery of flushed state.
TEST_P(ModelTest, FrequentReopen) { Run({4000, 300, 10, 10, 10}); }

// Values up to 16 KiB.
TEST_P(ModelTest, LargeValues) { Run({3000, 300, 5, 14, 2}); }

JADEDB_INSTANTIATE_FOR_ALL_ENGINES(ModelTest);

}  // namespace
}  // namespace jadedb::test
