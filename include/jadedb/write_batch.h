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
    // A DeleteRange record: every key in [begin, end). The default does not apply it but marks
    // the iteration as unsupported, so Iterate returns NotSupported instead of silently
    // dropping the deletion (an engine or tool that cannot delete ranges fails loudly).
    virtual void DeleteRange(std::string_view begin, std::string_view end);

   private:
    friend class WriteBatch;
    bool delete_range_unsupported_ = false;
  };

  WriteBatch();
  WriteBatch(const WriteBatch&) = default;
  WriteBatch& operator=(const WriteBatch&) = default;
  WriteBatch(WriteBatch&&) noexcept = default;
  WriteBatch& operator=(WriteBatch&&) noexcept = default;
  ~WriteBatch() = default;

  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Deletes every key in [begin, end) (begin inclusive, end exclusive; nothing when
  // begin >= end). Counts as one record.
  void DeleteRange(std::string_view begin, std::string_view end);
  // Appends every record of `other` to this batch.
  void Append(const WriteBatch& other);
  void Clear();

  // Number of records.
  uint32_t Count() const;
  // True when the batch holds a DeleteRange record.
  bool HasDeleteRange() const;
  // Bytes of the serialized form; an estimate of the memory the batch will use.
  size_t ApproximateSize() const { return rep_.size(); }

  // Calls the handler once per record, in order. Corruption if the serialized form is bad;
  // NotSupported when the batch holds a DeleteRange and the handler does not override it.
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
