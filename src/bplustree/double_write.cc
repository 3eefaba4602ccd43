#include "bplustree/double_write.h"

#include <map>

#include "bplustree/page_file.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {

// Slot header fields (docs/formats/bplustree-page.md, "Double-write file").
constexpr size_t kHMagic = 0, kHVersion = 4, kHPageSize = 8, kHCount = 12, kHSlot = 16,
                 kHSlots = 20, kHBatch = 24, kHCrc = 60, kHUsed = 64;
// Version 1: a single batch at offset 0 behind a 32-byte header (count at 12, CRC at 28).
constexpr size_t kV1HeaderSize = 32, kV1Crc = 28;

bool HeaderCrcOk(const char* h, size_t crc_offset) {
  return crc32c::Unmask(DecodeFixed32(h + crc_offset)) == crc32c::Value(h, crc_offset);
}

// A copy found in the file: where it is, and its page LSN (to keep the newest per page).
struct Copy {
  uint64_t offset;
  Lsn lsn;
};

}  // namespace

DoubleWrite::DoubleWrite(Env* env, std::string dir, uint32_t page_size,
                         std::function<Status()> sync_in_place)
    : env_(env),
      dir_(std::move(dir)),
      page_size_(page_size),
      sync_in_place_(std::move(sync_in_place)) {}

Status DoubleWrite::WriteBatch(const std::vector<std::pair<PageId, const char*>>& pages) {
  if (pages.size() > kDoubleWriteBatchPages) {
    return Status::InvalidArgument("double-write batch too large");
  }
  // The slot about to be overwritten may hold the only intact copy of a page whose in-place
  // write is not yet durable (a power loss could still tear it): make those writes durable
  // first. Once per trip around the ring; the kernel writes the ring's pages in one go.
  Status s;
  if (NextSlotNeedsInPlaceSync()) {
    s = sync_in_place_();
    if (!s.ok()) return s;
    in_place_syncs_++;
    synced_through_ = batches_;
  }
  const uint64_t batch = batches_ + 1;
  buf_.assign(kDoubleWriteHeaderBytes, '\0');
  char* h = buf_.data();
  EncodeFixed32(h + kHMagic, kDoubleWriteMagic);
  EncodeFixed32(h + kHVersion, kDoubleWriteVersion);
  EncodeFixed32(h + kHPageSize, page_size_);
  EncodeFixed32(h + kHCount, static_cast<uint32_t>(pages.size()));
  EncodeFixed32(h + kHSlot, static_cast<uint32_t>(next_slot_));
  EncodeFixed32(h + kHSlots, static_cast<uint32_t>(kDoubleWriteSlots));
  EncodeFixed64(h + kHBatch, batch);
  EncodeFixed32(h + kHCrc, crc32c::Mask(crc32c::Value(h, kHCrc)));
  for (const auto& [id, data] : pages) buf_.append(data, page_size_);
  // Each slot is rewritten in place: one pwrite and one fdatasync on a file kept open.
  // Recreating the file (open with O_TRUNC) made the file system free and reallocate its
  // blocks and journal that on every fsync. A longer earlier batch leaves stale copies past
  // `count`; the header's count bounds what Recover reads.
  if (!file_) s = env_->NewRandomRWFile(path(), &file_);
  if (s.ok()) s = file_->Write(next_slot_ * slot_bytes(), buf_);
  if (s.ok()) s = file_->Sync();
  // The file's name must be durable too before any in-place write relies on the copy: a power
  // loss would otherwise delete a newly created doublewrite.jdb and leave a torn page with
  // nothing to repair it from. Once per process (rewriting an existing file keeps its name).
  if (s.ok() && !name_durable_) {
    s = env_->SyncDir(dir_);
    name_durable_ = s.ok();
  }
  if (!s.ok()) {
    file_.reset();  // reopen on the next batch
    return s;
  }
  batches_ = batch;
  slot_batch_[next_slot_] = batch;
  next_slot_ = (next_slot_ + 1) % kDoubleWriteSlots;
  return Status::OK();
}

Status DoubleWrite::Recover(PageFile* file, uint64_t* repaired) {
  *repaired = 0;
  if (!env_->FileExists(path())) return Status::OK();
  std::unique_ptr<RandomAccessFile> in;
  Status s = env_->NewRandomAccessFile(path(), &in);
  uint64_t size = 0;
  if (s.ok()) s = env_->GetFileSize(path(), &size);
  if (!s.ok()) return s;

  // Slots (or the version-1 batch) whose header verifies: the offset and count of their
  // copies. A torn or stale header means the crash came while writing that slot, before any
  // of its pages were written in place: nothing to repair from it.
  std::vector<std::pair<uint64_t, uint32_t>> runs;
  std::string scratch(kDoubleWriteHeaderBytes, '\0');
  for (uint64_t slot = 0; slot < kDoubleWriteSlots; slot++) {
    const uint64_t off = slot * slot_bytes();
    if (off + kHUsed > size) break;
    std::string_view h;
    s = in->Read(off, kHUsed, &h, scratch.data());
    if (!s.ok()) return s;
    if (h.size() < kHUsed || DecodeFixed32(h.data() + kHMagic) != kDoubleWriteMagic) continue;
    const uint32_t version = DecodeFixed32(h.data() + kHVersion);
    if (slot == 0 && version == 1 && HeaderCrcOk(h.data(), kV1Crc)) {
      // Written by an older JadeDB: one batch, the whole file.
      if (DecodeFixed32(h.data() + kHPageSize) == page_size_) {
        runs.emplace_back(kV1HeaderSize, DecodeFixed32(h.data() + kHCount));
      }
      break;
    }
    if (!HeaderCrcOk(h.data(), kHCrc)) continue;
    if (version != kDoubleWriteVersion) {
      return Status::NotSupported("double-write file version " + std::to_string(version) + " in " +
                                  path());
    }
    // Another page size or ring layout (a copy made by another configuration) is not ours.
    if (DecodeFixed32(h.data() + kHPageSize) != page_size_ ||
        DecodeFixed32(h.data() + kHSlot) != slot ||
        DecodeFixed32(h.data() + kHSlots) != kDoubleWriteSlots) {
      continue;
    }
    const uint32_t count = DecodeFixed32(h.data() + kHCount);
    if (count > kDoubleWriteBatchPages) continue;
    runs.emplace_back(off + kDoubleWriteHeaderBytes, count);
  }

  // The newest verified copy of each page. A page can be in several slots; the in-place write
  // a crash may have torn is the one of its newest copy (an older slot is reused only after
  // its in-place writes were synced).
  std::map<PageId, Copy> newest;
  std::string page(page_size_, '\0');
  for (const auto& [begin, count] : runs) {
    for (uint32_t i = 0; i < count; i++) {
      const uint64_t off = begin + uint64_t{i} * page_size_;
      if (off + page_size_ > size) break;
      std::string_view copy;
      s = in->Read(off, page_size_, &copy, page.data());
      if (!s.ok()) return s;
      if (copy.size() < page_size_) break;
      const PageView view(copy.data(), page_size_);
      const PageId id = view.id();
      if (!VerifyPage(copy.data(), page_size_, id, path(), off).ok()) continue;  // torn copy
      auto it = newest.find(id);
      if (it == newest.end() || view.lsn() > it->second.lsn) newest[id] = Copy{off, view.lsn()};
    }
  }

  std::string in_place(page_size_, '\0');
  for (const auto& [id, c] : newest) {
    bool exists;
    s = file->ReadPageRaw(id, in_place.data(), &exists);
    if (!s.ok()) return s;
    if (exists &&
        VerifyPage(in_place.data(), page_size_, id, file->PagePath(id), file->PageOffset(id))
            .ok()) {
      continue;  // intact in place (possibly newer than the copy)
    }
    std::string_view copy;
    s = in->Read(c.offset, page_size_, &copy, page.data());
    if (s.ok() && copy.size() < page_size_) s = Status::Corruption("short read of " + path());
    if (s.ok()) s = file->WritePage(id, copy.data());
    if (!s.ok()) return s;
    ++*repaired;
  }
  if (*repaired > 0) s = file->Sync();
  return s;
}

}  // namespace jadedb::bplustree
