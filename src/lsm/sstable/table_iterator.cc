// Table::NewIterator: the table iterator (index cursor + data block cursor) and the bounded
// view over it.
#include <optional>
#include <string>

#include "lsm/sstable/table.h"
#include "lsm/sstable/table_rep.h"

namespace jadedb::lsm {
namespace {

// Walks the index block and, for each index entry, the data block it names: the
// concatenation of the data blocks in index order, both directions. Specialized from the
// generic two-level iterator for tables, because a Seek (one per table in every merged
// seek) paid there for generality:
//  - both cursors are BlockCursors held inline, not heap iterators behind virtual calls, so
//    opening a data block allocates nothing (the generic one made a block iterator, a
//    cleanup std::function and a cache pin for each);
//  - a data block of a mapped table is used in place (Rep::InPlaceBlock, as point lookups
//    do) instead of through the block cache: no hash lookup and shard mutex per Seek;
//  - the index is sought through the table's IndexSearch when it has one.
// Blocks that fail to open are passed over (their error stays in status()), as before.
class TableIterator final : public InternalIterator {
 public:
  TableIterator(const Table::Rep* rep, const TableReadOptions& options) : rep_(rep) {
    read_options_.verify_checksums = options.verify_checksums;
    read_options_.fill_cache = options.fill_cache;
    Status s = rep_->IndexBlock(&index_ref_);
    if (!s.ok()) {
      saved_status_ = s;
      return;
    }
    index_.emplace(index_ref_.get(), rep_->options.comparator, rep_->file_name,
                   rep_->footer.index_handle().offset());
  }
  ~TableIterator() override {
    data_.reset();  // before the block it reads
  }

  bool Valid() const override { return data_valid_; }
  std::string_view key() const override { return data_->key(); }
  std::string_view value() const override { return data_->value(); }

  Status status() const override {
    if (index_ && !index_->status().ok()) return index_->status();
    if (data_ && !data_->status().ok()) return data_->status();
    return saved_status_;
  }

  void Seek(std::string_view target) override {
    if (!index_) return;
    rep_->SeekIndex(&*index_, index_ref_.get(), target);
    InitDataBlock();
    if (data_) data_->Seek(target);
    UpdateData();
    SkipEmptyDataBlocksForward();
  }

  // Finds the data block a Seek(target) would read (through a cursor of its own: this
  // iterator does not move) and, for a mapped table, starts loading it (Rep::PrefetchBlock).
  void Prefetch(std::string_view target) override {
    if (!index_ || rep_->mapped_base == nullptr) return;
    BlockCursor index(index_ref_.get(), rep_->options.comparator);
    rep_->SeekIndex(&index, index_ref_.get(), target);
    if (!index.Valid()) return;
    BlockHandle handle;
    std::string_view v = index.value();
    if (handle.DecodeFrom(&v)) rep_->PrefetchBlock(handle);  // a bad handle: the Seek reports it
  }

  void SeekToFirst() override {
    if (!index_) return;
    index_->SeekToFirst();
    InitDataBlock();
    if (data_) data_->SeekToFirst();
    UpdateData();
    SkipEmptyDataBlocksForward();
  }

  void SeekToLast() override {
    if (!index_) return;
    index_->SeekToLast();
    InitDataBlock();
    if (data_) data_->SeekToLast();
    UpdateData();
    SkipEmptyDataBlocksBackward();
  }

  void Next() override {
    if (!data_valid_) return;
    data_->Next();
    UpdateData();
    if (!data_valid_) SkipEmptyDataBlocksForward();
  }

  void Prev() override {
    if (!data_valid_) return;
    data_->Prev();
    UpdateData();
    if (!data_valid_) SkipEmptyDataBlocksBackward();
  }

 private:
  void UpdateData() { data_valid_ = data_ && data_->Valid(); }

  void SkipEmptyDataBlocksForward() {
    while (!data_valid_) {
      if (!index_->Valid()) {
        CloseData();
        return;
      }
      index_->Next();
      InitDataBlock();
      if (data_) data_->SeekToFirst();
      UpdateData();
    }
  }

  void SkipEmptyDataBlocksBackward() {
    while (!data_valid_) {
      if (!index_->Valid()) {
        CloseData();
        return;
      }
      index_->Prev();
      InitDataBlock();
      if (data_) data_->SeekToLast();
      UpdateData();
    }
  }

  void SaveError(const Status& s) {
    if (saved_status_.ok() && !s.ok()) saved_status_ = s;
  }

  void CloseData() {
    if (data_) {
      SaveError(data_->status());
      data_.reset();
    }
    in_place_.reset();
    data_ref_.Reset();
    data_valid_ = false;
  }

  // Opens the data block of the current index entry, keeping the open one when it is the
  // same block (e.g. a Seek within it).
  void InitDataBlock() {
    if (!index_->Valid()) {
      CloseData();
      return;
    }
    BlockHandle handle;
    Status s = rep_->DecodeIndexValue(index_->value(), &handle);
    if (!s.ok()) {
      CloseData();
      SaveError(s);
      return;
    }
    if (data_ && handle.offset() == data_offset_) return;
    CloseData();
    bool used_in_place = false;
    s = rep_->InPlaceBlock(handle, index_->restart_index(), &in_place_, &used_in_place);
    if (s.ok() && !used_in_place) s = rep_->DataBlock(read_options_, handle, &data_ref_);
    if (!s.ok()) {
      SaveError(s);
      return;
    }
    data_.emplace(used_in_place ? &*in_place_ : data_ref_.get(), rep_->options.comparator,
                  rep_->file_name, handle.offset());
    data_offset_ = handle.offset();
  }

  const Table::Rep* const rep_;
  TableReadOptions read_options_;  // without the bounds (BoundedIterator applies those)
  BlockRef index_ref_;
  std::optional<BlockCursor> index_;  // empty when the index could not be read
  // The open data block: in_place_ (viewing the mapping) or data_ref_ (cached or owned), and
  // its cursor. data_ is empty when no block is open.
  std::optional<Block> in_place_;
  BlockRef data_ref_;
  std::optional<BlockCursor> data_;
  uint64_t data_offset_ = 0;  // offset of the open data block
  bool data_valid_ = false;   // data_ && data_->Valid(), as of the last move
  Status saved_status_;       // first error of a block already closed (or not opened)
};

// A table iterator restricted to the user keys in [lower, upper): a sorted view of that
// subset, so merging and direction changes work as on any iterator. It stops at the first
// entry past a bound instead of stepping on, so blocks beyond the bounds are never read.
// Used only for tables of internal keys.
class BoundedIterator final : public InternalIterator {
 public:
  BoundedIterator(std::unique_ptr<InternalIterator> iter, const Comparator* ucmp,
                  std::optional<std::string> lower, std::optional<std::string> upper)
      : iter_(std::move(iter)), ucmp_(ucmp), lower_(std::move(lower)), upper_(std::move(upper)) {
    if (lower_) AppendInternalKey(&lower_key_, {*lower_, kMaxSequenceNumber, kValueTypeForSeek});
    if (upper_) AppendInternalKey(&upper_key_, {*upper_, kMaxSequenceNumber, kValueTypeForSeek});
  }

  bool Valid() const override { return iter_->Valid() && InBounds(); }
  void SeekToFirst() override {
    if (lower_) {
      iter_->Seek(lower_key_);
    } else {
      iter_->SeekToFirst();
    }
  }
  void SeekToLast() override {
    if (upper_) {
      iter_->Seek(upper_key_);  // the first entry at or past upper: step back from it
      if (iter_->Valid()) {
        iter_->Prev();
      } else if (iter_->status().ok()) {
        iter_->SeekToLast();
      }
    } else {
      iter_->SeekToLast();
    }
  }
  void Seek(std::string_view target) override {
    if (lower_ && target.size() >= 8 && ucmp_->Compare(ExtractUserKey(target), *lower_) < 0) {
      iter_->Seek(lower_key_);
    } else {
      iter_->Seek(target);
    }
  }
  void Prefetch(std::string_view target) override {
    if (lower_ && target.size() >= 8 && ucmp_->Compare(ExtractUserKey(target), *lower_) < 0) {
      iter_->Prefetch(lower_key_);
    } else {
      iter_->Prefetch(target);
    }
  }
  void Next() override { iter_->Next(); }
  void Prev() override { iter_->Prev(); }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  Status status() const override { return iter_->status(); }

 private:
  bool InBounds() const {
    std::string_view k = iter_->key();
    if (k.size() < 8) return true;  // malformed: let the reader report it
    std::string_view user_key = ExtractUserKey(k);
    return !(upper_ && ucmp_->Compare(user_key, *upper_) >= 0) &&
           !(lower_ && ucmp_->Compare(user_key, *lower_) < 0);
  }

  std::unique_ptr<InternalIterator> iter_;
  const Comparator* const ucmp_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;
  std::string lower_key_;
  std::string upper_key_;
};

}  // namespace

std::unique_ptr<InternalIterator> Table::NewIterator(const TableReadOptions& options) const {
  std::unique_ptr<InternalIterator> iter = std::make_unique<TableIterator>(rep_.get(), options);
  if (options.lower_bound || options.upper_bound) {
    if (auto* icmp = dynamic_cast<const InternalKeyComparator*>(rep_->options.comparator)) {
      return std::make_unique<BoundedIterator>(std::move(iter), icmp->user_comparator(),
                                               options.lower_bound, options.upper_bound);
    }
  }
  return iter;
}

}  // namespace jadedb::lsm
