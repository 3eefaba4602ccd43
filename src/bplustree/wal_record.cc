#include "bplustree/wal_record.h"

#include <cstring>

#include "util/coding.h"

namespace jadedb::bplustree {

void EncodeWalRecordBody(const WalRecord& r, std::string* out) {
  switch (r.type) {
    case WalRecordType::kPage:
      PutVarint64(out, r.page_id);
      PutVarint32(out, static_cast<uint32_t>(r.ranges.size()));
      for (const ByteRange& br : r.ranges) {
        PutVarint32(out, br.offset);
        PutVarint32(out, static_cast<uint32_t>(br.after.size()));
        out->append(br.after);
        out->append(br.before);
      }
      break;
    case WalRecordType::kSetRoot:
      PutVarint64(out, r.root);
      break;
    case WalRecordType::kAllocState:
      PutVarint64(out, r.free_head);
      PutVarint64(out, r.page_count);
      PutVarint64(out, r.free_count);
      break;
    case WalRecordType::kAllocPage:
      PutVarint64(out, r.page_id);
      PutVarint64(out, r.owner_txn);
      break;
    case WalRecordType::kCheckpoint:
      PutVarint64(out, r.redo_start);
      PutVarint64(out, r.root);
      PutVarint64(out, r.free_head);
      PutVarint64(out, r.page_count);
      PutVarint32(out, static_cast<uint32_t>(r.dirty_pages.size()));
      for (const auto& [id, lsn] : r.dirty_pages) {
        PutVarint64(out, id);
        PutVarint64(out, lsn);
      }
      break;
    case WalRecordType::kCommit:
    case WalRecordType::kAbort:
      break;
  }
}

Status DecodeWalRecordBody(std::string_view in, WalRecord* r) {
  auto bad = [&](const char* what) {
    return Status::Corruption(std::string("bad WAL record body: ") + what);
  };
  switch (r->type) {
    case WalRecordType::kPage: {
      uint32_t n;
      if (!GetVarint64(&in, &r->page_id) || !GetVarint32(&in, &n)) return bad("page header");
      r->ranges.clear();
      for (uint32_t i = 0; i < n; i++) {
        ByteRange br;
        uint32_t len;
        if (!GetVarint32(&in, &br.offset) || !GetVarint32(&in, &len) || in.size() < 2ull * len) {
          return bad("byte range");
        }
        br.after.assign(in.data(), len);
        br.before.assign(in.data() + len, len);
        in.remove_prefix(2ull * len);
        r->ranges.push_back(std::move(br));
      }
      break;
    }
    case WalRecordType::kSetRoot:
      if (!GetVarint64(&in, &r->root)) return bad("root");
      break;
    case WalRecordType::kAllocState:
      if (!GetVarint64(&in, &r->free_head) || !GetVarint64(&in, &r->page_count) ||
          !GetVarint64(&in, &r->free_count)) {
        return bad("alloc state");
      }
      break;
    case WalRecordType::kAllocPage:
      if (!GetVarint64(&in, &r->page_id) || !GetVarint64(&in, &r->owner_txn)) {
        return bad("page allocation");
      }
      break;
    case WalRecordType::kCheckpoint: {
      uint32_t n;
      if (!GetVarint64(&in, &r->redo_start) || !GetVarint64(&in, &r->root) ||
          !GetVarint64(&in, &r->free_head) || !GetVarint64(&in, &r->page_count) ||
          !GetVarint32(&in, &n)) {
        return bad("checkpoint");
      }
      r->dirty_pages.clear();
      for (uint32_t i = 0; i < n; i++) {
        uint64_t id, lsn;
        if (!GetVarint64(&in, &id) || !GetVarint64(&in, &lsn)) return bad("dirty page table");
        r->dirty_pages.emplace_back(id, lsn);
      }
      break;
    }
    case WalRecordType::kCommit:
    case WalRecordType::kAbort:
      break;
    default:
      return bad("unknown record type");
  }
  if (!in.empty()) return bad("trailing bytes");
  return Status::OK();
}

void DiffPage(const char* before, const char* after, size_t n, std::vector<ByteRange>* ranges) {
  // Gaps shorter than this are folded into one range: a range costs ~4 bytes of header and
  // its before-bytes, so tiny gaps are cheaper to copy than to split.
  constexpr size_t kMergeGap = 8;
  size_t i = 0;
  while (i < n) {
    // Skip equal bytes: whole 256-byte blocks through memcmp (vectorized in libc; a page
    // usually differs in a few hundred of its 16 KiB), then 8 at a time.
    constexpr size_t kBlock = 256;
    while (i + kBlock <= n && std::memcmp(before + i, after + i, kBlock) == 0) i += kBlock;
    while (i + 8 <= n && DecodeFixed64(before + i) == DecodeFixed64(after + i)) i += 8;
    while (i < n && before[i] == after[i]) i++;
    if (i >= n) break;
    size_t start = i, end = i + 1;
    size_t j = end;
    while (j < n) {
      if (before[j] != after[j]) {
        end = ++j;
      } else if (j - end >= kMergeGap) {
        break;
      } else {
        j++;
      }
    }
    ByteRange br;
    br.offset = static_cast<uint32_t>(start);
    br.after.assign(after + start, end - start);
    br.before.assign(before + start, end - start);
    ranges->push_back(std::move(br));
    i = end;
  }
}

Status ApplyRanges(const std::vector<ByteRange>& ranges, bool redo, char* page, size_t n) {
  for (const ByteRange& br : ranges) {
    const std::string& bytes = redo ? br.after : br.before;
    if (br.offset > n || bytes.size() > n - br.offset) {
      return Status::Corruption("WAL byte range beyond the page");
    }
    std::memcpy(page + br.offset, bytes.data(), bytes.size());
  }
  return Status::OK();
}

}  // namespace jadedb::bplustree
