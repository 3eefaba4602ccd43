// InsertBatchIntoMemTable: applies a WriteBatch (from DB::Write or replayed from the WAL) to a
// memtable.
#include "jadedb/write_batch.h"
#include "lsm/memtable/memtable.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {

namespace {

class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber first, MemTable* mem) : sequence_(first), mem_(mem) {}

  void Put(std::string_view key, std::string_view value) override {
    mem_->Add(sequence_++, kTypeValue, key, value);
  }
  void Delete(std::string_view key) override {
    mem_->Add(sequence_++, kTypeDeletion, key, std::string_view());
  }
  void DeleteRange(std::string_view begin, std::string_view end) override {
    mem_->AddRangeTombstone(sequence_++, begin, end);
  }
  void PutValuePointer(std::string_view key, std::string_view pointer) {
    mem_->Add(sequence_++, kTypeValuePointer, key, pointer);
  }

 private:
  SequenceNumber sequence_;
  MemTable* mem_;
};

}  // namespace

Status InsertBatchIntoMemTable(const WriteBatch* batch, SequenceNumber sequence, MemTable* mem) {
  // Validate first: Iterate stops at the first malformed record, and a batch must apply
  // entirely or not at all.
  Status s = WriteBatchInternal::Validate(WriteBatchInternal::Contents(batch));
  if (!s.ok()) return s;
  const uint32_t count = batch->Count();
  if (count > 0 && (sequence > kMaxSequenceNumber || count - 1 > kMaxSequenceNumber - sequence)) {
    return Status::Corruption("write batch", "sequence " + std::to_string(sequence) + " + " +
                                                 std::to_string(count) +
                                                 " records overflows 56 bits");
  }
  MemTableInserter inserter(sequence, mem);
  return WriteBatchInternal::IterateWithPointers(
      batch, &inserter,
      [&inserter](std::string_view k, std::string_view p) { inserter.PutValuePointer(k, p); });
}

}  // namespace jadedb::lsm
