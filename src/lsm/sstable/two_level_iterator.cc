#include "lsm/sstable/two_level_iterator.h"

#include <string>

namespace jadedb::lsm {
namespace {

using BlockFunction =
    std::function<std::unique_ptr<InternalIterator>(std::string_view index_value)>;

class TwoLevelIterator final : public InternalIterator {
 public:
  TwoLevelIterator(std::unique_ptr<InternalIterator> index_iter, BlockFunction block_function)
      : index_iter_(std::move(index_iter)), block_function_(std::move(block_function)) {}

  bool Valid() const override { return data_iter_ != nullptr && data_iter_->Valid(); }
  std::string_view key() const override { return data_iter_->key(); }
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
    SkipEmptyDataBlocksForward();
  }

  void SeekToFirst() override {
    index_iter_->SeekToFirst();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    SkipEmptyDataBlocksForward();
  }

  void SeekToLast() override {
    index_iter_->SeekToLast();
    InitDataIterator();
    if (data_iter_ != nullptr) data_iter_->SeekToLast();
    SkipEmptyDataBlocksBackward();
  }

  void Next() override {
    if (!Valid()) return;
    data_iter_->Next();
    SkipEmptyDataBlocksForward();
  }

  void Prev() override {
    if (!Valid()) return;
    data_iter_->Prev();
    SkipEmptyDataBlocksBackward();
  }

 private:
  // Moves to the first entry of the following sub-iterators until one has an entry (or the
  // index ends). Sub-iterators that failed are passed over; their error stays in status().
  void SkipEmptyDataBlocksForward() {
    while (data_iter_ == nullptr || !data_iter_->Valid()) {
      if (!index_iter_->Valid()) {
        SetDataIterator(nullptr);
        return;
      }
      index_iter_->Next();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToFirst();
    }
  }

  void SkipEmptyDataBlocksBackward() {
    while (data_iter_ == nullptr || !data_iter_->Valid()) {
      if (!index_iter_->Valid()) {
        SetDataIterator(nullptr);
        return;
      }
      index_iter_->Prev();
      InitDataIterator();
      if (data_iter_ != nullptr) data_iter_->SeekToLast();
    }
  }

  void SetDataIterator(std::unique_ptr<InternalIterator> data_iter) {
    if (data_iter_ != nullptr && saved_status_.ok()) saved_status_ = data_iter_->status();
    data_iter_ = std::move(data_iter);
  }

  // Opens the sub-iterator for the current index entry, reusing the open one when the index
  // entry is the same (e.g. Seek within the block already open).
  void InitDataIterator() {
    if (!index_iter_->Valid()) {
      SetDataIterator(nullptr);
      data_value_.clear();
      return;
    }
    std::string_view handle = index_iter_->value();
    if (data_iter_ != nullptr && handle == data_value_) return;
    data_value_.assign(handle.data(), handle.size());
    SetDataIterator(block_function_(handle));
  }

  std::unique_ptr<InternalIterator> index_iter_;
  BlockFunction block_function_;
  std::unique_ptr<InternalIterator> data_iter_;  // null when positioned on no index entry
  std::string data_value_;                       // the index value data_iter_ was opened for
  Status saved_status_;                          // first error of a sub-iterator already closed
};

}  // namespace

std::unique_ptr<InternalIterator> NewTwoLevelIterator(std::unique_ptr<InternalIterator> index_iter,
                                                      BlockFunction block_function) {
  return std::make_unique<TwoLevelIterator>(std::move(index_iter), std::move(block_function));
}

}  // namespace jadedb::lsm
