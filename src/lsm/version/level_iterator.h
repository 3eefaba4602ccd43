// Iteration over a sorted run of table files (one level >= 1, or any set of disjoint files
// sorted by key): a two-level iterator whose index is the file list and whose "blocks" are the
// tables, opened lazily through the TableCache. Used by Version::AddIterators and by the
// compaction input iterator.
//
// Not thread-safe (like every InternalIterator). The file vector and the FileMetaData it points
// to must outlive the iterator: callers keep the owning Version (or Compaction) alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lsm/base/dbformat.h"
#include "lsm/base/iterator.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/sstable/table_options.h"
#include "lsm/version/version_edit.h"

namespace jadedb::lsm {

// An iterator over the file list itself: key() is the largest internal key of the current file,
// value() is EncodeFileIndexValue(number, file_size). Seek(target) lands on the first file whose
// largest key is >= target.
std::unique_ptr<InternalIterator> NewLevelFileNumIterator(const InternalKeyComparator* icmp,
                                                          const std::vector<FileMetaData*>* files);

// The 16-byte value of the file-list iterator: fixed64 file number, fixed64 file size.
std::string EncodeFileIndexValue(uint64_t number, uint64_t file_size);
// False when value is not 16 bytes.
bool DecodeFileIndexValue(std::string_view value, uint64_t* number, uint64_t* file_size);

// True when f holds no user key in [lower, upper) (an absent bound is unbounded).
bool FileOutsideBounds(const Comparator* ucmp, const FileMetaData* f,
                       const std::optional<std::string>& lower,
                       const std::optional<std::string>& upper);

// The entries of every file in `files` (disjoint, sorted by smallest key) in order, as one
// iterator. Tables are opened only when the iterator reaches them; with bounds in options,
// files outside them are skipped entirely.
std::unique_ptr<InternalIterator> NewConcatenatingIterator(TableCache* table_cache,
                                                           const InternalKeyComparator* icmp,
                                                           const TableReadOptions& options,
                                                           const std::vector<FileMetaData*>* files);

}  // namespace jadedb::lsm
