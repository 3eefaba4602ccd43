// Reading strategy (docs/formats/wal.md, "Recovery"):
//
// The file is read one 32 KiB block at a time. Each block is parsed into fragments, which
// ReadRecord assembles into records. Anything that cannot be part of a record (a bad
// checksum, an impossible length, a header cut by end of file, a fragment out of sequence,
// an unknown type) is damage: its bytes are dropped.
//
// Whether damage is a torn tail or corruption depends on what comes AFTER it, so reports are
// deferred: dropped bytes join a pending stretch [pending_start, ...). The stretch is
// reported as Corruption when the next complete record is returned (that record proves the
// damage was mid-file), and as a TornTail when end of file is reached first. Orphaned
// fragments after damage (a MIDDLE or LAST whose FIRST was lost) extend the stretch; they do
// not end it, since they are not records.
//
// On a checksum mismatch the fragment's length is trusted when it fits the block, so the
// records behind a damaged payload in the same block are still found (LevelDB drops the
// rest of the block instead, which would hide mid-file damage in the last block as a torn
// tail). A damaged length leads to garbage, which fails its own checksum and extends the
// stretch; a random match needs a CRC32C collision.
//
// The file header (the first fragment) is checked before anything else. Only its fixed
// bytes (length 16, type 5, the magic) decide whether the file is a JadeDB log at all: a
// mismatch there ends reading with status() set. A header that has them but fails its
// checksum, or is cut by end of file, or a zero-filled start, is ordinary damage from
// offset 0, so a crash while creating the file is a torn tail and a bit flip in a header with
// records behind it is corruption. A header fragment anywhere else is damage reported as
// corruption at once: it is complete and valid, so no crash mid-write can explain it.
#include "lsm/wal/log_reader.h"

#include <algorithm>
#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace jadedb::lsm::log {

namespace {

// What NextFragment found.
enum class FragmentResult { kFragment, kDamage, kEof };

struct Fragment {
  unsigned type = 0;
  std::string_view payload;
  uint64_t offset = 0;  // file offset of the fragment's header
  std::string reason;   // for kDamage
};

bool IsAllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

struct Reader::Impl {
  Impl(SequentialFile* f, std::string name, LogKind k, Reporter* r, bool verify)
      : file(f),
        file_name(std::move(name)),
        kind(k),
        reporter(r),
        verify_checksums(verify),
        backing(new char[kBlockSize]) {}

  bool ReadRecord(std::string_view* record, std::string* scratch);
  FragmentResult NextFragment(Fragment* f);
  bool ReadBlock();
  // Reads block 0 and checks the file header at its start. False (with status set) when the
  // file is not a log of the expected kind and version, or on an I/O error.
  bool CheckFileHeader();

  // File offset of the next unparsed byte.
  uint64_t Position() const { return buffer_end_offset - buffer.size(); }

  // Adds the bytes from `start` on to the pending damaged stretch. `damage_offset` is where
  // the problem was found (later than start when a partial record is dropped with it).
  void MarkDamage(uint64_t start, uint64_t damage_offset, std::string_view reason);
  // A complete record starting at record_start follows the pending stretch: corruption.
  void ReportPendingAsCorruption(uint64_t record_start);
  // End of file follows the pending stretch: torn tail.
  void ReportPendingAsTornTail();

  SequentialFile* const file;
  const std::string file_name;
  const LogKind kind;
  Reporter* const reporter;
  const bool verify_checksums;

  std::unique_ptr<char[]> backing;  // the current block
  std::string_view buffer;          // its unparsed bytes
  uint64_t buffer_end_offset = 0;   // file offset just past the current block
  bool eof = false;                 // the current block is the last one
  bool finished = false;            // ReadRecord returned false at end of input
  bool header_checked = false;      // CheckFileHeader has run
  Status status;

  uint64_t last_record_offset = 0;
  uint64_t last_record_end = 0;

  bool pending = false;
  uint64_t pending_start = 0;
  std::string pending_reason;
};

bool Reader::Impl::ReadBlock() {
  // Loop so a short read that is not end of file cannot misalign the blocks.
  size_t got = 0;
  while (got < kBlockSize) {
    std::string_view chunk;
    Status s = file->Read(kBlockSize - got, &chunk, backing.get() + got);
    if (!s.ok()) {
      status = std::move(s);
      return false;
    }
    if (chunk.empty()) break;
    if (chunk.data() != backing.get() + got) {
      std::memmove(backing.get() + got, chunk.data(), chunk.size());
    }
    got += chunk.size();
  }
  buffer = std::string_view(backing.get(), got);
  buffer_end_offset += got;
  if (got < kBlockSize) eof = true;
  return true;
}

FragmentResult Reader::Impl::NextFragment(Fragment* f) {
  while (true) {
    if (buffer.size() < kHeaderSize) {
      if (!eof) {
        // The tail of a full block (zero-filled by the writer) or nothing: next block.
        if (!ReadBlock()) return FragmentResult::kEof;
        continue;
      }
      if (buffer.empty()) return FragmentResult::kEof;
      // Fewer than a header's bytes before end of file.
      const uint64_t pos = Position();
      const size_t room_in_block = kBlockSize - static_cast<size_t>(pos % kBlockSize);
      const bool zeros = IsAllZero(buffer.data(), buffer.size());
      buffer = {};
      // A block trailer, or the end of zero-filled space: nothing was written there.
      if (room_in_block < kHeaderSize || zeros) return FragmentResult::kEof;
      f->offset = pos;
      f->reason = "truncated fragment header";
      return FragmentResult::kDamage;
    }

    const char* header = buffer.data();
    const uint64_t pos = Position();
    if (IsAllZero(header, kHeaderSize)) {
      // Preallocated or zero-filled space: not data, nothing dropped.
      buffer.remove_prefix(kHeaderSize);
      continue;
    }
    const uint32_t length = DecodeFixed16(header + 4);
    const unsigned type = static_cast<unsigned char>(header[6]);
    const size_t room_in_block = kBlockSize - static_cast<size_t>(pos % kBlockSize);
    f->offset = pos;
    if (kHeaderSize + length > room_in_block) {
      // The writer never crosses a block boundary: the length itself is damaged. Nothing in
      // the rest of the block can be trusted.
      buffer = {};
      f->reason = "bad fragment length " + std::to_string(length);
      return FragmentResult::kDamage;
    }
    if (kHeaderSize + length > buffer.size()) {
      // Fits the block but runs past end of file: a write cut short.
      buffer = {};
      f->reason = "fragment of " + std::to_string(length) + " bytes cut by end of file";
      return FragmentResult::kDamage;
    }
    buffer.remove_prefix(kHeaderSize + length);
    if (verify_checksums) {
      const uint32_t expected = crc32c::Unmask(DecodeFixed32(header));
      const uint32_t actual = crc32c::Value(header + 6, 1 + length);
      if (actual != expected) {
        f->reason = "checksum mismatch";
        return FragmentResult::kDamage;
      }
    }
    f->type = type;
    f->payload = std::string_view(header + kHeaderSize, length);
    return FragmentResult::kFragment;
  }
}

bool Reader::Impl::CheckFileHeader() {
  if (!ReadBlock()) return false;
  const size_t n = buffer.size();
  if (n == 0) return true;  // an empty log
  const char* p = buffer.data();
  const size_t avail = std::min(n, kFileHeaderSize);

  if (IsAllZero(p, std::min(n, kHeaderSize))) {
    // What a crash can leave when the file's size reached the disk but its data did not. The
    // zeros are skipped by NextFragment; what follows decides torn tail vs corruption.
    MarkDamage(0, 0, "zero-filled file header");
    return true;
  }

  // The fixed bytes of the header fragment: length, type, magic. The version and kind
  // (offsets 15..23) are checked once the checksum has vouched for them.
  char fixed[kHeaderSize + kLogMagicSize];
  EncodeFixed16(fixed + 4, static_cast<uint16_t>(kFileHeaderPayloadSize));
  fixed[6] = static_cast<char>(kFileHeaderType);
  std::memcpy(fixed + kHeaderSize, kLogMagic, kLogMagicSize);
  for (size_t i = 4; i < std::min(avail, sizeof(fixed)); i++) {
    if (p[i] != fixed[i]) {
      status = Status::Corruption(file_name, "offset 0: not a JadeDB log (bad magic)");
      return false;
    }
  }
  if (n < kFileHeaderSize) {
    // n < kBlockSize, so this is end of file: the file was torn while being created.
    MarkDamage(0, 0, "file header cut by end of file");
    buffer = {};
    return true;
  }
  buffer.remove_prefix(kFileHeaderSize);
  if (verify_checksums) {
    const uint32_t expected = crc32c::Unmask(DecodeFixed32(p));
    const uint32_t actual = crc32c::Value(p + 6, 1 + kFileHeaderPayloadSize);
    if (actual != expected) {
      MarkDamage(0, 0, "file header checksum mismatch");
      return true;
    }
  }
  const uint32_t version = DecodeFixed32(p + kHeaderSize + kLogMagicSize);
  if (version != kLogFormatVersion) {
    status =
        Status::NotSupported(file_name, "offset 0: log format version " + std::to_string(version) +
                                            " is not supported (this build reads version " +
                                            std::to_string(kLogFormatVersion) + ")");
    return false;
  }
  const uint32_t found = DecodeFixed32(p + kHeaderSize + kLogMagicSize + 4);
  if (found != static_cast<uint32_t>(kind)) {
    const std::string found_name = found == static_cast<uint32_t>(LogKind::kWal) ||
                                           found == static_cast<uint32_t>(LogKind::kManifest)
                                       ? LogKindName(static_cast<LogKind>(found))
                                       : "kind " + std::to_string(found);
    status = Status::Corruption(file_name, "offset 0: a " + found_name + " log where a " +
                                               LogKindName(kind) + " log was expected");
    return false;
  }
  last_record_end = kFileHeaderSize;
  return true;
}

void Reader::Impl::MarkDamage(uint64_t start, uint64_t damage_offset, std::string_view reason) {
  if (pending) return;  // the stretch already started earlier; its first reason stands
  pending = true;
  pending_start = start;
  pending_reason.assign(reason);
  if (damage_offset != start) {
    pending_reason += " at offset " + std::to_string(damage_offset);
  }
}

void Reader::Impl::ReportPendingAsCorruption(uint64_t record_start) {
  if (!pending) return;
  pending = false;
  if (reporter != nullptr) {
    reporter->Corruption(static_cast<size_t>(record_start - pending_start),
                         Status::Corruption(file_name, "offset " + std::to_string(pending_start) +
                                                           ": " + pending_reason));
  }
}

void Reader::Impl::ReportPendingAsTornTail() {
  if (!pending) return;
  pending = false;
  if (reporter != nullptr) {
    reporter->TornTail(static_cast<size_t>(buffer_end_offset - pending_start));
  }
}

bool Reader::Impl::ReadRecord(std::string_view* record, std::string* scratch) {
  scratch->clear();
  *record = {};
  if (finished) return false;
  if (!header_checked) {
    header_checked = true;
    if (!CheckFileHeader()) {
      buffer = {};
      finished = true;
      return false;
    }
  }

  bool in_fragmented_record = false;
  uint64_t fragmented_start = 0;  // offset of the FIRST fragment being assembled
  // Drops the record being assembled (if any) together with damage found at `offset`.
  auto drop = [&](uint64_t offset, std::string_view reason) {
    MarkDamage(in_fragmented_record ? fragmented_start : offset, offset, reason);
    in_fragmented_record = false;
    scratch->clear();
  };

  Fragment f;
  while (true) {
    switch (NextFragment(&f)) {
      case FragmentResult::kEof:
        finished = true;
        if (!status.ok()) return false;  // I/O error: the caller fails on status()
        if (in_fragmented_record) {
          drop(fragmented_start, "fragmented record without its LAST fragment");
        }
        ReportPendingAsTornTail();
        return false;

      case FragmentResult::kDamage:
        drop(f.offset, f.reason);
        break;

      case FragmentResult::kFragment: {
        const uint64_t end = f.offset + kHeaderSize + f.payload.size();
        switch (f.type) {
          case kFullType:
            if (in_fragmented_record) {
              drop(fragmented_start, "fragmented record without its LAST fragment");
            }
            ReportPendingAsCorruption(f.offset);
            last_record_offset = f.offset;
            last_record_end = end;
            *record = f.payload;
            return true;

          case kFirstType:
            if (in_fragmented_record) {
              drop(fragmented_start, "fragmented record without its LAST fragment");
            }
            in_fragmented_record = true;
            fragmented_start = f.offset;
            scratch->assign(f.payload.data(), f.payload.size());
            break;

          case kMiddleType:
            if (!in_fragmented_record) {
              drop(f.offset, "MIDDLE fragment without a FIRST");
            } else {
              scratch->append(f.payload.data(), f.payload.size());
            }
            break;

          case kLastType:
            if (!in_fragmented_record) {
              drop(f.offset, "LAST fragment without a FIRST");
              break;
            }
            scratch->append(f.payload.data(), f.payload.size());
            ReportPendingAsCorruption(fragmented_start);
            last_record_offset = fragmented_start;
            last_record_end = end;
            *record = *scratch;
            return true;

          case kFileHeaderType:
            // A complete, valid fragment the writer only puts at offset 0 (a header copied
            // into the middle of a log, e.g. two logs concatenated): real damage.
            drop(f.offset, "file header fragment in the middle of the log");
            ReportPendingAsCorruption(end);
            break;

          default:
            drop(f.offset, "unknown fragment type " + std::to_string(f.type));
            break;
        }
        break;
      }
    }
  }
}

Reader::Reader(SequentialFile* file, std::string file_name, LogKind kind, Reporter* reporter,
               bool verify_checksums)
    : impl_(std::make_unique<Impl>(file, std::move(file_name), kind, reporter, verify_checksums)) {}

Reader::~Reader() = default;

bool Reader::ReadRecord(std::string_view* record, std::string* scratch) {
  return impl_->ReadRecord(record, scratch);
}

uint64_t Reader::LastRecordOffset() const { return impl_->last_record_offset; }

uint64_t Reader::LastRecordEndOffset() const { return impl_->last_record_end; }

Status Reader::status() const { return impl_->status; }

}  // namespace jadedb::lsm::log
