#include "bplustree/wal.h"

#include <algorithm>
#include <cstdio>

#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {

void EncodeRecord(const WalRecord& r, std::string* out) {
  const size_t start = out->size();
  out->resize(start + kWalRecordHeaderSize);
  EncodeWalRecordBody(r, out);
  char* h = out->data() + start;
  const size_t body_len = out->size() - start - kWalRecordHeaderSize;
  EncodeFixed32(h + 4, static_cast<uint32_t>(body_len));
  h[8] = static_cast<char>(r.type);
  EncodeFixed64(h + 9, r.lsn);
  EncodeFixed64(h + 17, r.txn_id);
  // The CRC covers type, lsn, txn and body.
  EncodeFixed32(h, crc32c::Mask(crc32c::Value(h + 8, out->size() - start - 8)));
}

bool ParseSegmentName(const std::string& name, uint64_t* number) {
  unsigned long long n;
  char tail[8];
  if (name.size() != 14 || std::sscanf(name.c_str(), "wal-%6llu.%3s", &n, tail) != 2 ||
      std::string(tail) != "log") {
    return false;
  }
  *number = n;
  return true;
}

}  // namespace

std::string Wal::SegmentName(uint64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "wal-%06llu.log", static_cast<unsigned long long>(number));
  return buf;
}

Wal::Wal(Env* env, std::string dir, uint64_t segment_bytes)
    : env_(env), dir_(std::move(dir)), segment_bytes_(segment_bytes) {}

Wal::~Wal() {
  if (file_) file_->Close();
}

Status Wal::Open(Env* env, const std::string& dir, uint64_t segment_bytes, uint64_t segment_number,
                 Lsn next_lsn, std::map<uint64_t, Lsn> known_segments,
                 std::unique_ptr<Wal>* result) {
  std::unique_ptr<Wal> wal(new Wal(env, dir, segment_bytes));
  wal->segments_ = std::move(known_segments);
  wal->next_lsn_ = next_lsn;
  wal->durable_lsn_ = next_lsn - 1;
  Status s = wal->OpenSegment(segment_number, next_lsn);
  if (!s.ok()) return s;
  *result = std::move(wal);
  return Status::OK();
}

Status Wal::OpenSegment(uint64_t number, Lsn first_lsn) {
  const std::string path = dir_ + "/" + SegmentName(number);
  std::unique_ptr<WritableFile> f;
  Status s = env_->NewWritableFile(path, &f);
  if (!s.ok()) return s;
  char h[kWalSegmentHeaderSize] = {};
  EncodeFixed32(h, kWalMagic);
  EncodeFixed32(h + 4, kWalVersion);
  EncodeFixed64(h + 8, number);
  EncodeFixed64(h + 16, first_lsn);
  EncodeFixed32(h + 28, crc32c::Mask(crc32c::Value(h, 28)));
  s = f->Append(std::string_view(h, sizeof(h)));
  if (s.ok()) s = f->Sync();
  if (s.ok()) s = env_->SyncDir(dir_);
  if (!s.ok()) return s;
  if (file_) file_->Close();
  file_ = std::move(f);
  segment_number_ = number;
  segment_size_ = kWalSegmentHeaderSize;
  std::lock_guard<std::mutex> l(mu_);
  segments_[number] = first_lsn;
  return Status::OK();
}

Status Wal::Append(std::vector<WalRecord>* records,
                   const std::function<void(Lsn first, Lsn last)>& under_lock) {
  std::lock_guard<std::mutex> l(mu_);
  if (!bg_error_.ok()) return bg_error_;
  const Lsn first = next_lsn_;
  const size_t before = buffer_.size();
  for (WalRecord& r : *records) {
    r.lsn = next_lsn_++;
    EncodeRecord(r, &buffer_);
  }
  bytes_appended_ += buffer_.size() - before;
  if (under_lock && !records->empty()) under_lock(first, next_lsn_ - 1);
  return Status::OK();
}

Status Wal::FlushTo(Lsn lsn) { return WriteOut(lsn, /*sync=*/true); }

Status Wal::WriteTo(Lsn lsn) { return WriteOut(lsn, /*sync=*/false); }

Status Wal::WriteOut(Lsn lsn, bool sync) {
  std::unique_lock<std::mutex> l(mu_);
  lsn = std::min(lsn, next_lsn_ - 1);
  while (true) {
    if (!bg_error_.ok()) return bg_error_;
    if ((sync ? durable_lsn_ : written_lsn_) >= lsn) return Status::OK();
    if (leader_active_) {
      cv_.wait(l);
      continue;
    }
    // Become the leader: write (and sync) everything buffered, for every waiter at once.
    leader_active_ = true;
    std::string batch;
    batch.swap(buffer_);
    const Lsn batch_last = next_lsn_ - 1;
    l.unlock();
    Status s;
    if (!batch.empty()) s = file_->Append(batch);
    if (s.ok()) s = file_->Flush();
    if (s.ok() && sync) s = file_->Sync();
    segment_size_ += batch.size();
    if (s.ok() && segment_size_ >= segment_bytes_) {
      // The old segment must be durable before records in the next one can be: recovery
      // reads segments in order and stops at the first gap.
      if (!sync) s = file_->Sync();
      if (s.ok()) s = OpenSegment(segment_number_ + 1, batch_last + 1);
      if (s.ok()) sync = true;  // everything up to batch_last is now durable
    }
    l.lock();
    leader_active_ = false;
    if (s.ok()) {
      written_lsn_ = std::max(written_lsn_, batch_last);
      if (sync) {
        durable_lsn_ = std::max(durable_lsn_, batch_last);
        syncs_++;
      }
    } else {
      bg_error_ = s;
    }
    cv_.notify_all();
  }
}

Status Wal::Sync() { return FlushTo(last_lsn()); }

Lsn Wal::last_lsn() const {
  std::lock_guard<std::mutex> l(mu_);
  return next_lsn_ - 1;
}
Lsn Wal::durable_lsn() const {
  std::lock_guard<std::mutex> l(mu_);
  return durable_lsn_;
}
uint64_t Wal::bytes_appended() const {
  std::lock_guard<std::mutex> l(mu_);
  return bytes_appended_;
}
uint64_t Wal::syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_;
}
size_t Wal::segment_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return segments_.size();
}

Status Wal::RemoveSegmentsBefore(Lsn lsn) {
  std::vector<uint64_t> doomed;
  std::vector<Lsn> doomed_first;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = segments_.begin(); it != segments_.end();) {
      auto next = std::next(it);
      if (next == segments_.end() || it->first == segment_number_ || next->second > lsn) break;
      doomed.push_back(it->first);
      doomed_first.push_back(it->second);
      it = segments_.erase(it);
    }
  }
  for (size_t i = 0; i < doomed.size(); i++) {
    Status s = env_->RemoveFile(dir_ + "/" + SegmentName(doomed[i]));
    if (!s.ok() && env_->FileExists(dir_ + "/" + SegmentName(doomed[i]))) {
      // Keep the segments not deleted on the books, so the next checkpoint tries again
      // instead of leaking them on disk forever. Nothing is lost meanwhile: they hold only
      // records older than the redo start, which recovery skips.
      std::lock_guard<std::mutex> l(mu_);
      for (size_t j = i; j < doomed.size(); j++) segments_.emplace(doomed[j], doomed_first[j]);
      return s;
    }
  }
  return Status::OK();
}

Status Wal::ReadLog(Env* env, const std::string& dir, Lsn from,
                    const std::function<Status(const WalRecord&)>& fn, Lsn* end_lsn,
                    uint64_t* last_segment, std::map<uint64_t, Lsn>* segments) {
  std::vector<std::string> names;
  Status s = env->GetChildren(dir, &names);
  if (!s.ok()) return s;
  std::vector<uint64_t> numbers;
  for (const std::string& n : names) {
    uint64_t num;
    if (ParseSegmentName(n, &num)) numbers.push_back(num);
  }
  std::sort(numbers.begin(), numbers.end());
  *last_segment = numbers.empty() ? 0 : numbers.back();
  segments->clear();

  // First pass: headers (so whole segments before `from` can be skipped). A segment torn at
  // creation is dropped: its header is synced before any record is appended, so one whose
  // header is bad holds no record when it is the newest (the crash came while creating it) or
  // is no longer than a header (the crash came then, and a later open started the next
  // segment after it). Any other bad header is corruption.
  std::vector<std::string> contents;
  std::vector<Lsn> firsts;
  std::vector<uint64_t> kept;  // the segment number of each entry of contents
  for (size_t i = 0; i < numbers.size(); i++) {
    const std::string path = dir + "/" + SegmentName(numbers[i]);
    std::string c;
    s = ReadFileToString(env, path, &c);
    if (!s.ok()) return s;
    if (c.size() < kWalSegmentHeaderSize || DecodeFixed32(c.data()) != kWalMagic ||
        crc32c::Unmask(DecodeFixed32(c.data() + 28)) != crc32c::Value(c.data(), 28)) {
      if (i + 1 == numbers.size() || c.size() <= kWalSegmentHeaderSize) continue;
      return Status::Corruption("bad WAL segment header in " + path);
    }
    if (DecodeFixed32(c.data() + 4) != kWalVersion) {
      return Status::NotSupported("WAL format version in " + path);
    }
    firsts.push_back(DecodeFixed64(c.data() + 16));
    (*segments)[numbers[i]] = firsts.back();
    kept.push_back(numbers[i]);
    contents.push_back(std::move(c));
  }

  Lsn expected = 0;  // next LSN we must see (0 until the first record read)
  *end_lsn = from > 0 ? from - 1 : 0;
  for (size_t i = 0; i < contents.size(); i++) {
    if (i + 1 < contents.size() && firsts[i + 1] <= from) continue;  // all before `from`
    const std::string path = dir + "/" + SegmentName(kept[i]);
    if (expected != 0 && firsts[i] != expected) {
      return Status::Corruption("WAL gap: " + path + " starts at LSN " + std::to_string(firsts[i]) +
                                ", expected " + std::to_string(expected));
    }
    if (expected == 0 && firsts[i] > from && from > 1) {
      return Status::Corruption("WAL segments before " + path + " are missing (need LSN " +
                                std::to_string(from) + ")");
    }
    expected = firsts[i];
    const std::string& c = contents[i];
    size_t off = kWalSegmentHeaderSize;
    while (off < c.size()) {
      bool good = c.size() - off >= kWalRecordHeaderSize;
      uint32_t len = 0;
      if (good) {
        len = DecodeFixed32(c.data() + off + 4);
        good = c.size() - off - kWalRecordHeaderSize >= len;
      }
      if (good) {
        const uint32_t crc = crc32c::Unmask(DecodeFixed32(c.data() + off));
        good = crc == crc32c::Value(c.data() + off + 8, kWalRecordHeaderSize - 8 + len);
      }
      WalRecord r;
      if (good) {
        r.type = static_cast<WalRecordType>(c[off + 8]);
        r.lsn = DecodeFixed64(c.data() + off + 9);
        r.txn_id = DecodeFixed64(c.data() + off + 17);
        good = r.lsn == expected;
      }
      if (!good) {
        // The end of the valid log. Only a later segment continuing at `expected` (one
        // recovery started after this torn tail) may follow.
        if (i + 1 < contents.size() && firsts[i + 1] != expected) {
          return Status::Corruption("bad WAL record in " + path + " at offset " +
                                    std::to_string(off));
        }
        break;
      }
      s = DecodeWalRecordBody(std::string_view(c.data() + off + kWalRecordHeaderSize, len), &r);
      if (!s.ok()) {
        return Status::Corruption(path + " at offset " + std::to_string(off) + ": " +
                                  std::string(s.message()));
      }
      off += kWalRecordHeaderSize + len;
      expected++;
      if (r.lsn >= from) {
        *end_lsn = r.lsn;
        s = fn(r);
        if (!s.ok()) return s;
      }
    }
  }
  return Status::OK();
}

}  // namespace jadedb::bplustree
