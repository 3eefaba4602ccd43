// Constants of the log format shared by log::Writer and log::Reader (docs/formats/wal.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace jadedb::lsm::log {

enum RecordType : unsigned char {
  // Zero is reserved for preallocated (zero-filled) space, skipped by the reader.
  kZeroType = 0,
  kFullType = 1,
  // A record split across blocks.
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
  // The file header: the first fragment of every log, never anywhere else.
  kFileHeaderType = 5,
};
inline constexpr int kMaxRecordType = kFileHeaderType;

inline constexpr size_t kBlockSize = 32768;
// Header: masked CRC32C (4 bytes, over type byte + payload), length (2 bytes), type (1 byte).
inline constexpr size_t kHeaderSize = 4 + 2 + 1;

// What a log holds. Stored in the file header so a WAL is never replayed as a manifest (or
// the other way round) after a file mix-up.
enum class LogKind : uint32_t { kWal = 1, kManifest = 2 };

inline const char* LogKindName(LogKind kind) {
  switch (kind) {
    case LogKind::kWal:
      return "WAL";
    case LogKind::kManifest:
      return "MANIFEST";
  }
  return "unknown";
}

// File header fragment payload: magic (8 bytes), format version (fixed32), kind (fixed32).
inline constexpr char kLogMagic[] = "JADEDBLG";  // the 8 characters, without the NUL
inline constexpr size_t kLogMagicSize = sizeof(kLogMagic) - 1;
inline constexpr uint32_t kLogFormatVersion = 1;
inline constexpr size_t kFileHeaderPayloadSize = kLogMagicSize + 4 + 4;
// The whole header fragment, at file offset 0.
inline constexpr size_t kFileHeaderSize = kHeaderSize + kFileHeaderPayloadSize;

}  // namespace jadedb::lsm::log
