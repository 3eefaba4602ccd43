// Fuzz target: the LSM log reader (src/lsm/wal/) over arbitrary bytes as a WAL or MANIFEST
// file, each record then decoded as a WriteBatch and replayed into a memtable, as WAL recovery
// does (docs/formats/wal.md, write_batch.md).
//
// Input: byte 0 holds options, the rest is the file.
//   bit 0: the log kind the reader expects (0 = WAL, 1 = MANIFEST)
//   bit 1: verify_checksums off
//   bits 2-7: when non-zero, the file returns reads of at most that many bytes (short reads)
// Checks beyond "no crash": every report and offset lies within the file; a refused file is
// Corruption or NotSupported naming the file; decoding a record never disagrees with
// validating it; the records read, written again by log::Writer and read back, come back
// identical and without any report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "fuzz_env.h"
#include "jadedb/write_batch.h"
#include "lsm/base/comparator.h"
#include "lsm/base/dbformat.h"
#include "lsm/memtable/memtable.h"
#include "lsm/wal/log_reader.h"
#include "lsm/wal/log_writer.h"
#include "util/write_batch_internal.h"

namespace jadedb::lsm {
namespace {

constexpr char kFileName[] = "fuzz.log";

class CheckingReporter final : public log::Reader::Reporter {
 public:
  explicit CheckingReporter(size_t file_size) : file_size_(file_size) {}
  void Corruption(size_t bytes, const Status& status) override {
    FUZZ_CHECK(status.IsCorruption());
    FUZZ_CHECK(status.ToString().find(kFileName) != std::string::npos);
    dropped_ += bytes;
    FUZZ_CHECK(dropped_ <= file_size_);
    reports_++;
  }
  void TornTail(size_t bytes) override {
    dropped_ += bytes;
    FUZZ_CHECK(dropped_ <= file_size_);
    reports_++;
  }
  int reports() const { return reports_; }

 private:
  const size_t file_size_;
  size_t dropped_ = 0;
  int reports_ = 0;
};

// Counts what a batch holds.
class CountingHandler final : public WriteBatch::Handler {
 public:
  void Put(std::string_view key, std::string_view value) override { Touch(key, value); }
  void Delete(std::string_view key) override { Touch(key, {}); }
  void DeleteRange(std::string_view begin, std::string_view end) override { Touch(begin, end); }
  uint32_t records() const { return records_; }

 private:
  // Reads every byte, so a view past the record is caught by ASan.
  void Touch(std::string_view a, std::string_view b) {
    for (char c : a) sum_ += static_cast<unsigned char>(c);
    for (char c : b) sum_ += static_cast<unsigned char>(c);
    records_++;
  }
  uint32_t records_ = 0;
  uint64_t sum_ = 0;
};

void DecodeBatch(std::string_view record) {
  WriteBatch batch;
  if (!batch.SetData(record).ok()) {
    FUZZ_CHECK(record.size() < WriteBatchInternal::kHeaderSize);
    return;
  }
  const Status valid = WriteBatchInternal::Validate(record);
  CountingHandler handler;
  uint32_t pointers = 0;
  const Status s = WriteBatchInternal::IterateWithPointers(
      &batch, &handler, [&pointers](std::string_view, std::string_view) { pointers++; });
  FUZZ_CHECK(s.ok() == valid.ok());
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    return;
  }
  FUZZ_CHECK(handler.records() + pointers == batch.Count());
  CountingHandler plain;
  const Status it = batch.Iterate(&plain);
  FUZZ_CHECK(it.ok() || it.IsNotSupported());
  (void)batch.HasDeleteRange();

  // WAL recovery's next step.
  InternalKeyComparator icmp(BytewiseComparator());
  auto* mem = new MemTable(icmp);
  mem->Ref();
  const Status ins = InsertBatchIntoMemTable(&batch, WriteBatchInternal::Sequence(&batch), mem);
  if (ins.ok()) {
    auto iter = mem->NewIterator();
    size_t n = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) n++;
    FUZZ_CHECK(iter->status().ok());
    FUZZ_CHECK(n <= batch.Count());
  }
  mem->Unref();
}

std::vector<std::string> ReadAll(std::string_view file, log::LogKind kind, bool verify,
                                 size_t chunk, CheckingReporter* reporter, Status* status) {
  auto source = fuzz::NewStringSequentialFile(file, chunk);
  log::Reader reader(source.get(), kFileName, kind, reporter, verify);
  std::vector<std::string> records;
  std::string_view record;
  std::string scratch;
  while (reader.ReadRecord(&record, &scratch)) {
    FUZZ_CHECK(record.size() <= file.size());
    FUZZ_CHECK(reader.LastRecordOffset() < reader.LastRecordEndOffset());
    FUZZ_CHECK(reader.LastRecordEndOffset() <= file.size());
    records.emplace_back(record);
  }
  *status = reader.status();
  return records;
}

}  // namespace
}  // namespace jadedb::lsm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jadedb;       // NOLINT(build/namespaces)
  using namespace jadedb::lsm;  // NOLINT(build/namespaces)
  if (size == 0) return 0;
  const log::LogKind kind = (data[0] & 1) ? log::LogKind::kManifest : log::LogKind::kWal;
  const bool verify = (data[0] & 2) == 0;
  const size_t chunk = data[0] >> 2;
  const std::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);

  CheckingReporter reporter(file.size());
  Status status;
  const std::vector<std::string> records = ReadAll(file, kind, verify, chunk, &reporter, &status);
  if (!status.ok()) {
    FUZZ_CHECK(status.IsCorruption() || status.IsNotSupported());
    FUZZ_CHECK(status.ToString().find(kFileName) != std::string::npos);
    FUZZ_CHECK(records.empty());
    return 0;
  }
  for (const std::string& r : records) DecodeBatch(r);

  // Round trip through the writer: a clean log of the same records reads back exactly.
  std::string clean;
  {
    fuzz::MemEnv env;
    std::unique_ptr<WritableFile> out;
    FUZZ_CHECK(env.NewWritableFile("clean", &out).ok());
    log::Writer writer(out.get(), kind);
    for (const std::string& r : records) FUZZ_CHECK(writer.AddRecord(r).ok());
    clean = env.files()["clean"];
  }
  CheckingReporter clean_reporter(clean.size());
  Status clean_status;
  const std::vector<std::string> again =
      ReadAll(clean, kind, /*verify=*/true, chunk, &clean_reporter, &clean_status);
  FUZZ_CHECK(clean_status.ok());
  FUZZ_CHECK(clean_reporter.reports() == 0);
  FUZZ_CHECK(again == records);
  return 0;
}
