#include "lsm/db_iter.h"

#include <atomic>
#include <cstring>

namespace jadedb::lsm {
namespace {

// A per-thread xorshift generator for read sampling: cheap, and seeded per thread so
// concurrent iterators do not sample in lockstep.
uint64_t NextRandom() {
  thread_local uint64_t state = 0;
  if (state == 0) {
    static std::atomic<uint64_t> seed{0x9E3779B97F4A7C15ull};
    state = seed.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed) | 1;
  }
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// Bytes until the next read sample: uniform in [0, 2 * kReadBytesPeriod).
int64_t RandomReadBytesPeriod() {
  return static_cast<int64_t>(NextRandom() % (2 * static_cast<uint64_t>(kReadBytesPeriod)));
}

// A copy of a short key without std::string::assign's overhead: forward iteration copies the
// current user key on every Next (the entry it points into moves), so this is on the hot path.
class KeyBuffer {
 public:
  KeyBuffer() = default;
  KeyBuffer(const KeyBuffer&) = delete;
  KeyBuffer& operator=(const KeyBuffer&) = delete;
  void Set(std::string_view k) {
    if (k.size() <= sizeof(inline_)) {
      if (!k.empty()) std::memcpy(inline_, k.data(), k.size());
      data_ = inline_;
    } else {
      heap_.assign(k.data(), k.size());
      data_ = heap_.data();
    }
    size_ = k.size();
  }
  std::string_view view() const { return std::string_view(data_, size_); }

 private:
  char inline_[64];
  std::string heap_;
  const char* data_ = inline_;
  size_t size_ = 0;
};

// Invariants, as in LevelDB's DBIter:
// - forward direction: iter_ is positioned at the newest visible entry of key(), so key() and
//   value() come from iter_;
// - reverse direction: iter_ is positioned just before all entries of key(), whose key and
//   value are copied into saved_key_ / saved_value_.
class DBIter final : public Iterator {
 public:
  DBIter(const Comparator* cmp, std::unique_ptr<InternalIterator> iter, SequenceNumber seq,
         std::optional<std::string> lower, std::optional<std::string> upper,
         RangeTombstoneFragments tombstones, ReadSampler sampler)
      : user_comparator_(cmp),
        bytewise_(cmp == BytewiseComparator()),
        iter_(std::move(iter)),
        sequence_(seq),
        lower_(std::move(lower)),
        upper_(std::move(upper)),
        tombstones_(std::move(tombstones)),
        sampler_(std::move(sampler)),
        sampling_(static_cast<bool>(sampler_)),
        bytes_until_read_sample_(sampling_ ? RandomReadBytesPeriod() : 0) {}

  bool Valid() const override { return valid_; }

  std::string_view key() const override {
    return direction_ == kForward ? ExtractUserKey(iter_->key()) : std::string_view(saved_key_);
  }
  std::string_view value() const override {
    return direction_ == kForward ? iter_->value() : std::string_view(saved_value_);
  }
  Status status() const override { return status_.ok() ? iter_->status() : status_; }

  void Next() override;
  void Prev() override;
  void Seek(std::string_view target) override;
  void SeekForPrev(std::string_view target) override;
  void SeekToFirst() override;
  void SeekToLast() override;

 private:
  enum Direction { kForward, kReverse };

  // Every step of a scan compares user keys: skip the virtual call for the default order.
  int CompareUserKeys(std::string_view a, std::string_view b) const {
    return bytewise_ ? CompareBytewise(a, b) : user_comparator_->Compare(a, b);
  }
  // ParseInternalKey inlined: it runs once per entry a scan passes over.
  bool ParseKey(ParsedInternalKey* ikey) {
    const std::string_view k = iter_->key();
    if (k.size() >= 8) {
      if (sampling_) CountReadBytes(k);
      const uint64_t tag = ExtractTag(k);
      ikey->user_key = std::string_view(k.data(), k.size() - 8);
      ikey->sequence = tag >> 8;
      ikey->type = static_cast<ValueType>(tag & 0xff);
      if ((tag & 0xff) <= kTypeValuePointer) return true;
    }
    status_ = Status::Corruption("iterator", "malformed internal key");
    return false;
  }
  // Read sampling (see ReadSampler): every entry parsed counts, as in LevelDB, since
  // stepping over hidden versions costs the same reads as yielding live ones. The value's
  // size is estimated from the first entry and from each sampled one rather than read per
  // entry: iter_->value() is a virtual call through the merging iterator into the table's
  // cursor, and on every step it cost ~25 instructions (callgrind, ~4% of a Next in
  // seekrandom, more of a plain scan's step).
  void CountReadBytes(std::string_view internal_key) {
    if (value_bytes_estimate_ < 0) {
      value_bytes_estimate_ = static_cast<int64_t>(iter_->value().size());
    }
    bytes_until_read_sample_ -= static_cast<int64_t>(internal_key.size()) + value_bytes_estimate_;
    if (bytes_until_read_sample_ < 0) {
      value_bytes_estimate_ = static_cast<int64_t>(iter_->value().size());
      bytes_until_read_sample_ += RandomReadBytesPeriod();
      sampler_(ExtractUserKey(internal_key), 1, /*from_seek=*/false);
    }
  }
  void MaybeSampleSeek(std::string_view user_target) {
    if (sampling_ && NextRandom() % kSeekSamplePeriod == 0) {
      sampler_(user_target, kSeekSamplePeriod, /*from_seek=*/true);
    }
  }
  bool BeforeLower(std::string_view user_key) const {
    return lower_ && CompareUserKeys(user_key, *lower_) < 0;
  }
  bool AtOrAfterUpper(std::string_view user_key) const {
    return upper_ && CompareUserKeys(user_key, *upper_) >= 0;
  }
  // A deletion, or a version hidden by a range tombstone: either way it and every older
  // version of its key are invisible.
  bool IsDeleted(const ParsedInternalKey& ikey) const {
    return ikey.type == kTypeDeletion || tombstones_.Covers(ikey.user_key, ikey.sequence);
  }
  void Invalidate() {
    valid_ = false;
    saved_key_.clear();
    saved_value_.clear();
  }
  // Moves forward to the newest visible entry of a user key; when skipping, passes over the
  // entries of user keys <= skip_.
  void FindNextUserEntry(bool skipping);
  void FindPrevUserEntry();
  // Positions iter_ at the last entry whose user key is < (strict) or <= target, then scans
  // backwards for the newest visible entry.
  void SeekBackwardFrom(std::string_view target, bool inclusive);

  const Comparator* const user_comparator_;
  const bool bytewise_;  // user_comparator_ is BytewiseComparator()
  std::unique_ptr<InternalIterator> iter_;
  const SequenceNumber sequence_;
  const std::optional<std::string> lower_;
  const std::optional<std::string> upper_;
  const RangeTombstoneFragments tombstones_;
  const ReadSampler sampler_;
  const bool sampling_;  // sampler_ is set
  int64_t bytes_until_read_sample_;
  int64_t value_bytes_estimate_ = -1;  // -1: not measured yet

  Status status_;
  std::string saved_key_;    // reverse: current key; forward: scratch
  std::string saved_value_;  // reverse: current value
  KeyBuffer skip_;           // forward: the user key being skipped
  Direction direction_ = kForward;
  bool valid_ = false;
};

void DBIter::FindNextUserEntry(bool skipping) {
  // A hot key can have thousands of versions in a memtable; stepping over each costs a
  // comparison. After this many hidden versions in a row, seek past the key instead (as
  // RocksDB's max_sequential_skip_in_iterations does).
  constexpr int kMaxHiddenBeforeReseek = 8;
  int hidden_run = 0;
  // Loop until an entry visible at sequence_ and not deleted or shadowed is found.
  while (iter_->Valid()) {
    ParsedInternalKey ikey;
    if (ParseKey(&ikey) && ikey.sequence <= sequence_) {
      if (AtOrAfterUpper(ikey.user_key)) break;
      if (IsDeleted(ikey)) {
        // Every older entry of this key is hidden by the deletion.
        skip_.Set(ikey.user_key);
        skipping = true;
        hidden_run = 0;
      } else if (!skipping || CompareUserKeys(ikey.user_key, skip_.view()) > 0) {
        valid_ = true;
        saved_key_.clear();
        return;
      } else if (++hidden_run > kMaxHiddenBeforeReseek) {
        // (skip, sequence 0, lowest type) sorts after every entry of the skipped key.
        hidden_run = 0;
        std::string target;
        AppendInternalKey(&target, ParsedInternalKey(skip_.view(), 0, kTypeDeletion));
        iter_->Seek(target);
        continue;
      }
    } else if (!status_.ok()) {
      break;
    }
    iter_->Next();
  }
  Invalidate();
}

void DBIter::FindPrevUserEntry() {
  ValueType value_type = kTypeDeletion;
  while (iter_->Valid()) {
    ParsedInternalKey ikey;
    if (ParseKey(&ikey) && ikey.sequence <= sequence_) {
      if (value_type != kTypeDeletion && CompareUserKeys(ikey.user_key, saved_key_) < 0) {
        break;  // the newest visible entry of saved_key_ was a value: done
      }
      if (BeforeLower(ikey.user_key)) break;
      value_type = IsDeleted(ikey) ? kTypeDeletion : kTypeValue;
      if (value_type == kTypeDeletion) {
        saved_key_.clear();
        saved_value_.clear();
      } else {
        std::string_view raw = iter_->value();
        if (saved_value_.capacity() > raw.size() + (1 << 20)) std::string().swap(saved_value_);
        saved_key_.assign(ExtractUserKey(iter_->key()));
        saved_value_.assign(raw.data(), raw.size());
      }
    } else if (!status_.ok()) {
      value_type = kTypeDeletion;
      break;
    }
    iter_->Prev();
  }
  if (value_type == kTypeDeletion) {
    Invalidate();
    direction_ = kForward;
  } else {
    valid_ = true;
  }
}

void DBIter::Next() {
  if (!valid_) return;
  if (direction_ == kReverse) {
    direction_ = kForward;
    // iter_ is just before the entries of key(): step into them; skip_ gets key() so the
    // skipping code below passes over them.
    if (!iter_->Valid()) {
      // Back onto the first entry of key(). (Not SeekToFirst: with a lower bound the sources
      // may hide entries before it, so "invalid" does not mean "before everything".)
      std::string first;
      AppendInternalKey(&first,
                        ParsedInternalKey(saved_key_, kMaxSequenceNumber, kValueTypeForSeek));
      iter_->Seek(first);
    } else {
      iter_->Next();
    }
    skip_.Set(saved_key_);
  } else {
    skip_.Set(ExtractUserKey(iter_->key()));
    iter_->Next();
  }
  if (!iter_->Valid()) {
    Invalidate();
    return;
  }
  FindNextUserEntry(true);
}

void DBIter::Prev() {
  if (!valid_) return;
  if (direction_ == kForward) {
    // iter_ is at the current entry: scan back to the last entry of an earlier user key.
    saved_key_.assign(ExtractUserKey(iter_->key()));
    while (true) {
      iter_->Prev();
      if (!iter_->Valid()) {
        Invalidate();
        return;
      }
      if (CompareUserKeys(ExtractUserKey(iter_->key()), saved_key_) < 0) break;
    }
    direction_ = kReverse;
  }
  FindPrevUserEntry();
}

void DBIter::Seek(std::string_view target) {
  direction_ = kForward;
  saved_value_.clear();
  if (lower_ && CompareUserKeys(target, *lower_) < 0) target = *lower_;
  MaybeSampleSeek(target);
  saved_key_.clear();
  AppendInternalKey(&saved_key_, ParsedInternalKey(target, sequence_, kValueTypeForSeek));
  iter_->Seek(saved_key_);
  if (iter_->Valid()) {
    FindNextUserEntry(false);
  } else {
    Invalidate();
  }
}

void DBIter::SeekToFirst() {
  if (lower_) {
    Seek(*lower_);
    return;
  }
  direction_ = kForward;
  saved_value_.clear();
  iter_->SeekToFirst();
  if (iter_->Valid()) {
    FindNextUserEntry(false);
  } else {
    Invalidate();
  }
}

void DBIter::SeekBackwardFrom(std::string_view target, bool inclusive) {
  direction_ = kReverse;
  saved_key_.clear();
  saved_value_.clear();
  // (target, max sequence) sorts before every entry of target; (target, 0, deletion) after.
  std::string seek_key;
  if (inclusive) {
    AppendInternalKey(&seek_key, ParsedInternalKey(target, 0, kTypeDeletion));
  } else {
    AppendInternalKey(&seek_key, ParsedInternalKey(target, kMaxSequenceNumber, kValueTypeForSeek));
  }
  iter_->Seek(seek_key);
  if (inclusive) {
    // The only entry that can equal seek_key is itself an entry of target: step past it.
    while (iter_->Valid() && CompareUserKeys(ExtractUserKey(iter_->key()), target) == 0) {
      iter_->Next();
    }
  }
  if (iter_->Valid()) {
    iter_->Prev();
  } else {
    iter_->SeekToLast();
  }
  FindPrevUserEntry();
}

void DBIter::SeekToLast() {
  if (upper_) {
    SeekBackwardFrom(*upper_, /*inclusive=*/false);
    return;
  }
  direction_ = kReverse;
  saved_key_.clear();
  saved_value_.clear();
  iter_->SeekToLast();
  FindPrevUserEntry();
}

void DBIter::SeekForPrev(std::string_view target) {
  MaybeSampleSeek(target);
  if (upper_ && CompareUserKeys(target, *upper_) >= 0) {
    SeekBackwardFrom(*upper_, /*inclusive=*/false);
  } else {
    SeekBackwardFrom(target, /*inclusive=*/true);
  }
}

}  // namespace

std::unique_ptr<Iterator> NewDBIterator(const Comparator* user_comparator,
                                        std::unique_ptr<InternalIterator> internal,
                                        SequenceNumber sequence,
                                        std::optional<std::string> lower_bound,
                                        std::optional<std::string> upper_bound,
                                        RangeTombstoneFragments tombstones, ReadSampler sampler) {
  return std::make_unique<DBIter>(user_comparator, std::move(internal), sequence,
                                  std::move(lower_bound), std::move(upper_bound),
                                  std::move(tombstones), std::move(sampler));
}

}  // namespace jadedb::lsm
