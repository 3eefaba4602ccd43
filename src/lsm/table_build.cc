#include "lsm/table_build.h"

#include "lsm/base/filename.h"
#include "lsm/sstable/table_builder.h"

namespace jadedb::lsm {

Status FinishTableFile(TableBuilder* builder, WritableFile* file) {
  Status s = builder->status();
  if (s.ok()) {
    s = builder->Finish();
  } else {
    builder->Abandon();
  }
  // A table becomes part of a version only through the manifest, after this sync.
  if (s.ok()) s = file->Sync();
  Status c = file->Close();
  if (s.ok()) s = c;
  return s;
}

void ExtendFileRangeForTombstones(const InternalKeyComparator& icmp,
                                  const std::vector<RangeTombstone>& tombstones, bool has_keys,
                                  FileMetaData* meta) {
  for (const RangeTombstone& t : tombstones) {
    if (icmp.user_comparator()->Compare(t.begin, t.end) >= 0) continue;  // covers nothing
    InternalKey low(t.begin, t.seq, kTypeRangeDeletion);
    InternalKey high(t.end, kMaxSequenceNumber, kTypeRangeDeletion);
    if (!has_keys || icmp.Compare(low.Encode(), meta->smallest.Encode()) < 0) meta->smallest = low;
    if (!has_keys || icmp.Compare(high.Encode(), meta->largest.Encode()) > 0) {
      meta->largest = high;
    }
    has_keys = true;
  }
}

Status BuildTable(const std::string& dbname, Env* env, const TableOptions& options,
                  TableCache* table_cache, InternalIterator* iter,
                  const std::vector<RangeTombstone>& tombstones, FileMetaData* meta) {
  meta->file_size = 0;
  iter->SeekToFirst();
  if (!iter->Valid() && (!iter->status().ok() || tombstones.empty())) return iter->status();

  const std::string fname = TableFileName(dbname, meta->number);
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(fname, &file);
  if (!s.ok()) return s;
  {
    TableBuilder builder(options, file.get());
    const bool has_keys = iter->Valid();
    if (has_keys) meta->smallest.DecodeFrom(iter->key());
    std::string_view last_key;
    for (; iter->Valid(); iter->Next()) {
      last_key = iter->key();
      builder.Add(last_key, iter->value());
    }
    if (!last_key.empty()) meta->largest.DecodeFrom(last_key);
    for (const RangeTombstone& t : tombstones) builder.AddRangeTombstone(t.begin, t.end, t.seq);
    ExtendFileRangeForTombstones(*static_cast<const InternalKeyComparator*>(options.comparator),
                                 tombstones, has_keys, meta);
    s = iter->status();
    if (!s.ok()) builder.Abandon();
    Status f = s.ok() ? FinishTableFile(&builder, file.get()) : file->Close();
    if (s.ok()) s = f;
    if (s.ok()) meta->file_size = builder.FileSize();
  }
  if (s.ok()) {
    // Read the table back once: a table that cannot be opened must not enter a version.
    auto check = table_cache->NewIterator(TableReadOptions(), meta->number, meta->file_size);
    s = check->status();
  }
  if (!s.ok() || meta->file_size == 0) env->RemoveFile(fname);
  return s;
}

}  // namespace jadedb::lsm
