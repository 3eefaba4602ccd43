#include "bplustree/double_write.h"

#include <cstring>
#include <map>

#include "bplustree/page_file.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {
namespace {

// Slot header fields (docs/formats/bplustree-page.md, "Double-write file"), then the hole
// table from kHTable: per copy, the page offset and length of the zero bytes left out.
constexpr size_t kHMagic = 0, kHVersion = 4, kHPageSize = 8, kHCount = 12, kHSlot = 16,
                 kHSlots = 20, kHBatch = 24, kHTableCrc = 32, kHCrc = 60, kHTable = 64,
                 kHoleEntry = 8;
static_assert(kHTable + kDoubleWriteBatchPages * kHoleEntry <= kDoubleWriteHeaderBytes);
// Version 1: a single batch at offset 0 behind a 32-byte header (count at 12, CRC at 28).
constexpr size_t kV1HeaderSize = 32, kV1Crc = 28;

// The longest run of zero bytes in page, 8-byte aligned (what a copy leaves out): its offset
// and length (0 when there is none).
std::pair<uint32_t, uint32_t> LongestZeroRun(const char* page, uint32_t page_size) {
  uint32_t best_begin = 0, best_length = 0, run_begin = 0;
  bool in_run = false;
  for (uint32_t i = 0; i < page_size; i += 8) {
    if (DecodeFixed64(page + i) == 0) {
      if (!in_run) run_begin = i;
      in_run = true;
      if (i + 8 - run_begin > best_length) {
        best_begin = run_begin;
        best_length = i + 8 - run_begin;
      }
    } else {
      in_run = false;
    }
  }
  return {best_begin, best_length};
}

bool HeaderCrcOk(const char* h, size_t crc_offset) {
  return crc32c::Unmask(DecodeFixed32(h + crc_offset)) == crc32c::Value(h, crc_offset);
}

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
    InPlaceSynced();
  }
  const uint64_t batch = batches_ + 1;
  // Reserved first: h must stay valid while the copies are appended.
  buf_.reserve(kDoubleWriteHeaderBytes + pages.size() * page_size_);
  buf_.assign(kDoubleWriteHeaderBytes, '\0');
  char* h = buf_.data();
  EncodeFixed32(h + kHMagic, kDoubleWriteMagic);
  EncodeFixed32(h + kHVersion, kDoubleWriteVersion);
  EncodeFixed32(h + kHPageSize, page_size_);
  EncodeFixed32(h + kHCount, static_cast<uint32_t>(pages.size()));
  EncodeFixed32(h + kHSlot, static_cast<uint32_t>(next_slot_));
  EncodeFixed32(h + kHSlots, static_cast<uint32_t>(kDoubleWriteSlots));
  EncodeFixed64(h + kHBatch, batch);
  for (size_t i = 0; i < pages.size(); i++) {
    const char* data = pages[i].second;
    const auto [begin, length] = LongestZeroRun(data, page_size_);
    EncodeFixed32(h + kHTable + i * kHoleEntry, begin);
    EncodeFixed32(h + kHTable + i * kHoleEntry + 4, length);
    buf_.append(data, begin);
    buf_.append(data + begin + length, page_size_ - begin - length);
  }
  EncodeFixed32(h + kHTableCrc,
                crc32c::Mask(crc32c::Value(h + kHTable, pages.size() * kHoleEntry)));
  EncodeFixed32(h + kHCrc, crc32c::Mask(crc32c::Value(h, kHCrc)));
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

  // The copies of every slot (or version-1 batch) whose header verifies: where each starts
  // and the hole it leaves out. A torn or stale header means the crash came while writing
  // that slot, before any of its pages were written in place: nothing to repair from it.
  struct Stored {
    uint64_t offset;
    uint32_t hole_begin, hole_length;
  };
  std::vector<Stored> stored;
  std::string header(kDoubleWriteHeaderBytes, '\0');
  for (uint64_t slot = 0; slot < kDoubleWriteSlots; slot++) {
    const uint64_t off = slot * slot_bytes();
    if (off + kHTable > size) break;
    std::string_view h;
    s = in->Read(off, kDoubleWriteHeaderBytes, &h, header.data());
    if (!s.ok()) return s;
    if (h.size() < kHTable || DecodeFixed32(h.data() + kHMagic) != kDoubleWriteMagic) continue;
    const uint32_t version = DecodeFixed32(h.data() + kHVersion);
    const uint32_t count = DecodeFixed32(h.data() + kHCount);
    if (slot == 0 && version == 1 && HeaderCrcOk(h.data(), kV1Crc)) {
      // Written by an older JadeDB: one batch of whole pages, the whole file.
      if (DecodeFixed32(h.data() + kHPageSize) == page_size_) {
        for (uint32_t i = 0; i < count; i++) {
          stored.push_back({kV1HeaderSize + uint64_t{i} * page_size_, 0, 0});
        }
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
        DecodeFixed32(h.data() + kHSlots) != kDoubleWriteSlots || count > kDoubleWriteBatchPages ||
        h.size() < kHTable + count * kHoleEntry ||
        crc32c::Unmask(DecodeFixed32(h.data() + kHTableCrc)) !=
            crc32c::Value(h.data() + kHTable, count * kHoleEntry)) {
      continue;
    }
    uint64_t at = off + kDoubleWriteHeaderBytes;
    for (uint32_t i = 0; i < count; i++) {
      const uint32_t begin = DecodeFixed32(h.data() + kHTable + i * kHoleEntry);
      const uint32_t length = DecodeFixed32(h.data() + kHTable + i * kHoleEntry + 4);
      if (begin > page_size_ || length > page_size_ - begin) break;
      stored.push_back({at, begin, length});
      at += page_size_ - length;
    }
  }

  // Reads copy c into page (page_size bytes, the hole zero-filled); *complete is false when
  // the file ends first (a torn slot).
  std::string scratch(page_size_, '\0');
  auto read_copy = [&](const Stored& c, char* page, bool* complete) {
    const size_t n = page_size_ - c.hole_length;
    *complete = false;
    if (c.offset + n > size) return Status::OK();
    std::string_view got;
    Status r = in->Read(c.offset, n, &got, scratch.data());
    if (!r.ok() || got.size() < n) return r;
    std::memcpy(page, got.data(), c.hole_begin);
    std::memset(page + c.hole_begin, 0, c.hole_length);
    std::memcpy(page + c.hole_begin + c.hole_length, got.data() + c.hole_begin, n - c.hole_begin);
    *complete = true;
    return Status::OK();
  };

  // The newest verified copy of each page. A page can be in several slots; the in-place write
  // a crash may have torn is the one of its newest copy (an older slot is reused only after
  // its in-place writes were synced).
  std::map<PageId, std::pair<Lsn, Stored>> newest;
  std::string page(page_size_, '\0');
  for (const Stored& c : stored) {
    bool complete;
    s = read_copy(c, page.data(), &complete);
    if (!s.ok()) return s;
    if (!complete) continue;
    const PageView view(page.data(), page_size_);
    const PageId id = view.id();
    if (!VerifyPage(page.data(), page_size_, id, path(), c.offset).ok()) continue;  // torn
    auto it = newest.find(id);
    if (it == newest.end() || view.lsn() > it->second.first) newest[id] = {view.lsn(), c};
  }

  std::string in_place(page_size_, '\0');
  for (const auto& [id, copy] : newest) {
    bool exists;
    s = file->ReadPageRaw(id, in_place.data(), &exists);
    if (!s.ok()) return s;
    if (exists &&
        VerifyPage(in_place.data(), page_size_, id, file->PagePath(id), file->PageOffset(id))
            .ok()) {
      continue;  // intact in place (possibly newer than the copy)
    }
    bool complete;
    s = read_copy(copy.second, page.data(), &complete);
    if (s.ok() && !complete) s = Status::Corruption("short read of " + path());
    if (s.ok()) s = file->WritePage(id, page.data());
    if (!s.ok()) return s;
    ++*repaired;
  }
  if (*repaired > 0) s = file->Sync();
  return s;
}

}  // namespace jadedb::bplustree
