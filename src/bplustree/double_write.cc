#include "bplustree/double_write.h"

#include "bplustree/page_file.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {
constexpr size_t kHeaderSize = 32;
}  // namespace

DoubleWrite::DoubleWrite(Env* env, std::string dir, uint32_t page_size)
    : env_(env), dir_(std::move(dir)), page_size_(page_size) {}

Status DoubleWrite::WriteBatch(const std::vector<std::pair<PageId, const char*>>& pages) {
  if (pages.size() > kDoubleWriteBatchPages) {
    return Status::InvalidArgument("double-write batch too large");
  }
  buf_.assign(kHeaderSize, '\0');
  EncodeFixed32(buf_.data(), kDoubleWriteMagic);
  EncodeFixed32(buf_.data() + 4, kDoubleWriteVersion);
  EncodeFixed32(buf_.data() + 8, page_size_);
  EncodeFixed32(buf_.data() + 12, static_cast<uint32_t>(pages.size()));
  EncodeFixed32(buf_.data() + 28, crc32c::Mask(crc32c::Value(buf_.data(), 28)));
  for (const auto& [id, data] : pages) buf_.append(data, page_size_);
  // Rewritten in place each batch (the previous batch's in-place writes are already synced):
  // one pwrite and one fdatasync on a file kept open. Recreating the file per batch (open
  // with O_TRUNC) made the file system free and reallocate its blocks and journal that on
  // every fsync. A longer earlier batch leaves stale copies past `count`; the header's count
  // bounds what Recover reads, and a stale copy is never applied over an intact page anyway.
  Status s;
  if (!file_) s = env_->NewRandomRWFile(path(), &file_);
  if (s.ok()) s = file_->Write(0, buf_);
  if (s.ok()) s = file_->Sync();
  // The file's name must be durable too before any in-place write relies on the copy: a power
  // loss would otherwise delete a newly created doublewrite.jdb and leave a torn page with
  // nothing to repair it from. Once per process (rewriting an existing file keeps its name).
  if (s.ok() && !name_durable_) {
    s = env_->SyncDir(dir_);
    name_durable_ = s.ok();
  }
  if (!s.ok()) file_.reset();  // reopen on the next batch
  return s;
}

Status DoubleWrite::Recover(PageFile* file, uint64_t* repaired) {
  *repaired = 0;
  if (!env_->FileExists(path())) return Status::OK();
  std::string data;
  Status s = ReadFileToString(env_, path(), &data);
  if (!s.ok()) return s;
  // A torn or empty header means the crash came while writing this file, before any of its
  // pages were written in place: nothing to repair.
  if (data.size() < kHeaderSize || DecodeFixed32(data.data()) != kDoubleWriteMagic ||
      crc32c::Unmask(DecodeFixed32(data.data() + 28)) != crc32c::Value(data.data(), 28)) {
    return Status::OK();
  }
  if (DecodeFixed32(data.data() + 4) != kDoubleWriteVersion) {
    return Status::NotSupported("double-write file version in " + path());
  }
  if (DecodeFixed32(data.data() + 8) != page_size_) return Status::OK();  // from another size
  const uint32_t count = DecodeFixed32(data.data() + 12);
  std::string page(page_size_, '\0');
  for (uint32_t i = 0; i < count; i++) {
    const size_t off = kHeaderSize + static_cast<size_t>(i) * page_size_;
    if (off + page_size_ > data.size()) break;
    const char* copy = data.data() + off;
    const PageId id = PageView(copy, page_size_).id();
    if (!VerifyPage(copy, page_size_, id, path(), off).ok()) continue;  // torn copy
    bool exists;
    s = file->ReadPageRaw(id, page.data(), &exists);
    if (!s.ok()) return s;
    if (exists &&
        VerifyPage(page.data(), page_size_, id, file->PagePath(id), file->PageOffset(id)).ok()) {
      continue;  // intact in place (possibly newer than the copy)
    }
    s = file->WritePage(id, copy);
    if (!s.ok()) return s;
    ++*repaired;
  }
  if (*repaired > 0) s = file->Sync();
  return s;
}

}  // namespace jadedb::bplustree
