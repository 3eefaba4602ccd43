// DoubleWrite: the double-write buffer. Before pages are written in place, the whole batch
// is written to doublewrite.jdb and synced; only then do the in-place writes start, and the
// next batch overwrites the file only after they are synced. A crash can thus tear an
// in-place page write, but then an intact copy of that page is in doublewrite.jdb, and
// Recover() puts it back. Format: docs/formats/bplustree-page.md ("Double-write file").
//
// Thread safety: WriteBatch calls are serialized by the caller (the buffer pool's flush mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bplustree/page.h"
#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class PageFile;

inline constexpr uint32_t kDoubleWriteMagic = 0x5757444a;  // "JDWW"
inline constexpr uint32_t kDoubleWriteVersion = 1;
// Pages per batch; a flush of more pages is split into batches.
inline constexpr size_t kDoubleWriteBatchPages = 64;

class DoubleWrite {
 public:
  DoubleWrite(Env* env, std::string dir, uint32_t page_size);

  // Writes sealed pages (id, bytes) to doublewrite.jdb and syncs it (and, the first time, its
  // directory entry). At most kDoubleWriteBatchPages pages.
  Status WriteBatch(const std::vector<std::pair<PageId, const char*>>& pages);

  // For each valid page copy in doublewrite.jdb whose in-place page fails verification
  // (torn or corrupt), writes the copy back in place (and syncs). A copy older than the
  // in-place page is never applied. *repaired counts restored pages.
  Status Recover(PageFile* file, uint64_t* repaired);

  std::string path() const { return dir_ + "/doublewrite.jdb"; }

 private:
  Env* const env_;
  const std::string dir_;
  const uint32_t page_size_;
  std::string buf_;
  std::unique_ptr<RandomRWFile> file_;  // doublewrite.jdb, opened by the first batch
  bool name_durable_ = false;  // SyncDir done since this object created or rewrote the file
};

}  // namespace jadedb::bplustree
