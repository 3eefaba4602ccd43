#include "jadedb/write_batch.h"

#include "util/coding.h"
#include "util/write_batch_internal.h"

namespace jadedb {

using WBI = WriteBatchInternal;

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(WBI::kHeaderSize);
}

uint32_t WriteBatch::Count() const { return DecodeFixed32(rep_.data() + 8); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WBI::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(WBI::kTagPut));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  WBI::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(WBI::kTagDelete));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::DeleteRange(std::string_view begin, std::string_view end) {
  WBI::SetCount(this, Count() + 1);
  rep_.push_back(static_cast<char>(WBI::kTagDeleteRange));
  PutLengthPrefixed(&rep_, begin);
  PutLengthPrefixed(&rep_, end);
}

void WriteBatch::Handler::DeleteRange(std::string_view /*begin*/, std::string_view /*end*/) {
  delete_range_unsupported_ = true;
}

void WriteBatch::Append(const WriteBatch& other) {
  WBI::SetCount(this, Count() + other.Count());
  rep_.append(other.rep_.data() + WBI::kHeaderSize, other.rep_.size() - WBI::kHeaderSize);
}

Status WriteBatch::SetData(std::string_view data) {
  if (data.size() < WBI::kHeaderSize) {
    return Status::InvalidArgument("write batch", "shorter than its 12-byte header");
  }
  rep_.assign(data.data(), data.size());
  return Status::OK();
}

namespace {

// Walks the records, calling `on_put`/`on_delete`/`on_delete_range`; Corruption on any
// malformed record. A callback returning a non-OK status stops the walk with it.
// on_pointer: for kTagValuePointer records; null (the default) rejects them as NotSupported.
template <typename OnPut, typename OnDelete, typename OnDeleteRange>
Status ForEachRecord(
    std::string_view rep, OnPut on_put, OnDelete on_delete, OnDeleteRange on_delete_range,
    const std::function<void(std::string_view, std::string_view)>& on_pointer = nullptr) {
  if (rep.size() < WBI::kHeaderSize) return Status::Corruption("write batch", "too small");
  uint32_t expected = DecodeFixed32(rep.data() + 8);
  std::string_view input = rep.substr(WBI::kHeaderSize);
  uint32_t found = 0;
  while (!input.empty()) {
    auto tag = static_cast<uint8_t>(input[0]);
    input.remove_prefix(1);
    std::string_view key;
    std::string_view value;
    if (tag == WBI::kTagPut) {
      if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
        return Status::Corruption("write batch", "bad Put record");
      }
      on_put(key, value);
    } else if (tag == WBI::kTagDelete) {
      if (!GetLengthPrefixed(&input, &key)) {
        return Status::Corruption("write batch", "bad Delete record");
      }
      on_delete(key);
    } else if (tag == WBI::kTagDeleteRange) {
      if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
        return Status::Corruption("write batch", "bad DeleteRange record");
      }
      Status s = on_delete_range(key, value);
      if (!s.ok()) return s;
    } else if (tag == WBI::kTagValuePointer) {
      if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
        return Status::Corruption("write batch", "bad value pointer record");
      }
      if (!on_pointer) {
        return Status::NotSupported("write batch", "value pointer records are LSM-internal");
      }
      on_pointer(key, value);
    } else {
      return Status::Corruption("write batch", "unknown record tag " + std::to_string(tag));
    }
    found++;
  }
  if (found != expected) {
    return Status::Corruption("write batch", "header counts " + std::to_string(expected) +
                                                 " records, found " + std::to_string(found));
  }
  return Status::OK();
}

}  // namespace

Status WriteBatch::Iterate(Handler* handler) const {
  return ForEachRecord(
      rep_, [handler](std::string_view k, std::string_view v) { handler->Put(k, v); },
      [handler](std::string_view k) { handler->Delete(k); },
      [handler](std::string_view b, std::string_view e) {
        handler->DeleteRange(b, e);
        if (handler->delete_range_unsupported_) {
          return Status::NotSupported("write batch",
                                      "DeleteRange is not supported by this handler");
        }
        return Status::OK();
      });
}

bool WriteBatch::HasDeleteRange() const {
  bool found = false;
  (void)ForEachRecord(
      rep_, [](std::string_view, std::string_view) {}, [](std::string_view) {},
      [&found](std::string_view, std::string_view) {
        found = true;
        return Status::OK();
      });
  return found;
}

uint64_t WBI::Sequence(const WriteBatch* b) { return DecodeFixed64(b->rep_.data()); }
void WBI::SetSequence(WriteBatch* b, uint64_t seq) { EncodeFixed64(b->rep_.data(), seq); }
void WBI::SetCount(WriteBatch* b, uint32_t n) { EncodeFixed32(b->rep_.data() + 8, n); }

Status WBI::Validate(std::string_view contents) {
  return ForEachRecord(
      contents, [](std::string_view, std::string_view) {}, [](std::string_view) {},
      [](std::string_view, std::string_view) { return Status::OK(); },
      [](std::string_view, std::string_view) {});
}

void WBI::PutValuePointer(WriteBatch* b, std::string_view key, std::string_view pointer) {
  WBI::SetCount(b, b->Count() + 1);
  b->rep_.push_back(static_cast<char>(WBI::kTagValuePointer));
  PutLengthPrefixed(&b->rep_, key);
  PutLengthPrefixed(&b->rep_, pointer);
}

Status WBI::IterateWithPointers(
    const WriteBatch* b, WriteBatch::Handler* handler,
    const std::function<void(std::string_view key, std::string_view pointer)>& on_pointer) {
  return ForEachRecord(
      b->rep_, [handler](std::string_view k, std::string_view v) { handler->Put(k, v); },
      [handler](std::string_view k) { handler->Delete(k); },
      [handler](std::string_view e, std::string_view f) {
        handler->DeleteRange(e, f);
        return Status::OK();
      },
      on_pointer);
}

}  // namespace jadedb
