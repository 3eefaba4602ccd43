// Snappy blocks use snappy's own framing (it records the raw length). LZ4 and zstd blocks are
// a varint32 raw length followed by the codec's output, so the reader knows how much to
// allocate before decoding, and a damaged length is caught by the codec's own size checks.
#include "lsm/sstable/compression.h"

#include <lz4.h>
#include <snappy.h>
#include <zstd.h>

#include "util/coding.h"

namespace jadedb::lsm {
namespace {

// Upper bound on a block's raw size: a block holds at most one key and one value beyond
// block_size, so anything larger comes from a damaged length field.
constexpr size_t kMaxRawBlockSize = (size_t{1} << 30) + (size_t{256} << 20);

// Kept compressed only when it saves at least 1/8 of the raw size; below that the CPU spent
// decompressing on every read buys too little space.
bool WorthKeeping(size_t raw_size, size_t compressed_size) {
  return compressed_size < raw_size - raw_size / 8;
}

}  // namespace

const char* CompressionTypeName(CompressionType type) {
  switch (type) {
    case CompressionType::kNone:
      return "none";
    case CompressionType::kSnappy:
      return "snappy";
    case CompressionType::kLz4:
      return "lz4";
    case CompressionType::kZstd:
      return "zstd";
  }
  return "unknown";
}

bool CompressBlock(CompressionType type, int level, std::string_view raw, std::string* out) {
  out->clear();
  switch (type) {
    case CompressionType::kNone:
      return false;
    case CompressionType::kSnappy: {
      out->resize(snappy::MaxCompressedLength(raw.size()));
      size_t n = 0;
      snappy::RawCompress(raw.data(), raw.size(), out->data(), &n);
      out->resize(n);
      break;
    }
    case CompressionType::kLz4: {
      if (raw.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return false;
      PutVarint32(out, static_cast<uint32_t>(raw.size()));
      const size_t header = out->size();
      const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
      out->resize(header + static_cast<size_t>(bound));
      const int n = LZ4_compress_fast(raw.data(), out->data() + header,
                                      static_cast<int>(raw.size()), bound, level > 1 ? level : 1);
      if (n <= 0) return false;
      out->resize(header + static_cast<size_t>(n));
      break;
    }
    case CompressionType::kZstd: {
      if (raw.size() > UINT32_MAX) return false;
      PutVarint32(out, static_cast<uint32_t>(raw.size()));
      const size_t header = out->size();
      const size_t bound = ZSTD_compressBound(raw.size());
      out->resize(header + bound);
      const size_t n = ZSTD_compress(out->data() + header, bound, raw.data(), raw.size(),
                                     level != 0 ? level : ZSTD_CLEVEL_DEFAULT);
      if (ZSTD_isError(n)) return false;
      out->resize(header + n);
      break;
    }
    default:
      return false;
  }
  return WorthKeeping(raw.size(), out->size());
}

bool UncompressBlock(CompressionType type, std::string_view compressed,
                     std::unique_ptr<char[]>* out, size_t* out_size, std::string* error) {
  switch (type) {
    case CompressionType::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(compressed.data(), compressed.size(), &n) ||
          n > kMaxRawBlockSize) {
        *error = "snappy: bad uncompressed length";
        return false;
      }
      std::unique_ptr<char[]> buf(new char[n == 0 ? 1 : n]);
      if (!snappy::RawUncompress(compressed.data(), compressed.size(), buf.get())) {
        *error = "snappy: malformed compressed data";
        return false;
      }
      *out = std::move(buf);
      *out_size = n;
      return true;
    }
    case CompressionType::kLz4:
    case CompressionType::kZstd: {
      std::string_view input = compressed;
      uint32_t n = 0;
      if (!GetVarint32(&input, &n) || n > kMaxRawBlockSize) {
        *error = std::string(CompressionTypeName(type)) + ": bad uncompressed length";
        return false;
      }
      std::unique_ptr<char[]> buf(new char[n == 0 ? 1 : n]);
      if (type == CompressionType::kLz4) {
        if (input.size() > static_cast<size_t>(INT32_MAX) || n > INT32_MAX) {
          *error = "lz4: block too large";
          return false;
        }
        const int got = LZ4_decompress_safe(input.data(), buf.get(), static_cast<int>(input.size()),
                                            static_cast<int>(n));
        if (got < 0 || static_cast<uint32_t>(got) != n) {
          *error = "lz4: malformed compressed data";
          return false;
        }
      } else {
        const size_t got = ZSTD_decompress(buf.get(), n, input.data(), input.size());
        if (ZSTD_isError(got)) {
          *error = std::string("zstd: ") + ZSTD_getErrorName(got);
          return false;
        }
        if (got != n) {
          *error = "zstd: decompressed size differs from the recorded size";
          return false;
        }
      }
      *out = std::move(buf);
      *out_size = n;
      return true;
    }
    default:
      *error = "not a compressed block type";
      return false;
  }
}

}  // namespace jadedb::lsm
