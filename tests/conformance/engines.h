// The engines the conformance and model tests run against, and the fixture they share: each
// test is value-parameterized over the engine list, so adding an engine is one line in
// AllEngines(). Not thread-safe (a test fixture).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jadedb/db.h"
#include "jadedb/options.h"
#include "testutil/test_util.h"

namespace jadedb {
// Lets gtest print an engine parameter as "lsm" rather than as raw bytes.
inline void PrintTo(EngineType type, std::ostream* os) { *os << EngineTypeName(type); }
}  // namespace jadedb

namespace jadedb::test {

// Every engine that must pass the public-API conformance suite.
inline std::vector<EngineType> AllEngines() {
  return {
      EngineType::kLsm,
      EngineType::kBPlusTree,
  };
}

// Test-name suffix: "lsm", "bplustree".
inline std::string EngineParamName(const testing::TestParamInfo<EngineType>& info) {
  return EngineTypeName(info.param);
}

// Options that create the DB when missing, with buffers small enough that flushes and
// compactions happen after a few hundred KiB of writes.
inline Options SmallOptions(EngineType engine) {
  Options options;
  options.engine = engine;
  options.create_if_missing = true;
  options.lsm.write_buffer_size = 64 << 10;
  options.lsm.target_file_size = 64 << 10;
  options.lsm.max_bytes_for_level_base = 256 << 10;
  options.lsm.block_cache_size = 1 << 20;
  return options;
}

// Printable form of arbitrary bytes for failure messages: non-printables as \xNN, long strings
// cut to their first 64 bytes plus the total size.
inline std::string Escape(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  size_t n = s.size() > 64 ? 64 : s.size();
  for (size_t i = 0; i < n; i++) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (n < s.size()) out += "...(" + std::to_string(s.size()) + " bytes)";
  return "\"" + out + "\"";
}

// Fixture: a fresh directory per test and the DB at <dir>/db (absent until the first Open).
class EngineTest : public testing::TestWithParam<EngineType> {
 protected:
  EngineTest() : path_(dir_.Join("db")), options_(SmallOptions(GetParam())) {}
  ~EngineTest() override { db_.reset(); }

  EngineType engine() const { return GetParam(); }

  Status TryOpen() {
    db_.reset();
    return DB::Open(options_, path_, &db_);
  }
  void Open() {
    Status s = TryOpen();
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(db_, nullptr);
  }
  // Closes (destroys) the DB and opens it again.
  void Reopen() {
    db_.reset();
    Open();
  }

  Status Put(std::string_view key, std::string_view value, bool sync = false) {
    WriteOptions wo;
    wo.sync = sync;
    return db_->Put(wo, key, value);
  }
  Status Delete(std::string_view key) { return db_->Delete(WriteOptions(), key); }
  Status Write(WriteBatch* batch) { return db_->Write(WriteOptions(), batch); }

  // The value, "NOT_FOUND", or the error text.
  std::string Get(std::string_view key, const Snapshot* snapshot = nullptr) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::string value;
    Status s = db_->Get(ro, key, &value);
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return "ERROR: " + s.ToString();
    return value;
  }

  // Every pair in key order (forward), checking the iterator ends cleanly.
  std::vector<std::pair<std::string, std::string>> ScanForward(const ReadOptions& ro) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return out;
  }
  // Every pair, read backward and returned in key order.
  std::vector<std::pair<std::string, std::string>> ScanBackward(const ReadOptions& ro) {
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      out.emplace_back(std::string(it->key()), std::string(it->value()));
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return {out.rbegin(), out.rend()};
  }
  std::vector<std::pair<std::string, std::string>> Scan() { return ScanForward(ReadOptions()); }

  static std::vector<std::pair<std::string, std::string>> ToVector(
      const std::map<std::string, std::string>& m) {
    return {m.begin(), m.end()};
  }

  TempDir dir_;
  std::string path_;
  Options options_;
  std::unique_ptr<DB> db_;
};

}  // namespace jadedb::test

// Instantiates a suite derived from EngineTest once per engine in AllEngines().
#define JADEDB_INSTANTIATE_FOR_ALL_ENGINES(Suite)                                              \
  INSTANTIATE_TEST_SUITE_P(AllEngines, Suite, testing::ValuesIn(::jadedb::test::AllEngines()), \
                           ::jadedb::test::EngineParamName)
