// Page: the fixed-size unit of the B+tree files, and accessors over its raw bytes.
//
// Every page starts with a kPageHeaderSize-byte header and ends with a kPageTrailerSize-byte
// trailer (byte tables in docs/formats/bplustree-page.md). The bytes in between, the payload,
// belong to the page's owner (the tree's node format, the free list, overflow chains). The
// checksum and trailer are filled by SealPage just before a page is written and checked by
// VerifyPage when it is read; in memory they may be stale.
//
// Thread safety: these are plain functions over caller-owned bytes; the caller holds the
// page's latch (see buffer_pool.h).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "jadedb/status.h"

namespace jadedb::bplustree {

using PageId = uint64_t;
using Lsn = uint64_t;

// Pages 0 and 1 are the two alternating meta pages, so 0 never names a tree page.
inline constexpr PageId kInvalidPageId = 0;
inline constexpr PageId kMetaPageId0 = 0;
inline constexpr PageId kMetaPageId1 = 1;
inline constexpr PageId kFirstDataPageId = 2;
// LSN 0 means "never logged"; real LSNs start at 1.
inline constexpr Lsn kInvalidLsn = 0;

inline constexpr uint32_t kPageMagic = 0x5450424a;  // "JBPT" little-endian
inline constexpr uint8_t kPageFormatVersion = 1;

inline constexpr uint32_t kMinPageSize = 4 * 1024;
inline constexpr uint32_t kMaxPageSize = 64 * 1024;
inline constexpr uint32_t kDefaultPageSize = 16 * 1024;

inline constexpr size_t kPageHeaderSize = 64;
inline constexpr size_t kPageTrailerSize = 16;

enum class PageType : uint8_t {
  kFree = 0,
  kMeta = 1,
  kInternal = 2,
  kLeaf = 3,
  kOverflow = 4,
  kFreeList = 5,
};
const char* PageTypeName(PageType type);

// Header field offsets (little-endian). See docs/formats/bplustree-page.md.
namespace page_layout {
inline constexpr size_t kMagic = 0;         // u32
inline constexpr size_t kVersion = 4;       // u8
inline constexpr size_t kType = 5;          // u8
inline constexpr size_t kLevel = 6;         // u16, 0 = leaf
inline constexpr size_t kPageId = 8;        // u64
inline constexpr size_t kLsn = 16;          // u64
inline constexpr size_t kChecksum = 24;     // u32, masked CRC32C
inline constexpr size_t kFlags = 28;        // u16, owner-defined
inline constexpr size_t kRecordCount = 30;  // u16
inline constexpr size_t kFreeStart = 32;    // u32, first free payload byte (page offset)
inline constexpr size_t kFreeEnd = 36;      // u32, end of the free gap (page offset)
inline constexpr size_t kPrev = 40;         // u64, previous leaf (or 0)
inline constexpr size_t kNext = 48;         // u64, next leaf / next free / next overflow
inline constexpr size_t kAux = 56;          // u64, owner-defined (e.g. leftmost child)
// Trailer, relative to page_size - kPageTrailerSize:
inline constexpr size_t kTrailerPageId = 0;     // u64
inline constexpr size_t kTrailerLsnLow = 8;     // u32, low 32 bits of the page LSN
inline constexpr size_t kTrailerChecksum = 12;  // u32, same as the header checksum
}  // namespace page_layout

inline bool IsValidPageSize(uint64_t size) {
  return size >= kMinPageSize && size <= kMaxPageSize && (size & (size - 1)) == 0;
}
inline constexpr size_t PayloadBegin() { return kPageHeaderSize; }
inline constexpr size_t PayloadSize(size_t page_size) {
  return page_size - kPageHeaderSize - kPageTrailerSize;
}
inline constexpr size_t PayloadEnd(size_t page_size) { return page_size - kPageTrailerSize; }

// Read-only view of a page's header fields.
class PageView {
 public:
  PageView(const char* data, size_t page_size) : data_(data), page_size_(page_size) {}

  const char* data() const { return data_; }
  size_t page_size() const { return page_size_; }
  uint32_t magic() const { return Get32(page_layout::kMagic); }
  uint8_t version() const { return static_cast<uint8_t>(data_[page_layout::kVersion]); }
  PageType type() const { return static_cast<PageType>(data_[page_layout::kType]); }
  uint16_t level() const { return Get16(page_layout::kLevel); }
  PageId id() const { return Get64(page_layout::kPageId); }
  Lsn lsn() const { return Get64(page_layout::kLsn); }
  uint32_t checksum() const { return Get32(page_layout::kChecksum); }
  uint16_t flags() const { return Get16(page_layout::kFlags); }
  uint16_t record_count() const { return Get16(page_layout::kRecordCount); }
  uint32_t free_start() const { return Get32(page_layout::kFreeStart); }
  uint32_t free_end() const { return Get32(page_layout::kFreeEnd); }
  PageId prev() const { return Get64(page_layout::kPrev); }
  PageId next() const { return Get64(page_layout::kNext); }
  uint64_t aux() const { return Get64(page_layout::kAux); }
  const char* payload() const { return data_ + PayloadBegin(); }
  size_t payload_size() const { return PayloadSize(page_size_); }

 protected:
  uint16_t Get16(size_t off) const {
    uint16_t v;
    std::memcpy(&v, data_ + off, 2);
    return v;
  }
  uint32_t Get32(size_t off) const {
    uint32_t v;
    std::memcpy(&v, data_ + off, 4);
    return v;
  }
  uint64_t Get64(size_t off) const {
    uint64_t v;
    std::memcpy(&v, data_ + off, 8);
    return v;
  }

  const char* data_;
  size_t page_size_;
};

// The change log of one page within a mini-transaction (InnoDB's mlog). Writers report each
// byte range just before they change it (WillChange); the log saves the range's current bytes.
// Those are the undo for MiniTxn::Abort and, at commit, the before-bytes of the redo ranges,
// whose after-bytes are then read from the page. So a small change costs a few small copies
// instead of a whole-page before-image and a whole-page compare.
//
// Writes nobody reports are covered by the whole-page fallback: SetWholePage() snapshots the
// page's before-image (the page with every reported change undone) and commit diffs the page
// against it. PageWriteGuard::data() and PageMutator::mutable_data()/mutable_payload() switch
// to it, so a writer that does not report is slower, never unlogged.
//
// Not thread-safe: the page's exclusive latch protects it.
class PageChangeLog {
 public:
  struct Record {
    uint32_t offset;  // page offset of the reported range
    uint32_t length;
    uint32_t saved;  // offset of its before-bytes in the saved buffer
  };

  // Starts logging the page at data (page_size bytes) as it is now.
  void Start(char* data, size_t page_size);
  // Bytes [offset, offset + length) of the page are about to change.
  void WillChange(size_t offset, size_t length) {
    assert(offset + length <= page_size_);
    if (whole_ != nullptr || length == 0) return;
    if (records_.empty()) Reserve();
    records_.push_back({static_cast<uint32_t>(offset), static_cast<uint32_t>(length),
                        static_cast<uint32_t>(saved_.size())});
    saved_.append(page_ + offset, length);
  }
  // Switches to the whole-page fallback (no-op when already there).
  void SetWholePage();

  bool whole_page() const { return whole_ != nullptr; }
  // The page's before-image; whole-page mode only.
  const char* before_image() const { return whole_.get(); }
  const std::vector<Record>& records() const { return records_; }
  const char* saved(const Record& r) const { return saved_.data() + r.saved; }
  const char* page() const { return page_; }
  size_t page_size() const { return page_size_; }

  // Whether some byte may differ from the before-image (false only when none does).
  bool Modified() const;
  // Restores the before-image.
  void Undo();

 private:
  // Room for a typical write (a few ranges, a few hundred bytes) in one allocation each.
  void Reserve();

  char* page_ = nullptr;
  size_t page_size_ = 0;
  std::unique_ptr<char[]> whole_;
  std::vector<Record> records_;
  std::string saved_;
};

// Writable view. Changes to a buffer-pool page must be made while holding a PageWriteGuard
// obtained through a MiniTxn, which logs them: a mutator from PageWriteGuard::mutator()
// reports its setters' ranges to the page's change log, and handing out raw bytes
// (mutable_data/mutable_payload) switches the page to the whole-page fallback. Do not set the
// LSN, checksum or trailer: MiniTxn::Commit and SealPage own those.
class PageMutator : public PageView {
 public:
  PageMutator(char* data, size_t page_size, PageChangeLog* log = nullptr)
      : PageView(data, page_size), mdata_(data), log_(log) {}

  char* mutable_data() const {
    if (log_ != nullptr) log_->SetWholePage();
    return mdata_;
  }
  char* mutable_payload() const { return mutable_data() + PayloadBegin(); }
  void set_type(PageType t) {
    const char v = static_cast<char>(t);
    Put(page_layout::kType, &v, 1);
  }
  void set_level(uint16_t v) { Put(page_layout::kLevel, &v, 2); }
  void set_flags(uint16_t v) { Put(page_layout::kFlags, &v, 2); }
  void set_record_count(uint16_t v) { Put(page_layout::kRecordCount, &v, 2); }
  void set_free_start(uint32_t v) { Put(page_layout::kFreeStart, &v, 4); }
  void set_free_end(uint32_t v) { Put(page_layout::kFreeEnd, &v, 4); }
  void set_prev(PageId v) { Put(page_layout::kPrev, &v, 8); }
  void set_next(PageId v) { Put(page_layout::kNext, &v, 8); }
  void set_aux(uint64_t v) { Put(page_layout::kAux, &v, 8); }
  // For the storage layer only (MiniTxn commit, recovery).
  void set_lsn(Lsn v) { Put(page_layout::kLsn, &v, 8); }
  void set_id(PageId v) { Put(page_layout::kPageId, &v, 8); }

 private:
  void Put(size_t off, const void* v, size_t n) {
    if (log_ != nullptr) log_->WillChange(off, n);
    std::memcpy(mdata_ + off, v, n);
  }
  char* mdata_;
  PageChangeLog* log_;
};

// Formats data as an empty page: zeroed payload, magic/version, id, type, level, LSN kept as
// given, free_start = PayloadBegin(), free_end = PayloadEnd(page_size), no links.
void InitPage(char* data, size_t page_size, PageId id, PageType type, uint16_t level,
              Lsn lsn = kInvalidLsn);

// Fills the header checksum and the trailer (page id, LSN low bits, checksum). The checksum is
// a masked CRC32C of the whole page except the two checksum fields.
void SealPage(char* data, size_t page_size);

// The checksum SealPage would store.
uint32_t ComputePageChecksum(const char* data, size_t page_size);

// True when every byte is zero (a page that was never written).
bool IsZeroPage(const char* data, size_t page_size);

// Checks magic, version, checksum, trailer and that the page says it is expected_id. On
// failure: Corruption naming `file`, the page id and its offset in the file, and what failed
// (torn write if the trailer disagrees with the header).
Status VerifyPage(const char* data, size_t page_size, PageId expected_id, const std::string& file,
                  uint64_t file_offset);

}  // namespace jadedb::bplustree
