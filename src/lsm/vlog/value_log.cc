#include "lsm/vlog/value_log.h"

#include <algorithm>

#include "lsm/base/filename.h"
#include "lsm/vlog/garbage_counts.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::vlog {
namespace {

// A record length comes from a value pointer or a record header, which damage can turn into
// anything up to 4 GiB. Records up to this size are simply read (the read comes back short);
// for a larger one the file is first asked for the record's last byte, so a damaged length
// costs a 1-byte read instead of a giant zero-filled buffer.
constexpr uint64_t kProbeAboveBytes = uint64_t{1} << 20;

// False when a record of `size` bytes at `offset` cannot lie within the file (its last byte is
// missing, or reading it fails).
bool MayFit(const RandomAccessFile& file, uint64_t offset, uint64_t size) {
  if (size <= kProbeAboveBytes) return true;
  char c;
  std::string_view last;
  return file.Read(offset + size - 1, 1, &last, &c).ok() && last.size() == 1;
}

}  // namespace

Status SegmentReader::Open(Env* env, const std::string& fname, uint64_t number,
                           std::shared_ptr<SegmentReader>* result) {
  std::unique_ptr<RandomAccessFile> file;
  Status s = env->NewRandomAccessFile(fname, &file);
  if (!s.ok()) return s;
  char buf[kSegmentHeaderSize];
  std::string_view header;
  s = file->Read(0, kSegmentHeaderSize, &header, buf);
  if (!s.ok()) return s;
  s = CheckSegmentHeader(header, fname);
  if (!s.ok()) return s;
  result->reset(new SegmentReader(fname, number, std::move(file)));
  return Status::OK();
}

Status SegmentReader::Read(const ValuePointer& p, const std::string_view* expected_key,
                           std::string* key, std::string* value) const {
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption(fname_, "offset " + std::to_string(p.offset) + ": " + what);
  };
  if (p.offset < kSegmentHeaderSize || p.size < kRecordHeaderSize) {
    return corrupt("bad value pointer");
  }
  if (!MayFit(*file_, p.offset, p.size)) {
    return corrupt("record beyond the end of the segment");
  }
  std::string scratch(p.size, '\0');
  std::string_view data;
  Status s = file_->Read(p.offset, p.size, &data, scratch.data());
  if (!s.ok()) return s;
  if (data.size() != p.size) return corrupt("record beyond the end of the segment");
  std::string_view k, v;
  s = DecodeRecord(data, fname_, p.offset, &k, &v);
  if (!s.ok()) return s;
  if (expected_key != nullptr && k != *expected_key) {
    return corrupt("record belongs to another key");
  }
  if (key != nullptr) key->assign(k);
  if (value != nullptr) value->assign(v);
  return Status::OK();
}

Status SegmentReader::Scan(
    const std::function<bool(const ValuePointer&, std::string_view, std::string_view)>& fn,
    bool verify, uint64_t* valid_end) const {
  uint64_t offset = kSegmentHeaderSize;
  std::string scratch;
  char hbuf[kRecordHeaderSize];
  Status s;
  while (true) {
    std::string_view header;
    s = file_->Read(offset, kRecordHeaderSize, &header, hbuf);
    if (!s.ok() || header.size() < kRecordHeaderSize) break;
    const uint64_t size = kRecordHeaderSize + uint64_t{DecodeFixed32(header.data() + 4)} +
                          DecodeFixed32(header.data() + 8);
    if (size > UINT32_MAX) break;  // garbage lengths: a torn or zero-filled tail
    ValuePointer p{number_, offset, static_cast<uint32_t>(size)};
    if (!verify) {
      // The record must end within the file, else it is a torn tail (checked before the key
      // buffer is sized from a length that may be garbage).
      std::string_view last;
      char c;
      s = file_->Read(offset + size - 1, 1, &last, &c);
      if (!s.ok() || last.size() != 1) break;
      const uint32_t klen = DecodeFixed32(header.data() + 4);
      scratch.resize(klen);
      std::string_view k;
      s = file_->Read(offset + kRecordHeaderSize, klen, &k, scratch.data());
      if (!s.ok() || k.size() != klen) break;
      offset += size;
      if (!fn(p, k, std::string_view())) break;
      continue;
    }
    if (!MayFit(*file_, offset, size)) break;
    scratch.resize(size);
    std::string_view data;
    s = file_->Read(offset, size, &data, scratch.data());
    if (!s.ok() || data.size() != size) break;
    std::string_view k, v;
    if (!DecodeRecord(data, fname_, offset, &k, &v).ok()) break;
    offset += size;
    if (!fn(p, k, v)) break;
  }
  if (valid_end != nullptr) *valid_end = offset;
  return s;
}

Status SegmentReader::Verify(uint64_t file_size, uint64_t* records, uint64_t* torn_bytes) const {
  *records = 0;
  *torn_bytes = 0;
  char hbuf[kSegmentHeaderSize];  // the segment header, then each record header
  static_assert(kSegmentHeaderSize >= kRecordHeaderSize);
  std::string_view header;
  Status s = file_->Read(0, kSegmentHeaderSize, &header, hbuf);
  if (!s.ok()) return s;
  s = CheckSegmentHeader(header, fname_);
  if (!s.ok()) return s;
  uint64_t offset = kSegmentHeaderSize;
  std::string scratch;
  while (offset < file_size) {
    const uint64_t left = file_size - offset;
    if (left < kRecordHeaderSize) {
      *torn_bytes = left;
      break;
    }
    s = file_->Read(offset, kRecordHeaderSize, &header, hbuf);
    if (!s.ok()) return s;
    if (header.size() < kRecordHeaderSize) {
      return Status::Corruption(fname_, "offset " + std::to_string(offset) + ": short read");
    }
    const uint64_t size = kRecordHeaderSize + uint64_t{DecodeFixed32(header.data() + 4)} +
                          DecodeFixed32(header.data() + 8);
    if (size > left) {
      *torn_bytes = left;
      break;
    }
    scratch.resize(size);
    std::string_view data;
    s = file_->Read(offset, size, &data, scratch.data());
    if (!s.ok()) return s;
    std::string_view k, v;
    s = DecodeRecord(data, fname_, offset, &k, &v);
    if (!s.ok()) {
      bool valid_after = false;
      Status scan = AnyValidRecordIn(offset + 1, file_size, &valid_after);
      if (!scan.ok()) return scan;
      if (valid_after) return s;
      *torn_bytes = left;
      break;
    }
    (*records)++;
    offset += size;
  }
  return Status::OK();
}

Status SegmentReader::AnyValidRecordIn(uint64_t from, uint64_t file_size, bool* found) const {
  *found = false;
  // The rest of the segment in chunks; each position is tried as a record start. Random bytes
  // almost never give lengths that fit and never a matching CRC, so a garbage tail costs one
  // header look per byte, and a zeroed one one 8-byte CRC per byte.
  constexpr uint64_t kChunk = 1 << 20;
  std::string chunk, record;
  for (uint64_t base = from; base < file_size && !*found; base += kChunk) {
    const uint64_t want = std::min<uint64_t>(kChunk + kRecordHeaderSize, file_size - base);
    chunk.resize(want);
    std::string_view data;
    Status s = file_->Read(base, want, &data, chunk.data());
    if (!s.ok()) return s;
    const uint64_t starts = std::min<uint64_t>(kChunk, data.size());
    for (uint64_t i = 0; i < starts && !*found; i++) {
      if (data.size() - i < kRecordHeaderSize) break;
      const char* h = data.data() + i;
      const uint64_t size =
          kRecordHeaderSize + uint64_t{DecodeFixed32(h + 4)} + DecodeFixed32(h + 8);
      const uint64_t at = base + i;
      if (size > file_size - at) continue;
      std::string_view candidate;
      if (i + size <= data.size()) {
        candidate = data.substr(i, size);
      } else {
        record.resize(size);
        s = file_->Read(at, size, &candidate, record.data());
        if (!s.ok()) return s;
        if (candidate.size() != size) continue;
      }
      const uint32_t expected = crc32c::Unmask(DecodeFixed32(candidate.data()));
      *found = crc32c::Value(candidate.data() + 4, candidate.size() - 4) == expected;
    }
  }
  return Status::OK();
}

ValueLog::ValueLog(Env* env, std::string dbname, uint64_t segment_size,
                   std::function<uint64_t()> new_file_number)
    : env_(env),
      dbname_(std::move(dbname)),
      segment_size_(segment_size),
      new_file_number_(std::move(new_file_number)),
      segments_(std::make_shared<SegmentMap>()) {}

ValueLog::~ValueLog() {
  for (auto& f : unsynced_sealed_) f->Close();
  if (active_file_ != nullptr) active_file_->Close();
}

Status ValueLog::Open(const std::vector<std::string>& names, uint64_t* max_number) {
  auto map = std::make_shared<SegmentMap>();
  *max_number = 0;
  uint64_t bytes = 0;
  std::map<uint64_t, uint64_t> sizes;
  for (const std::string& name : names) {
    uint64_t number;
    FileType type;
    if (!ParseFileName(name, &number, &type) || type != FileType::kValueLogFile) continue;
    if (number > *max_number) *max_number = number;
    const std::string fname = ValueLogFileName(dbname_, number);
    uint64_t size = 0;
    Status s = env_->GetFileSize(fname, &size);
    if (!s.ok()) return s;
    if (size < kSegmentHeaderSize) {
      // Created but its header never fully written: no pointer can refer to it.
      env_->RemoveFile(fname);
      continue;
    }
    std::shared_ptr<SegmentReader> reader;
    s = SegmentReader::Open(env_, fname, number, &reader);
    if (!s.ok()) return s;
    (*map)[number] = std::move(reader);
    sizes[number] = size;
    bytes += size;
  }
  std::lock_guard<std::mutex> l(mu_);
  usage_.clear();
  for (const auto& [number, size] : sizes) usage_[number].size = size;
  segments_ = std::move(map);
  stats_.segments = segments_->size();
  stats_.bytes = bytes;
  return Status::OK();
}

Status ValueLog::NewSegment() {
  const uint64_t number = new_file_number_();
  const std::string fname = ValueLogFileName(dbname_, number);
  std::unique_ptr<WritableFile> file;
  Status s = env_->NewWritableFile(fname, &file);
  std::string header;
  AppendSegmentHeader(&header);
  if (s.ok()) s = file->Append(header);
  if (s.ok()) s = file->Sync();
  // The directory entry must be durable before any WAL record points into the segment: a
  // missing segment at recovery means "deleted by GC", never "lost".
  if (s.ok()) s = env_->SyncDir(dbname_);
  std::shared_ptr<SegmentReader> reader;
  if (s.ok()) s = SegmentReader::Open(env_, fname, number, &reader);
  if (!s.ok()) {
    if (file != nullptr) file->Close();
    env_->RemoveFile(fname);
    return s;
  }
  if (active_file_ != nullptr) {
    if (active_broken_) {
      active_file_->Close();
    } else {
      unsynced_sealed_.push_back(std::move(active_file_));
    }
  }
  active_file_ = std::move(file);
  active_size_ = header.size();
  active_broken_ = false;
  std::lock_guard<std::mutex> l(mu_);
  auto map = std::make_shared<SegmentMap>(*segments_);
  (*map)[number] = std::move(reader);
  segments_ = std::move(map);
  active_number_ = number;
  usage_[number].size = header.size();
  stats_.segments = segments_->size();
  stats_.bytes += header.size();
  return Status::OK();
}

Status ValueLog::AddRecords(
    const std::vector<std::pair<std::string_view, std::string_view>>& records, bool sync,
    std::vector<ValuePointer>* pointers) {
  pointers->clear();
  if (records.empty()) return Status::OK();
  if (active_file_ == nullptr || active_broken_ || active_size_ >= segment_size_) {
    Status s = NewSegment();
    if (!s.ok()) return s;
  }
  if (sync) {
    Status s = SyncSealed();
    if (!s.ok()) return s;
  }
  uint64_t number;
  {
    std::lock_guard<std::mutex> l(mu_);
    number = active_number_;
  }
  buffer_.clear();
  pointers->reserve(records.size());
  for (const auto& [key, value] : records) {
    const uint64_t offset = active_size_ + buffer_.size();
    const size_t size = AppendRecord(&buffer_, key, value);
    pointers->push_back(ValuePointer{number, offset, static_cast<uint32_t>(size)});
  }
  Status s = active_file_->Append(buffer_);
  if (s.ok()) s = active_file_->Flush();
  if (s.ok() && sync) s = active_file_->Sync();
  if (!s.ok()) {
    active_broken_ = true;
    return s;
  }
  active_size_ += buffer_.size();
  std::lock_guard<std::mutex> l(mu_);
  usage_[number].size = active_size_;
  stats_.bytes += buffer_.size();
  stats_.bytes_appended += buffer_.size();
  stats_.records_appended += records.size();
  return Status::OK();
}

Status ValueLog::SyncSealed() {
  while (!unsynced_sealed_.empty()) {
    Status s = unsynced_sealed_.back()->Sync();
    if (!s.ok()) return s;
    unsynced_sealed_.back()->Close();
    unsynced_sealed_.pop_back();
  }
  return Status::OK();
}

Status ValueLog::Sync() {
  Status s = SyncSealed();
  if (!s.ok() || active_file_ == nullptr || active_broken_) return s;
  return active_file_->Sync();
}

Status ValueLog::Read(const ValuePointer& p, std::string_view key, std::string* value) const {
  std::shared_ptr<SegmentReader> reader = Segment(p.file);
  if (reader == nullptr) {
    return Status::NotFound(ValueLogFileName(dbname_, p.file), "value-log segment deleted");
  }
  return reader->Read(p, &key, nullptr, value);
}

std::shared_ptr<const SegmentMap> ValueLog::Pin() const {
  std::lock_guard<std::mutex> l(mu_);
  return segments_;
}

std::vector<uint64_t> ValueLog::SealedSegments() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<uint64_t> result;
  for (const auto& [number, reader] : *segments_) {
    if (number != active_number_) result.push_back(number);
  }
  return result;
}

std::shared_ptr<SegmentReader> ValueLog::Segment(uint64_t number) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = segments_->find(number);
  return it == segments_->end() ? nullptr : it->second;
}

Status ValueLog::RemoveSegment(uint64_t number, uint64_t* freed) {
  const std::string fname = ValueLogFileName(dbname_, number);
  uint64_t size = 0;
  env_->GetFileSize(fname, &size);  // for the stats only
  {
    std::lock_guard<std::mutex> l(mu_);
    if (number == active_number_) return Status::InvalidArgument(fname, "is the active segment");
    auto map = std::make_shared<SegmentMap>(*segments_);
    map->erase(number);
    segments_ = std::move(map);
    auto it = usage_.find(number);
    if (it != usage_.end()) {
      stats_.garbage_bytes -= std::min(stats_.garbage_bytes, it->second.garbage);
      if (it->second.garbage > 0) garbage_dirty_ = true;
      usage_.erase(it);
    }
    stats_.segments = segments_->size();
    stats_.bytes -= std::min(stats_.bytes, size);
  }
  if (freed != nullptr) *freed = size;
  return env_->RemoveFile(fname);
}

void ValueLog::AddGarbage(const std::map<uint64_t, uint64_t>& bytes_by_segment) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [number, bytes] : bytes_by_segment) {
    auto it = usage_.find(number);
    if (it == usage_.end()) continue;  // deleted by GC: its stale pointers are being dropped
    it->second.garbage += bytes;
    stats_.garbage_bytes += bytes;
    garbage_dirty_ = true;
  }
}

Status ValueLog::LoadGarbageCounts(std::string* note) {
  note->clear();
  const std::string fname = GarbageCountsFileName(dbname_);
  if (!env_->FileExists(fname)) return Status::OK();
  std::string data;
  Status s = ReadFileToString(env_, fname, &data);
  if (!s.ok()) return s;
  GarbageCounts counts;
  std::string why;
  if (!DecodeGarbageCounts(data, &counts, &why)) {
    *note = fname + ": " + why + "; value-log garbage counting starts over";
    return Status::OK();
  }
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [number, garbage] : counts) {
    auto it = usage_.find(number);
    if (it == usage_.end()) continue;  // deleted after the save
    SegmentUsage& u = it->second;
    const uint64_t records = u.size > kSegmentHeaderSize ? u.size - kSegmentHeaderSize : 0;
    const uint64_t add = std::min(garbage, records - std::min(records, u.garbage));
    u.garbage += add;
    stats_.garbage_bytes += add;
  }
  return Status::OK();
}

bool ValueLog::GarbageCountsDirty() const {
  std::lock_guard<std::mutex> l(mu_);
  return garbage_dirty_;
}

Status ValueLog::SaveGarbageCounts() {
  std::lock_guard<std::mutex> save(save_mu_);
  GarbageCounts counts;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!garbage_dirty_) return Status::OK();
    for (const auto& [number, u] : usage_) {
      if (u.garbage > 0) counts[number] = u.garbage;
    }
    garbage_dirty_ = false;
  }
  const std::string tmp = GarbageCountsTempFileName(dbname_);
  Status s = WriteStringToFile(env_, EncodeGarbageCounts(counts), tmp, /*sync=*/false);
  if (s.ok()) s = env_->RenameFile(tmp, GarbageCountsFileName(dbname_));
  if (!s.ok()) {
    env_->RemoveFile(tmp);
    std::lock_guard<std::mutex> l(mu_);
    garbage_dirty_ = true;  // try again at the next save
  }
  return s;
}

std::vector<GcCandidate> ValueLog::GcCandidates(double min_ratio) const {
  std::vector<GcCandidate> result;
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& [number, u] : usage_) {
    if (number == active_number_ || u.excluded || u.size <= kSegmentHeaderSize) continue;
    const double ratio =
        static_cast<double>(u.garbage) / static_cast<double>(u.size - kSegmentHeaderSize);
    if (ratio >= min_ratio) result.push_back(GcCandidate{number, ratio});
  }
  std::stable_sort(result.begin(), result.end(), [](const GcCandidate& a, const GcCandidate& b) {
    return a.garbage_ratio > b.garbage_ratio;
  });
  return result;
}

void ValueLog::ExcludeFromGc(uint64_t number) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = usage_.find(number);
  if (it != usage_.end()) it->second.excluded = true;
}

uint64_t ValueLog::ActiveSegment() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_number_;
}

ValueLogStats ValueLog::Stats() const {
  std::lock_guard<std::mutex> l(mu_);
  return stats_;
}

}  // namespace jadedb::lsm::vlog
