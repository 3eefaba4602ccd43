// WriteBatch: a group of updates applied atomically by DB::Write: after a crash either all of
// them are visible or none is. Updates apply in the order they were added (a later Put of the
// same key wins).
//
// Not thread-safe while being modified; a const batch may be read by several threads.
// The serialized form (Data()) is documented in docs/formats/write_batch.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jadedb/status.h"

namespace jadedb {

class WriteBatch {
 public:
  // Receives the records of a batch, in order, from Iterate().
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch() = default;

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Appends every record of `other` to this batch.
  void Append(const WriteBatch& other);
  void Clear();

  // Number of records.
  uint32_t Count() const;
  // Bytes of the serialized form; an estimate of the memory the batch will use.
  size_t ApproximateSize() const { return rep_.size(); }

  // Calls the handler once per record, in order. Corruption if the serialized form is bad.
  Status Iterate(Handler* handler) const;

  // The serialized form, and a way to rebuild a batch from it (e.g. from a log).
  std::string_view Data() const { return rep_; }
  // Replaces the contents with `data`; InvalidArgument if it is shorter than a header.
  Status SetData(std::string_view data);

 private:
  friend class WriteBatchInternal;
  std::string rep_;
};

}  // namespace jadedb
