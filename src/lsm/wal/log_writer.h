// log::Writer appends records to a log file in the block-framed format of
// docs/formats/wal.md: 32 KiB blocks, each record split into FULL/FIRST/MIDDLE/LAST fragments
// with a 7-byte header (masked CRC32C, length, type). Used for the WAL and the MANIFEST.
// A new log opens with a file header fragment (magic, format version, LogKind), written
// together with the first record.
//
// Not thread-safe: one writer at a time (the DB's write leader). Durability is the caller's:
// call Sync() on the file after AddRecord when the write must survive power loss.
#pragma once

#include <cstdint>
#include <string_view>

#include "jadedb/env.h"
#include "lsm/wal/log_format.h"

namespace jadedb::lsm::log {

class Writer {
 public:
  // Starts a new log of the given kind. dest must be empty; it must outlive the writer. The
  // file header goes out with the first AddRecord (so its failure is returned there); until
  // then the file stays empty, which readers take as an empty log.
  Writer(WritableFile* dest, LogKind kind);
  // dest already holds dest_length bytes of a log (reopened for append), header included:
  // nothing but records is written. (A log truncated to 0 bytes is a new log: use the
  // constructor above.)
  Writer(WritableFile* dest, uint64_t dest_length);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Status AddRecord(std::string_view record);

  // Writes the file header now (no-op when it is already written). The DB calls it, then
  // syncs, when it creates a WAL: a header made durable at creation can never be left as
  // garbage by a power loss, which would make the log unreadable (bad magic).
  Status WriteHeader();

 private:
  Status EmitPhysicalRecord(RecordType type, const char* ptr, size_t length);

  WritableFile* dest_;
  LogKind kind_ = LogKind::kWal;
  bool header_pending_ = false;            // a new log whose file header is not written yet
  int block_offset_;                       // offset in the current block
  uint32_t type_crc_[kMaxRecordType + 1];  // crc of each type byte, precomputed
};

}  // namespace jadedb::lsm::log
