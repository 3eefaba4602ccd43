// Helpers for the engine-level LSM tests: a fixture that opens an LSM DB in a temporary
// directory, and GateEnv, an Env that can hold one table-file writer and slow WAL syncs, so
// tests can stage "a compaction is running" or "writers contend for the WAL" deterministically.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"

namespace jadedb::lsm_test {

// Forwards to Env::Default(). ArmTableGate(n): the (n+1)-th table file created from then on
// blocks in its first Append until ReleaseTableGate (the earlier n pass). WAL Syncs sleep
// wal_sync_micros.
class GateEnv final : public EnvWrapper {
 public:
  GateEnv() : EnvWrapper(Env::Default()) {}

  void ArmTableGate(int pass) {
    std::lock_guard<std::mutex> l(mu_);
    gate_pass_ = pass;
    gate_armed_ = true;
    gate_open_ = false;
  }
  // Waits (up to timeout_ms) until a writer is held at the gate.
  bool WaitUntilHeld(int timeout_ms) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::milliseconds(timeout_ms), [&] { return held_ > 0; });
  }
  bool held() {
    std::lock_guard<std::mutex> l(mu_);
    return held_ > 0;
  }
  void ReleaseTableGate() {
    std::lock_guard<std::mutex> l(mu_);
    gate_open_ = true;
    gate_armed_ = false;
    cv_.notify_all();
  }
  std::atomic<uint64_t> wal_sync_micros{0};
  std::atomic<int> wal_syncs{0};

  Status NewWritableFile(const std::string& p, std::unique_ptr<WritableFile>* r) override {
    std::unique_ptr<WritableFile> f;
    Status s = EnvWrapper::NewWritableFile(p, &f);
    if (!s.ok()) return s;
    bool gated = false;
    const bool is_table = EndsWith(p, ".sst");
    const bool is_log = EndsWith(p, ".log");
    if (is_table) {
      std::lock_guard<std::mutex> l(mu_);
      if (gate_armed_) gated = gate_pass_-- == 0;
    }
    *r = std::make_unique<File>(this, std::move(f), gated, is_log);
    return s;
  }

 private:
  static bool EndsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  class File final : public WritableFile {
   public:
    File(GateEnv* env, std::unique_ptr<WritableFile> f, bool gated, bool is_log)
        : env_(env), f_(std::move(f)), gated_(gated), is_log_(is_log) {}
    Status Append(std::string_view data) override {
      if (gated_) {
        gated_ = false;
        std::unique_lock<std::mutex> l(env_->mu_);
        env_->held_++;
        env_->cv_.notify_all();
        env_->cv_.wait(l, [&] { return env_->gate_open_; });
        env_->held_--;
      }
      return f_->Append(data);
    }
    Status Flush() override { return f_->Flush(); }
    Status Sync() override {
      if (is_log_) {
        env_->wal_syncs++;
        if (uint64_t us = env_->wal_sync_micros.load()) env_->SleepForMicroseconds(us);
      }
      return f_->Sync();
    }
    Status Close() override { return f_->Close(); }

   private:
    GateEnv* env_;
    std::unique_ptr<WritableFile> f_;
    bool gated_;
    bool is_log_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  bool gate_armed_ = false;
  bool gate_open_ = false;
  int gate_pass_ = 0;
  int held_ = 0;
};

class LsmFixture : public ::testing::Test {
 protected:
  LsmFixture() {
    options_.create_if_missing = true;
    options_.engine = EngineType::kLsm;
  }
  ~LsmFixture() override { db_.reset(); }

  void Open() {
    db_.reset();
    Status s = DB::Open(options_, dir_.path(), &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Close() { db_.reset(); }

  void Put(const std::string& k, const std::string& v) {
    ASSERT_TRUE(db_->Put(WriteOptions(), k, v).ok()) << k;
  }
  std::string Get(const std::string& k, const Snapshot* snap = nullptr) {
    ReadOptions ro;
    ro.snapshot = snap;
    std::string v;
    Status s = db_->Get(ro, k, &v);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return v;
  }
  // "k1=v1 k2=v2 ..." forward, or backward when reverse.
  std::string Scan(const ReadOptions& ro = ReadOptions(), bool reverse = false) {
    auto it = db_->NewIterator(ro);
    std::string out;
    if (reverse) {
      for (it->SeekToLast(); it->Valid(); it->Prev()) {
        out += (out.empty() ? "" : " ") + std::string(it->key()) + "=" + std::string(it->value());
      }
    } else {
      for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out += (out.empty() ? "" : " ") + std::string(it->key()) + "=" + std::string(it->value());
      }
    }
    if (!it->status().ok()) out += " ERROR: " + it->status().ToString();
    return out;
  }
  std::string Property(const std::string& name) {
    std::string v;
    EXPECT_TRUE(db_->GetProperty(name, &v)) << name;
    return v;
  }
  uint64_t NumberProperty(const std::string& name) { return std::stoull(Property(name)); }
  int FilesAtLevel(int level) {
    return static_cast<int>(NumberProperty("jadedb.num-files-at-level" + std::to_string(level)));
  }
  void FlushMem() { ASSERT_TRUE(db_->Flush(FlushOptions()).ok()); }

  test::TempDir dir_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace jadedb::lsm_test
