// WriteBatchInternal: engine-side access to a WriteBatch's serialized form, which is also the
// payload of an LSM WAL record (docs/formats/write_batch.md):
//
//   sequence: fixed64   (set by the engine when the batch is applied)
//   count:    fixed32
//   records:  count times { tag: 1 byte, key: varstring,
//                           [value: varstring if tag == kPut or kDeleteRange (the end key)] }
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "jadedb/write_batch.h"

namespace jadedb {

class WriteBatchInternal {
 public:
  static constexpr size_t kHeaderSize = 12;
  // Record tags. They equal the LSM engine's internal value types.
  static constexpr uint8_t kTagDelete = 0x0;
  static constexpr uint8_t kTagPut = 0x1;
  static constexpr uint8_t kTagDeleteRange = 0x2;
  // LSM-internal: a Put whose value is an encoded value-log pointer (docs/formats/vlog.md).
  // Only batches the LSM engine builds for its WAL hold it; Iterate reports it as
  // NotSupported, IterateWithPointers hands it to on_pointer.
  static constexpr uint8_t kTagValuePointer = 0x3;

  static uint64_t Sequence(const WriteBatch* b);
  static void SetSequence(WriteBatch* b, uint64_t seq);
  static void SetCount(WriteBatch* b, uint32_t n);
  static std::string_view Contents(const WriteBatch* b) { return b->rep_; }
  static size_t ByteSize(const WriteBatch* b) { return b->rep_.size(); }
  static void PutValuePointer(WriteBatch* b, std::string_view key, std::string_view pointer);
  static Status IterateWithPointers(
      const WriteBatch* b, WriteBatch::Handler* handler,
      const std::function<void(std::string_view key, std::string_view pointer)>& on_pointer);
  // Checks that every record parses and the count matches; Corruption otherwise.
  static Status Validate(std::string_view contents);
};

}  // namespace jadedb
