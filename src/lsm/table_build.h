// BuildTable: writes the entries of an iterator (a memtable's, during a flush) to a new table
// file and checks that the result can be read back. Used without the DB mutex.
#pragma once

#include <string>
#include <vector>

#include "jadedb/env.h"
#include "lsm/base/iterator.h"
#include "lsm/base/range_tombstone.h"
#include "lsm/sstable/table_cache.h"
#include "lsm/sstable/table_options.h"
#include "lsm/version/version_edit.h"

namespace jadedb::lsm {

// Writes every entry of iter and every range tombstone of `tombstones` to table meta->number
// in dbname, filling meta's size and key range (which covers the tombstones too). An empty
// input produces no file (meta->file_size == 0). On error the file is removed.
Status BuildTable(const std::string& dbname, Env* env, const TableOptions& options,
                  TableCache* table_cache, InternalIterator* iter,
                  const std::vector<RangeTombstone>& tombstones, FileMetaData* meta);

// Widens [meta->smallest, meta->largest] to cover tombstones: (begin, seq, range deletion)
// below and (end, kMaxSequenceNumber, range deletion) above, which sorts before every entry of
// the exclusive end key. has_keys: meta already holds the range of some point entries.
void ExtendFileRangeForTombstones(const InternalKeyComparator& icmp,
                                  const std::vector<RangeTombstone>& tombstones, bool has_keys,
                                  FileMetaData* meta);

// Finishes builder into file: Finish, fsync, close. On error abandons the table.
class TableBuilder;
Status FinishTableFile(TableBuilder* builder, WritableFile* file);

}  // namespace jadedb::lsm
