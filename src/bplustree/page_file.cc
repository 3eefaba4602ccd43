#include "bplustree/page_file.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "util/coding.h"

namespace jadedb::bplustree {
namespace {
// Meta page payload offsets (relative to PayloadBegin()).
constexpr size_t kMPageSize = 0, kMFormat = 4, kMSegBytes = 8, kMSeq = 16, kMRoot = 24,
                 kMFreeHead = 32, kMPageCount = 40, kMCkptLsn = 48, kMRedoStart = 56,
                 kMNextMtr = 64, kMFreeCount = 72;
}  // namespace

std::string PageFile::SegmentName(uint64_t segment) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "data-%06llu.jdb", static_cast<unsigned long long>(segment));
  return buf;
}

PageFile::PageFile(Env* env, std::string dir, uint32_t page_size, uint64_t segment_file_bytes,
                   bool map_reads)
    : env_(env),
      dir_(std::move(dir)),
      page_size_(page_size),
      pages_per_segment_(std::max<uint64_t>(segment_file_bytes / page_size, 2)),
      fast_files_(new std::atomic<RandomRWFile*>[kFastSegments]),
      map_reads_(map_reads),
      fast_maps_(new std::atomic<SegmentMap*>[kFastSegments]) {
  for (size_t i = 0; i < kFastSegments; i++) {
    fast_files_[i].store(nullptr);
    fast_maps_[i].store(nullptr);
  }
}

std::string PageFile::PagePath(PageId id) const {
  return dir_ + "/" + SegmentName(id / pages_per_segment_);
}

Status PageFile::GetFile(uint64_t segment, RandomRWFile** file) const {
  if (segment < kFastSegments) {
    RandomRWFile* f = fast_files_[segment].load(std::memory_order_acquire);
    if (f != nullptr) {
      *file = f;
      return Status::OK();
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  if (segment >= files_.size()) files_.resize(segment + 1);
  if (!files_[segment]) {
    const std::string path = dir_ + "/" + SegmentName(segment);
    const bool created = !env_->FileExists(path);
    Status s = map_reads_ ? env_->NewRandomRWFileMaybeMapped(path, pages_per_segment_ * page_size_,
                                                             &files_[segment])
                          : env_->NewRandomRWFile(path, &files_[segment]);
    if (!s.ok()) return s;
    if (files_[segment]->ReadMapping() != nullptr) AddSegmentMap(segment, files_[segment].get());
    // The new name must reach the disk before pages written into the file count as durable.
    if (created) dir_unsynced_ = true;
  }
  *file = files_[segment].get();
  if (segment < kFastSegments) fast_files_[segment].store(*file, std::memory_order_release);
  return Status::OK();
}

Status PageFile::ReadPageRaw(PageId id, char* buf, bool* exists) const {
  RandomRWFile* f;
  Status s = GetFile(id / pages_per_segment_, &f);
  if (!s.ok()) return s;
  std::string_view got;
  s = f->Read(PageOffset(id), page_size_, &got, buf);
  if (!s.ok()) return s;
  if (got.data() != buf) std::memmove(buf, got.data(), got.size());
  *exists = !got.empty();
  if (got.size() < page_size_) std::memset(buf + got.size(), 0, page_size_ - got.size());
  return Status::OK();
}

Status PageFile::ReadPage(PageId id, char* buf, MappedPage* mapped) const {
  bool exists = false;
  if (mapped != nullptr) {
    mapped->data = nullptr;
    MappedPage m;
    if (BeginMappedRead(id, &m)) {
      std::memcpy(buf, m.data, page_size_);
      if (EndMappedRead(id, m)) {
        *mapped = m;
        if (m.verified) return Status::OK();
        exists = true;
      }
    }
  }
  if (!exists) {
    Status s = ReadPageRaw(id, buf, &exists);
    if (!s.ok()) return s;
  }
  if (!exists || IsZeroPage(buf, page_size_)) {
    return Status::NotFound("page " + std::to_string(id) + " was never written in " + PagePath(id));
  }
  // The file name goes into the message only on failure: building it costs more than
  // checking a page that is fine.
  static const std::string kNoName;
  Status s = VerifyPage(buf, page_size_, id, kNoName, 0);
  if (!s.ok()) s = VerifyPage(buf, page_size_, id, PagePath(id), PageOffset(id));
  return s;
}

Status PageFile::WritePage(PageId id, const char* buf) {
  const uint64_t seg = id / pages_per_segment_;
  RandomRWFile* f;
  Status s = GetFile(seg, &f);
  if (!s.ok()) return s;
  SegmentMap* map = MapOf(seg);
  if (map != nullptr) BeginMappedWrite(map, id);
  s = f->Write(PageOffset(id), std::string_view(buf, page_size_));
  if (map != nullptr) EndMappedWrite(map, id, s.ok());
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> l(mu_);
  unsynced_.insert(seg);
  return Status::OK();
}

Status PageFile::Sync() {
  std::lock_guard<std::mutex> serial(sync_mu_);
  std::set<uint64_t> segs;
  bool sync_dir;
  {
    std::lock_guard<std::mutex> l(mu_);
    segs.swap(unsynced_);
    sync_dir = dir_unsynced_;
    dir_unsynced_ = false;
  }
  if (sync_dir) {
    Status s = env_->SyncDir(dir_);
    if (!s.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      unsynced_.insert(segs.begin(), segs.end());
      dir_unsynced_ = true;
      return s;
    }
  }
  for (uint64_t seg : segs) {
    RandomRWFile* f;
    Status s = GetFile(seg, &f);
    if (s.ok()) s = f->Sync();
    if (!s.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      unsynced_.insert(segs.begin(), segs.end());
      return s;
    }
  }
  return Status::OK();
}

void EncodeMetaPage(const MetaPage& meta, PageId copy, char* page) {
  InitPage(page, meta.page_size, copy, PageType::kMeta, 0, meta.checkpoint_lsn);
  char* p = page + PayloadBegin();
  EncodeFixed32(p + kMPageSize, meta.page_size);
  EncodeFixed32(p + kMFormat, meta.format_version);
  EncodeFixed64(p + kMSegBytes, meta.segment_file_bytes);
  EncodeFixed64(p + kMSeq, meta.sequence);
  EncodeFixed64(p + kMRoot, meta.root);
  EncodeFixed64(p + kMFreeHead, meta.free_head);
  EncodeFixed64(p + kMPageCount, meta.page_count);
  EncodeFixed64(p + kMCkptLsn, meta.checkpoint_lsn);
  EncodeFixed64(p + kMRedoStart, meta.redo_start);
  EncodeFixed64(p + kMNextMtr, meta.next_mtr_id);
  EncodeFixed64(p + kMFreeCount, meta.free_count);
  SealPage(page, meta.page_size);
}

Status DecodeMetaPage(const char* page, size_t page_size, PageId copy, MetaPage* meta) {
  Status s = VerifyPage(page, page_size, copy, PageFile::SegmentName(0), copy * page_size);
  if (!s.ok()) return s;
  if (PageView(page, page_size).type() != PageType::kMeta) {
    return Status::Corruption("meta page " + std::to_string(copy) + " has the wrong type");
  }
  const char* p = page + PayloadBegin();
  MetaPage m;
  m.page_size = DecodeFixed32(p + kMPageSize);
  m.format_version = DecodeFixed32(p + kMFormat);
  m.segment_file_bytes = DecodeFixed64(p + kMSegBytes);
  m.sequence = DecodeFixed64(p + kMSeq);
  m.root = DecodeFixed64(p + kMRoot);
  m.free_head = DecodeFixed64(p + kMFreeHead);
  m.page_count = DecodeFixed64(p + kMPageCount);
  m.checkpoint_lsn = DecodeFixed64(p + kMCkptLsn);
  m.redo_start = DecodeFixed64(p + kMRedoStart);
  m.next_mtr_id = DecodeFixed64(p + kMNextMtr);
  m.free_count = DecodeFixed64(p + kMFreeCount);
  if (m.page_size != page_size) {
    return Status::Corruption("meta page " + std::to_string(copy) + " records page size " +
                              std::to_string(m.page_size) + ", read as " +
                              std::to_string(page_size));
  }
  if (m.format_version != kMetaFormatVersion) {
    return Status::NotSupported("meta format version " + std::to_string(m.format_version));
  }
  if (m.segment_file_bytes < 2ull * page_size || m.segment_file_bytes % page_size != 0 ||
      m.page_count < kFirstDataPageId) {
    return Status::Corruption("meta page " + std::to_string(copy) + " has invalid sizes");
  }
  *meta = m;
  return Status::OK();
}

Status PageFile::ReadMeta(Env* env, const std::string& dir, MetaPage* meta) {
  const std::string path = dir + "/" + SegmentName(0);
  if (!env->FileExists(path)) return Status::NotFound("no meta page in " + dir);
  std::unique_ptr<RandomAccessFile> f;
  Status s = env->NewRandomAccessFile(path, &f);
  if (!s.ok()) return s;
  std::string buf(2 * kMaxPageSize, '\0');
  std::string_view got;
  s = f->Read(0, buf.size(), &got, buf.data());
  if (!s.ok()) return s;
  if (got.data() != buf.data()) std::memmove(buf.data(), got.data(), got.size());
  std::memset(buf.data() + got.size(), 0, buf.size() - got.size());
  if (IsZeroPage(buf.data(), buf.size())) return Status::NotFound("no meta page in " + dir);
  // The page size is recorded in the meta page itself: try every legal size.
  bool found = false;
  Status first_error;
  for (uint32_t ps = kMinPageSize; ps <= kMaxPageSize; ps *= 2) {
    for (PageId copy : {kMetaPageId0, kMetaPageId1}) {
      MetaPage m;
      Status ds = DecodeMetaPage(buf.data() + copy * ps, ps, copy, &m);
      if (ds.ok()) {
        if (!found || m.sequence > meta->sequence) *meta = m;
        found = true;
      } else if (first_error.ok() && ps == kDefaultPageSize) {
        first_error = ds;
      }
    }
  }
  if (!found) {
    return Status::Corruption("no valid meta page in " + path +
                              (first_error.ok() ? "" : " (" + first_error.ToString() + ")"));
  }
  return Status::OK();
}

Status PageFile::WriteMeta(const MetaPage& meta) {
  std::string page(page_size_, '\0');
  const PageId copy = meta.sequence % 2;
  EncodeMetaPage(meta, copy, page.data());
  Status s = WritePage(copy, page.data());
  if (s.ok()) s = Sync();
  return s;
}

}  // namespace jadedb::bplustree
