#include "bplustree/page.h"

#include "bplustree/page_crc.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::bplustree {

const char* PageTypeName(PageType type) {
  switch (type) {
    case PageType::kFree:
      return "free";
    case PageType::kMeta:
      return "meta";
    case PageType::kInternal:
      return "internal";
    case PageType::kLeaf:
      return "leaf";
    case PageType::kOverflow:
      return "overflow";
    case PageType::kFreeList:
      return "free-list";
  }
  return "unknown";
}

void InitPage(char* data, size_t page_size, PageId id, PageType type, uint16_t level, Lsn lsn) {
  std::memset(data, 0, page_size);
  EncodeFixed32(data + page_layout::kMagic, kPageMagic);
  data[page_layout::kVersion] = static_cast<char>(kPageFormatVersion);
  PageMutator m(data, page_size);
  m.set_type(type);
  m.set_level(level);
  m.set_id(id);
  m.set_lsn(lsn);
  m.set_free_start(static_cast<uint32_t>(PayloadBegin()));
  m.set_free_end(static_cast<uint32_t>(PayloadEnd(page_size)));
}

void PageChangeLog::Start(char* data, size_t page_size) {
  page_ = data;
  page_size_ = page_size;
  whole_.reset();
  records_.clear();
  saved_.clear();
}

void PageChangeLog::Reserve() {
  records_.reserve(8);
  saved_.reserve(512);
}

void PageChangeLog::SetWholePage() {
  if (whole_ != nullptr) return;
  whole_.reset(new char[page_size_]);
  std::memcpy(whole_.get(), page_, page_size_);
  // Undo the reported changes on the copy, latest first, so each byte ends with its value
  // from before the first report: the page's before-image.
  for (size_t i = records_.size(); i-- > 0;) {
    const Record& r = records_[i];
    std::memcpy(whole_.get() + r.offset, saved(r), r.length);
  }
  records_.clear();
  saved_.clear();
}

bool PageChangeLog::Modified() const {
  if (whole_ != nullptr) return std::memcmp(whole_.get(), page_, page_size_) != 0;
  for (const Record& r : records_) {
    if (std::memcmp(page_ + r.offset, saved(r), r.length) != 0) return true;
  }
  return false;
}

void PageChangeLog::Undo() {
  if (whole_ != nullptr) {
    std::memcpy(page_, whole_.get(), page_size_);
    return;
  }
  for (size_t i = records_.size(); i-- > 0;) {
    const Record& r = records_[i];
    std::memcpy(page_ + r.offset, saved(r), r.length);
  }
}

uint32_t ComputePageChecksum(const char* data, size_t page_size) {
  // Everything but the header checksum and the trailer checksum (which repeat the result).
  uint32_t crc = crc32c::Extend(0, data, page_layout::kChecksum);
  const size_t after = page_layout::kChecksum + 4;
  const size_t trailer_crc = page_size - kPageTrailerSize + page_layout::kTrailerChecksum;
  crc = PageCrcExtend(crc, data + after, trailer_crc - after);
  return crc32c::Mask(crc);
}

void SealPage(char* data, size_t page_size) {
  char* trailer = data + page_size - kPageTrailerSize;
  EncodeFixed64(trailer + page_layout::kTrailerPageId, DecodeFixed64(data + page_layout::kPageId));
  EncodeFixed32(trailer + page_layout::kTrailerLsnLow,
                static_cast<uint32_t>(DecodeFixed64(data + page_layout::kLsn)));
  const uint32_t crc = ComputePageChecksum(data, page_size);
  EncodeFixed32(data + page_layout::kChecksum, crc);
  EncodeFixed32(trailer + page_layout::kTrailerChecksum, crc);
}

bool IsZeroPage(const char* data, size_t page_size) {
  for (size_t i = 0; i < page_size; i += 8) {
    if (DecodeFixed64(data + i) != 0) return false;
  }
  return true;
}

Status VerifyPage(const char* data, size_t page_size, PageId expected_id, const std::string& file,
                  uint64_t file_offset) {
  auto fail = [&](const std::string& what) {
    return Status::Corruption("page " + std::to_string(expected_id) + " in " + file +
                              " at offset " + std::to_string(file_offset) + ": " + what);
  };
  PageView v(data, page_size);
  const char* trailer = data + page_size - kPageTrailerSize;
  const uint64_t t_id = DecodeFixed64(trailer + page_layout::kTrailerPageId);
  const uint32_t t_lsn = DecodeFixed32(trailer + page_layout::kTrailerLsnLow);
  const uint32_t t_crc = DecodeFixed32(trailer + page_layout::kTrailerChecksum);
  if (v.magic() != kPageMagic) return fail("bad magic (not a page, or torn write)");
  if (v.version() != kPageFormatVersion) {
    return fail("unsupported page format version " + std::to_string(v.version()));
  }
  if (t_id != v.id() || t_lsn != static_cast<uint32_t>(v.lsn()) || t_crc != v.checksum()) {
    return fail("trailer does not match header (torn write)");
  }
  if (ComputePageChecksum(data, page_size) != v.checksum()) return fail("checksum mismatch");
  if (v.id() != expected_id) {
    return fail("page says it is page " + std::to_string(v.id()) + " (misdirected write)");
  }
  return Status::OK();
}

}  // namespace jadedb::bplustree
