#include "lsm/vlog/resolving_iterator.h"

#include <string>

#include "lsm/base/dbformat.h"

namespace jadedb::lsm::vlog {
namespace {

class ResolvingIterator final : public InternalIterator {
 public:
  ResolvingIterator(std::unique_ptr<InternalIterator> child,
                    std::shared_ptr<const SegmentMap> pinned, const ValueLog* log)
      : child_(std::move(child)), pinned_(std::move(pinned)), log_(log) {}

  bool Valid() const override { return child_->Valid(); }
  void SeekToFirst() override { Moved(), child_->SeekToFirst(); }
  void SeekToLast() override { Moved(), child_->SeekToLast(); }
  void Seek(std::string_view target) override { Moved(), child_->Seek(target); }
  void Next() override { Moved(), child_->Next(); }
  void Prev() override { Moved(), child_->Prev(); }
  std::string_view key() const override { return child_->key(); }
  std::string_view value() const override;
  Status status() const override { return error_.ok() ? child_->status() : error_; }

 private:
  void Moved() { resolved_ = false; }

  std::unique_ptr<InternalIterator> child_;
  const std::shared_ptr<const SegmentMap> pinned_;
  const ValueLog* const log_;
  // Lazily filled by value(), which is const.
  mutable bool resolved_ = false;
  mutable std::string value_;
  mutable Status error_;
};

std::string_view ResolvingIterator::value() const {
  const std::string_view ikey = child_->key();
  if (ikey.size() < 8 || (ExtractTag(ikey) & 0xff) != kTypeValuePointer) return child_->value();
  if (resolved_) return value_;
  resolved_ = true;
  value_.clear();
  ValuePointer p;
  const std::string_view user_key = ExtractUserKey(ikey);
  Status s;
  if (!p.DecodeFrom(child_->value())) {
    s = Status::Corruption("value pointer", "malformed pointer for a key");
  } else {
    auto it = pinned_->find(p.file);
    if (it != pinned_->end()) {
      s = it->second->Read(p, &user_key, nullptr, &value_);
    } else {
      s = log_->Read(p, user_key, &value_);
      // Neither pinned nor current: GC deleted the segment before this iterator was created.
      // GC deletes a segment only when no snapshot predates its rewrite, so the entry is a
      // version shadowed at this iterator's sequence (DBIter reads those when moving
      // backwards, then drops them); its value is never shown.
      if (s.IsNotFound()) {
        value_.clear();
        s = Status::OK();
      }
    }
  }
  if (!s.ok() && error_.ok()) error_ = s;
  return value_;
}

}  // namespace

std::unique_ptr<InternalIterator> NewResolvingIterator(std::unique_ptr<InternalIterator> child,
                                                       std::shared_ptr<const SegmentMap> pinned,
                                                       const ValueLog* log) {
  return std::make_unique<ResolvingIterator>(std::move(child), std::move(pinned), log);
}

}  // namespace jadedb::lsm::vlog
