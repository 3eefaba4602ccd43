// Block compression for table files: the codecs behind the compression type byte of a block
// trailer (docs/formats/sstable.md). Free functions; thread-safe.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "jadedb/status.h"
#include "lsm/sstable/format.h"

namespace jadedb::lsm {

// Compresses raw with type (not kNone) into *out. level is the codec's level for zstd (0 =
// the codec default) and the acceleration for lz4 (0 or 1 = default); snappy ignores it.
// Returns false when the codec failed or the result is not at least 1/8 smaller than raw: the
// caller then stores the block uncompressed.
bool CompressBlock(CompressionType type, int level, std::string_view raw, std::string* out);

// Decompresses the contents of a block stored with type (not kNone). On success *out owns the
// raw bytes and *out_size is their length. On damage returns false and sets *error to what
// went wrong; the caller turns it into a Corruption naming the file and offset.
bool UncompressBlock(CompressionType type, std::string_view compressed,
                     std::unique_ptr<char[]>* out, size_t* out_size, std::string* error);

// "none", "snappy", "lz4", "zstd" (or "unknown").
const char* CompressionTypeName(CompressionType type);

}  // namespace jadedb::lsm
