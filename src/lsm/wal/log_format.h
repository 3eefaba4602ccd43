// Constants of the log format shared by log::Writer and log::Reader (docs/formats/wal.md).
#pragma once

#include <cstddef>

namespace jadedb::lsm::log {

enum RecordType : unsigned char {
  // Zero is reserved for preallocated (zero-filled) space, skipped by the reader.
  kZeroType = 0,
  kFullType = 1,
  // A record split across blocks.
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
inline constexpr int kMaxRecordType = kLastType;

inline constexpr size_t kBlockSize = 32768;
// Header: masked CRC32C (4 bytes, over type byte + payload), length (2 bytes), type (1 byte).
inline constexpr size_t kHeaderSize = 4 + 2 + 1;

}  // namespace jadedb::lsm::log
