// DeleteRange: a one-record batch through the normal write path (group commit, WAL), applied
// to the memtable's range-tombstone list. Flushes and compactions carry the tombstones into
// each table's range-deletion block (docs/formats/sstable.md).
#include "lsm/lsm_db_impl.h"

namespace jadedb::lsm {

Status LsmDB::DeleteRange(const WriteOptions& options, std::string_view begin,
                          std::string_view end) {
  WriteBatch batch;
  batch.DeleteRange(begin, end);
  return Write(options, &batch);
}

}  // namespace jadedb::lsm
