// In-memory files and a recording reporter for the log writer/reader tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/env.h"
#include "lsm/wal/log_format.h"
#include "lsm/wal/log_reader.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::log::test {

// A WritableFile appending to a string. Can be told to fail appends.
class StringDest final : public WritableFile {
 public:
  Status Append(std::string_view data) override {
    if (fail_appends) return Status::IOError("StringDest", "injected append failure");
    contents.append(data.data(), data.size());
    return Status::OK();
  }
  Status Flush() override {
    flushes++;
    return Status::OK();
  }
  Status Sync() override { return Status::OK(); }
  Status Close() override { return Status::OK(); }

  std::string contents;
  int flushes = 0;
  bool fail_appends = false;
};

// A SequentialFile reading a string. Can return short reads and fail after some reads.
class StringSource final : public SequentialFile {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    if (reads_before_error_ == 0) return Status::IOError("StringSource", "injected read error");
    if (reads_before_error_ > 0) reads_before_error_--;
    n = std::min({n, data_.size() - pos_, max_read_});
    if (n > 0) std::memcpy(scratch, data_.data() + pos_, n);
    pos_ += n;
    *result = std::string_view(scratch, n);
    return Status::OK();
  }
  Status Skip(uint64_t n) override {
    pos_ = std::min<size_t>(data_.size(), pos_ + n);
    return Status::OK();
  }

  void set_max_read(size_t n) { max_read_ = n; }
  // The read after `n` successful ones fails.
  void FailAfterReads(int n) { reads_before_error_ = n; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t max_read_ = SIZE_MAX;
  int reads_before_error_ = -1;
};

// Records every report.
class RecordingReporter final : public Reader::Reporter {
 public:
  void Corruption(size_t bytes, const Status& status) override {
    corruptions.push_back({bytes, status});
    order.push_back('C');
  }
  void TornTail(size_t bytes) override {
    torn_tails.push_back(bytes);
    order.push_back('T');
  }

  struct CorruptionReport {
    size_t bytes;
    Status status;
  };
  std::vector<CorruptionReport> corruptions;
  std::vector<size_t> torn_tails;
  std::string order;  // 'C' and 'T' in report order
};

// Everything a reader returned from one file.
struct ReadResult {
  std::vector<std::string> records;
  std::vector<uint64_t> offsets;  // LastRecordOffset after each record
  RecordingReporter reporter;
  Status status;
};

inline void ReadAll(std::string_view file, ReadResult* out, bool verify_checksums = true,
                    size_t max_read = SIZE_MAX, LogKind kind = LogKind::kWal) {
  StringSource src(file);
  src.set_max_read(max_read);
  Reader reader(&src, "test.log", kind, &out->reporter, verify_checksums);
  std::string scratch;
  std::string_view record;
  while (reader.ReadRecord(&record, &scratch)) {
    out->records.emplace_back(record);
    out->offsets.push_back(reader.LastRecordOffset());
  }
  out->status = reader.status();
}

// Appends one physical record (fragment) built independently of log::Writer, so tests can
// build sequences the writer never produces and check the writer's bytes against it.
inline void AppendFragment(std::string* file, unsigned type, std::string_view payload) {
  char header[kHeaderSize];
  char t = static_cast<char>(type);
  uint32_t crc = crc32c::Extend(crc32c::Value(&t, 1), payload.data(), payload.size());
  EncodeFixed32(header, crc32c::Mask(crc));
  EncodeFixed16(header + 4, static_cast<uint16_t>(payload.size()));
  header[6] = t;
  file->append(header, kHeaderSize);
  file->append(payload.data(), payload.size());
}

// The file header fragment (docs/formats/wal.md), built independently of log::Writer.
inline std::string FileHeader(LogKind kind = LogKind::kWal, uint32_t version = 1) {
  std::string payload = "JADEDBLG";
  PutFixed32(&payload, version);
  PutFixed32(&payload, static_cast<uint32_t>(kind));
  std::string file;
  AppendFragment(&file, kFileHeaderType, payload);
  return file;
}

}  // namespace jadedb::lsm::log::test
