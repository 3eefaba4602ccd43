#include "lsm/version/level_iterator.h"

#include "lsm/sstable/two_level_iterator.h"
#include "lsm/version/version.h"
#include "util/coding.h"

namespace jadedb::lsm {
namespace {

// Walks a sorted file list. Positions are indices; files_->size() means "not valid".
class LevelFileNumIterator final : public InternalIterator {
 public:
  LevelFileNumIterator(const InternalKeyComparator* icmp, const std::vector<FileMetaData*>* files)
      : icmp_(icmp), files_(files), index_(files->size()) {}
  // Iterates over its own copy of a file list (a bounded subset).
  LevelFileNumIterator(const InternalKeyComparator* icmp, std::vector<FileMetaData*> owned)
      : icmp_(icmp), owned_(std::move(owned)), files_(&owned_), index_(owned_.size()) {}

  bool Valid() const override { return index_ < files_->size(); }
  void SeekToFirst() override { index_ = 0; }
  void SeekToLast() override { index_ = files_->empty() ? 0 : files_->size() - 1; }
  void Seek(std::string_view target) override {
    index_ = static_cast<size_t>(FindFile(*icmp_, *files_, target));
  }
  void Next() override { index_++; }
  void Prev() override {
    // Stepping back from the first file leaves the iterator invalid.
    index_ = index_ == 0 ? files_->size() : index_ - 1;
  }
  std::string_view key() const override { return (*files_)[index_]->largest.Encode(); }
  std::string_view value() const override {
    // Encoded in place: 16 bytes is past std::string's inline capacity, so a string would
    // allocate on every file switch and every Seek.
    const FileMetaData* f = (*files_)[index_];
    EncodeFixed64(value_buf_, f->number);
    EncodeFixed64(value_buf_ + 8, f->file_size);
    return std::string_view(value_buf_, sizeof(value_buf_));
  }
  Status status() const override { return Status::OK(); }

 private:
  const InternalKeyComparator* const icmp_;
  const std::vector<FileMetaData*> owned_;
  const std::vector<FileMetaData*>* const files_;
  size_t index_;
  mutable char value_buf_[16];
};

}  // namespace

std::string EncodeFileIndexValue(uint64_t number, uint64_t file_size) {
  std::string v;
  PutFixed64(&v, number);
  PutFixed64(&v, file_size);
  return v;
}

bool DecodeFileIndexValue(std::string_view value, uint64_t* number, uint64_t* file_size) {
  if (value.size() != 16) return false;
  *number = DecodeFixed64(value.data());
  *file_size = DecodeFixed64(value.data() + 8);
  return true;
}

std::unique_ptr<InternalIterator> NewLevelFileNumIterator(const InternalKeyComparator* icmp,
                                                          const std::vector<FileMetaData*>* files) {
  return std::make_unique<LevelFileNumIterator>(icmp, files);
}

bool FileOutsideBounds(const Comparator* ucmp, const FileMetaData* f,
                       const std::optional<std::string>& lower,
                       const std::optional<std::string>& upper) {
  return (lower && ucmp->Compare(f->largest.user_key(), *lower) < 0) ||
         (upper && ucmp->Compare(f->smallest.user_key(), *upper) >= 0);
}

std::unique_ptr<InternalIterator> NewConcatenatingIterator(
    TableCache* table_cache, const InternalKeyComparator* icmp, const TableReadOptions& options,
    const std::vector<FileMetaData*>* files) {
  std::unique_ptr<InternalIterator> file_iter;
  if (options.lower_bound || options.upper_bound) {
    // Files wholly outside the bounds are left out, so they are never opened.
    std::vector<FileMetaData*> inside;
    for (FileMetaData* f : *files) {
      if (!FileOutsideBounds(icmp->user_comparator(), f, options.lower_bound,
                             options.upper_bound)) {
        inside.push_back(f);
      }
    }
    file_iter = std::make_unique<LevelFileNumIterator>(icmp, std::move(inside));
  } else {
    file_iter = NewLevelFileNumIterator(icmp, files);
  }
  return NewTwoLevelIterator(
      std::move(file_iter),
      [table_cache, options](std::string_view index_value) -> std::unique_ptr<InternalIterator> {
        uint64_t number, file_size;
        if (!DecodeFileIndexValue(index_value, &number, &file_size)) {
          return NewErrorIterator(Status::Corruption("level iterator: file entry is not 16 bytes"));
        }
        return table_cache->NewIterator(options, number, file_size);
      });
}

}  // namespace jadedb::lsm
