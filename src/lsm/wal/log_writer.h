// log::Writer appends records to a log file in the block-framed format of
// docs/formats/wal.md: 32 KiB blocks, each record split into FULL/FIRST/MIDDLE/LAST fragments
// with a 7-byte header (masked CRC32C, length, type). Used for the WAL and the MANIFEST.
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
  // dest must be empty; it must outlive the writer.
  explicit Writer(WritableFile* dest);
  // dest already holds dest_length bytes of a log (reopened for append).
  Writer(WritableFile* dest, uint64_t dest_length);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Status AddRecord(std::string_view record);

 private:
  Status EmitPhysicalRecord(RecordType type, const char* ptr, size_t length);

  WritableFile* dest_;
  int block_offset_;  // offset in the current block
  uint32_t type_crc_[kMaxRecordType + 1];  // crc of each type byte, precomputed
};

}  // namespace jadedb::lsm::log
