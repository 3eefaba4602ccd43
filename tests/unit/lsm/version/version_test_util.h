// Helpers for the version and compaction tests: a VersionSet over a temporary directory, edits
// of metadata-only files (fake numbers, no table on disk) and real small tables written with
// TableBuilder for the read-path tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"
#include "jadedb/options.h"
#include "lsm/base/dbformat.h"
#include "lsm/base/filename.h"
#include "lsm/sstable/table_builder.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/version/version_edit.h"
#include "lsm/version/version_set.h"
#include "testutil/test_util.h"

namespace jadedb::lsm::test {

// One entry of a test table.
struct Entry {
  std::string user_key;
  SequenceNumber seq;
  ValueType type;
  std::string value;
};

inline InternalKey IKey(std::string_view user_key, SequenceNumber seq = 100,
                        ValueType type = kTypeValue) {
  return InternalKey(user_key, seq, type);
}

class VersionTestBase : public ::testing::Test {
 protected:
  VersionTestBase() : icmp_(BytewiseComparator()) {
    options_.env = Env::Default();
    table_options_.comparator = &icmp_;
    table_cache_ = std::make_unique<TableCache>(dir_.path(), table_options_, options_.env, 100);
    vset_ = NewVersionSet();
  }

  ~VersionTestBase() override {
    std::lock_guard<std::mutex> lock(mu_);
    vset_.reset();
  }

  std::unique_ptr<VersionSet> NewVersionSet() {
    return std::make_unique<VersionSet>(dir_.path(), &options_, table_cache_.get(), &icmp_);
  }

  // Replaces vset_ by a new VersionSet recovered from the directory.
  Status Reopen() {
    std::lock_guard<std::mutex> lock(mu_);
    vset_ = NewVersionSet();
    bool save_manifest = false;
    Status s = vset_->Recover(&save_manifest);
    if (s.ok()) {
      EXPECT_TRUE(save_manifest);
    }
    return s;
  }

  Status Apply(VersionEdit* edit) {
    std::unique_lock<std::mutex> lock(mu_);
    return vset_->LogAndApply(edit, &mu_);
  }

  // Registers a metadata-only file [smallest, largest] (user keys) at level.
  void AddFile(int level, uint64_t number, std::string_view smallest, std::string_view largest,
               uint64_t size = 1000, SequenceNumber smallest_seq = 100,
               SequenceNumber largest_seq = 100) {
    VersionEdit edit;
    AddFileTo(&edit, level, number, smallest, largest, size, smallest_seq, largest_seq);
    ASSERT_TRUE(Apply(&edit).ok());
  }

  void AddFileTo(VersionEdit* edit, int level, uint64_t number, std::string_view smallest,
                 std::string_view largest, uint64_t size = 1000, SequenceNumber smallest_seq = 100,
                 SequenceNumber largest_seq = 100) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      vset_->MarkFileNumberUsed(number);
    }
    edit->AddFile(level, number, size, IKey(smallest, smallest_seq), IKey(largest, largest_seq));
  }

  // Writes table `number` holding entries (any order) and returns its metadata.
  FileMetaData WriteTable(uint64_t number, std::vector<Entry> entries) {
    std::sort(entries.begin(), entries.end(), [this](const Entry& a, const Entry& b) {
      return icmp_.Compare(IKey(a.user_key, a.seq, a.type).Encode(),
                           IKey(b.user_key, b.seq, b.type).Encode()) < 0;
    });
    FileMetaData meta;
    meta.number = number;
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(options_.env->NewWritableFile(TableFileName(dir_.path(), number), &file).ok());
    TableBuilder builder(table_options_, file.get());
    for (const Entry& e : entries) {
      InternalKey k = IKey(e.user_key, e.seq, e.type);
      builder.Add(k.Encode(), e.value);
    }
    EXPECT_TRUE(builder.Finish().ok());
    EXPECT_TRUE(file->Sync().ok());
    EXPECT_TRUE(file->Close().ok());
    meta.file_size = builder.FileSize();
    meta.smallest = IKey(entries.front().user_key, entries.front().seq, entries.front().type);
    meta.largest = IKey(entries.back().user_key, entries.back().seq, entries.back().type);
    return meta;
  }

  // Writes a table and adds it to level.
  void AddTable(int level, uint64_t number, std::vector<Entry> entries) {
    FileMetaData m = WriteTable(number, std::move(entries));
    {
      std::lock_guard<std::mutex> lock(mu_);
      vset_->MarkFileNumberUsed(number);
    }
    VersionEdit edit;
    edit.AddFile(level, m.number, m.file_size, m.smallest, m.largest);
    ASSERT_TRUE(Apply(&edit).ok());
  }

  // Reads key at seq from the current version: the value, "NOT_FOUND" or the error.
  std::string Get(std::string_view key, SequenceNumber seq = kMaxSequenceNumber) {
    Version* v;
    {
      std::lock_guard<std::mutex> lock(mu_);
      v = vset_->current();
      v->Ref();
    }
    LookupKey lkey(key, seq);
    std::string value;
    Status s = v->Get(TableReadOptions(), lkey, &value);
    {
      std::lock_guard<std::mutex> lock(mu_);
      v->Unref();
    }
    if (s.IsNotFound()) return "NOT_FOUND";
    if (!s.ok()) return s.ToString();
    return value;
  }

  // Numbers of the files of `level` in the current version, in order.
  std::vector<uint64_t> FileNumbers(int level) {
    std::vector<uint64_t> r;
    for (const FileMetaData* f : vset_->current()->files(level)) r.push_back(f->number);
    return r;
  }

  jadedb::test::TempDir dir_;
  Options options_;
  InternalKeyComparator icmp_;
  TableOptions table_options_;
  std::unique_ptr<TableCache> table_cache_;
  std::mutex mu_;
  std::unique_ptr<VersionSet> vset_;
};

}  // namespace jadedb::lsm::test
