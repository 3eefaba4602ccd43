#include "lsm/sstable/two_level_iterator.h"

#include <cstring>
#include <string>

namespace jadedb::lsm {
namespace {

using BlockFunction =
    std::function<std::unique_ptr<InternalIterator>(std::string_view index_value)>;

// The index value a data iterator was opened for. Block handles (two varints) and file entries
// (16 bytes) fit inline, so opening an iterator allocates nothing for it.
class IndexValue {
 public:
  bool Equals(std::string_view v) const { return v == view(); }
  void Set(std::string_view v) {
    if (v.size() <= sizeof(inline_)) {
      if (!v.empty()) std::memcpy(inline_, v.data(), v.size());
      heap_.clear();
    } else {
      heap_.assign(v.data(), v.size());
    }
    size_ = v.size();
  }
  void Clear() { Set({}); }

 private:
  std::string_view view() const {
    return std::string_view(size_ <= sizeof(inline_) ? inline_ : heap_.data(), size_);
  }
  char inline_[24];
  std::string heap_;
  size_t size_ = 0;
};

// The data iterator's validity and key are cached after each move: a scan asks for both after
// every step (the merging iterator above, and this iterator's own "block exhausted?" check), and
// with a level of tables each ask would otherwise be two nested virtual calls.
class TwoLevelIterator final : public InternalIterator {
 public:
  TwoLevelIterator(std::unique_ptr<InternalIterator> index_iter, BlockFunction block_function)
      : index_iter_(std::move(index_iter)), block_function_(std::move(block_function)) {}

  bool Valid() const override { return data_valid_; }
  std::string_view key() const override { return data_key_; }
  std::string_view value() const override { return data_iter_->value(); }

  Status status() const override {
    if (!index_iter_->status().ok()) return index_iter_->status();
    if (data_iter_ != nullptr && !data_iter_->status().ok()) return data_iter_->status();
    return saved_status_;
  }

  void Seek(std::string_view target) override {
    index_iter_->Seek(target);
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->Seek(target);
    UpdateData();
    SkipEmptyDataBlocksForward();
  }

  // Passed to the open sub-iterator: a Seek often stays in it (a level's file covers a wide
  // key range), and a hint for the wrong one costs only the loads it starts.
  void Prefetch(std::string_view target) override {
    if (data_iter_ != nullptr) data_iter_->Prefetch(target);
  }

  void SeekToFirst() override {
    index_iter_->SeekToFirst();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    UpdateData();
    SkipEmptyDataBlocksForward();
  }

  void SeekToLast() override {
    index_iter_->SeekToLast();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToLast();
    UpdateData();
    SkipEmptyDataBlocksBackward();
  }

  void Next() override {
    if (!data_valid_) return;
    data_iter_->Next();
    UpdateData();
    if (!data_valid_) SkipEmptyDataBlocksForward();
  }

  void Prev() override {
    if (!data_valid_) return;
    data_iter_->Prev();
    UpdateData();
    if (!data_valid_) SkipEmptyDataBlocksBackward();
  }

 private:
  void UpdateData() {
    data_valid_ = data_iter_ != nullptr && data_iter_->Valid();
    if (data_valid_) data_key_ = data_iter_->key();
  }

  // Moves to the first entry of the following sub-iterators until one has an entry (or the
  // index ends). Sub-iterators that failed are passed over; their error stays in status().
  void SkipEmptyDataBlocksForward() {
    while (!data_valid_) {
      if (!index_iter_->Valid()) {
        SetDataIterator(nullptr);
        return;
      }
      index_iter_->Next();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToFirst();
      UpdateData();
    }
  }

  void SkipEmptyDataBlocksBackward() {
    while (!data_valid_) {
      if (!index_iter_->Valid()) {
        SetDataIterator(nullptr);
        return;
      }
      index_iter_->Prev();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToLast();
      UpdateData();
    }
  }

  void SetDataIterator(std::unique_ptr<InternalIterator> data_iter) {
    if (data_iter_ != nullptr && saved_status_.ok()) saved_status_ = data_iter_->status();
    data_iter_ = std::move(data_iter);
    data_valid_ = false;
  }

  // Opens the sub-iterator for the current index entry, reusing the open one when the index
  // entry is the same (e.g. Seek within the block already open).
  void InitDataIterator() {
    if (!index_iter_->Valid()) {
      SetDataIterator(nullptr);
      data_value_.Clear();
      return;
    }
    std::string_view handle = index_iter_->value();
    if (data_iter_ != nullptr && data_value_.Equals(handle)) return;
    data_value_.Set(handle);
    SetDataIterator(block_function_(handle));
  }

  std::unique_ptr<InternalIterator> index_iter_;
  BlockFunction block_function_;
  std::unique_ptr<InternalIterator> data_iter_;  // null when positioned on no index entry
  IndexValue data_value_;                        // the index value data_iter_ was opened for
  Status saved_status_;                          // first error of a sub-iterator already closed
  // data_iter_ != null && data_iter_->Valid(), and its key(), as of its last move.
  bool data_valid_ = false;
  std::string_view data_key_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index_iter,
                                                      BlockFunction block_function) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(block_function));
}

}  // namespace jadedb::lsm
