// WriteBatchInternal: engine-side access to a WriteBatch's serialized form, which is also the
// payload of an LSM WAL record (docs/formats/write_batch.md):
//
//   sequence: fixed64   (set by the engine when the batch is applied)
//   count:    fixed32
//   records:  count times { tag: 1 byte, key: varstring, [value: varstring if tag == kPut] }
#pragma once

#include <cstdint>
#include <string_view>

#include "jadedb/write_batch.h"

namespace jadedb {

class WriteBatchInternal {
 public:
  static constexpr size_t kHeaderSize = 12;
  // Record tags. They equal the LSM engine's internal value types.
  static constexpr uint8_t kTagDelete = 0x0;
  static constexpr uint8_t kTagPut = 0x1;

  static uint64_t Sequence(const WriteBatch* b);
  static void SetSequence(WriteBatch* b, uint64_t seq);
  static void SetCount(WriteBatch* b, uint32_t n);
  static std::string_view Contents(const WriteBatch* b) { return b->rep_; }
  static size_t ByteSize(const WriteBatch* b) { return b->rep_.size(); }
  // Checks that every record parses and the count matches; Corruption otherwise.
  static Status Validate(std::string_view contents);
};

}  // namespace jadedb
