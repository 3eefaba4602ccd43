// log::Reader reads the records written by log::Writer back, verifying every fragment's
// CRC32C (docs/formats/wal.md).
//
// The file must open with a file header of the expected LogKind. A file whose first bytes are
// not a log header (bad magic), a header of another kind, or an unknown format version ends
// reading at once with status() set (Corruption / NotSupported), nothing returned or
// reported: such a file is not something to salvage records from. An empty file is an empty
// log; a damaged header (torn during creation, checksum mismatch, zero-filled) is damage
// classified like any other below. The header is never returned as a record.
//
// Damage is classified, because recovery treats the two cases differently:
// - torn tail: an incomplete or checksum-failing stretch after which the file holds no valid
//   record (the expected result of a crash mid-write). Reported through Reporter::TornTail
//   with the byte count dropped;
// - corruption: bytes dropped with valid records after them (real damage). Reported through
//   Reporter::Corruption with a Status naming the file and the offset.
// A report is therefore deferred until the reader knows which case it is: a damaged stretch
// is reported as Corruption just before the next complete record is returned, or as a
// TornTail when end of file comes first. Zero-filled (preallocated) space is skipped without
// a report. Any input, however garbled, is read without crashing or reading out of bounds.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jadedb/env.h"
#include "lsm/wal/log_format.h"

namespace jadedb::lsm::log {

class Reader {
 public:
  class Reporter {
   public:
    virtual ~Reporter() = default;
    // `bytes` were dropped in the middle of the log. status is Corruption naming file/offset.
    virtual void Corruption(size_t bytes, const Status& status) = 0;
    // The last `bytes` of the log were dropped as an incomplete (torn) tail.
    virtual void TornTail(size_t bytes) = 0;
  };

  // file_name is used in messages only. kind is what the file header must say. reporter may
  // be null. file must outlive the reader.
  Reader(SequentialFile* file, std::string file_name, LogKind kind, Reporter* reporter,
         bool verify_checksums);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader();

  // Reads the next whole record into *record (which may point into *scratch, valid until the
  // next call). False at end of input (after reporting any dropped bytes).
  bool ReadRecord(std::string_view* record, std::string* scratch);

  // File offset of the start of the last record returned by ReadRecord.
  uint64_t LastRecordOffset() const;
  // File offset just past the last record returned by ReadRecord: after a torn tail, the
  // length to which the log could be truncated before appending to it again. The end of the
  // file header once it has been read and no record followed; 0 before that.
  uint64_t LastRecordEndOffset() const;

  // Non-OK when reading the file itself failed (I/O error), or when the file is not a log of
  // the expected kind and version (see the class comment).
  Status status() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace jadedb::lsm::log
