#include "bplustree/wal_record.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <utility>

#include "util/coding.h"

namespace jadedb::bplustree {

void EncodeWalRecordBody(const WalRecord& r, std::string* out) {
  switch (r.type) {
    case WalRecordType::kPage: {
      size_t bytes = 2 * 5 + r.ranges.size() * 2 * 5;
      for (const ByteRange& br : r.ranges) bytes += br.after.size() + br.before.size();
      out->reserve(out->size() + bytes);
      PutVarint64(out, r.page_id);
      PutVarint32(out, static_cast<uint32_t>(r.ranges.size()));
      for (const ByteRange& br : r.ranges) {
        PutVarint32(out, br.offset);
        PutVarint32(out, static_cast<uint32_t>(br.after.size()));
        out->append(br.after);
        out->append(br.before);
      }
      break;
    }
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

namespace {
// Gaps of up to this many equal bytes are folded into one range: a range costs ~4 bytes of
// header and its before-bytes, so tiny gaps are cheaper to copy than to split.
constexpr size_t kMergeGap = 8;

// Whether some byte of v is zero.
inline bool HasZeroByte(uint64_t v) {
  return ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
}

// Calls on_run(b, e) for each maximal run [b, e) of offsets in [begin, end) where before and
// after differ, in order.
template <typename OnRun>
void ForEachDiffRun(const char* before, const char* after, size_t begin, size_t end,
                    OnRun&& on_run) {
  size_t i = begin;
  while (i < end) {
    // Skip equal bytes: whole 256-byte blocks through memcmp (vectorized in libc; a page
    // usually differs in a few hundred of its 16 KiB), then 8 at a time.
    constexpr size_t kBlock = 256;
    while (i + kBlock <= end && std::memcmp(before + i, after + i, kBlock) == 0) i += kBlock;
    while (i + 8 <= end && DecodeFixed64(before + i) == DecodeFixed64(after + i)) i += 8;
    while (i < end && before[i] == after[i]) i++;
    if (i >= end) break;
    const size_t run = i;
    // 8 bytes at a time while all 8 differ (no zero byte in their XOR), then byte by byte.
    while (i + 8 <= end && !HasZeroByte(DecodeFixed64(before + i) ^ DecodeFixed64(after + i))) {
      i += 8;
    }
    while (i < end && before[i] != after[i]) i++;
    on_run(run, i);
  }
}

// Joins the runs it is given (in order) across gaps of up to kMergeGap equal bytes, and hands
// each joined range [start, end) to emit. DiffPage and ChangedRanges share it, so both give
// the same ranges for the same change.
template <typename Emit>
class RunJoiner {
 public:
  explicit RunJoiner(Emit emit) : emit_(std::move(emit)) {}
  void Add(size_t begin, size_t end) {
    if (open_ && begin - end_ <= kMergeGap) {
      end_ = end;
      return;
    }
    Finish();
    open_ = true;
    start_ = begin;
    end_ = end;
  }
  void Finish() {
    if (open_) emit_(start_, end_);
    open_ = false;
  }

 private:
  Emit emit_;
  bool open_ = false;
  size_t start_ = 0, end_ = 0;
};
}  // namespace

void DiffPage(const char* before, const char* after, size_t n, std::vector<ByteRange>* ranges) {
  RunJoiner joiner([&](size_t start, size_t end) {
    ByteRange br;
    br.offset = static_cast<uint32_t>(start);
    br.after.assign(after + start, end - start);
    br.before.assign(before + start, end - start);
    ranges->push_back(std::move(br));
  });
  ForEachDiffRun(before, after, 0, n, [&](size_t b, size_t e) { joiner.Add(b, e); });
  joiner.Finish();
}

void ChangedRanges(const PageChangeLog& log, std::vector<ByteRange>* ranges) {
  const std::vector<PageChangeLog::Record>& recs = log.records();
  const size_t nrec = recs.size();
  if (nrec == 0) return;
  const char* page = log.page();
  // A single-key write reports a handful of ranges over a few hundred bytes: keep the work
  // buffers on the stack then.
  constexpr size_t kSmallRecs = 32, kSmallBytes = 2048;
  struct Span {
    size_t begin, end, scratch;  // page bytes [begin, end); their before-bytes at scratch
  };
  uint32_t order_buf[kSmallRecs], span_of_buf[kSmallRecs];
  Span span_buf[kSmallRecs];
  std::vector<uint32_t> order_vec, span_of_vec;
  std::vector<Span> span_vec;
  uint32_t* order = order_buf;
  uint32_t* span_of = span_of_buf;
  Span* spans = span_buf;
  if (nrec > kSmallRecs) {
    order_vec.resize(nrec);
    span_of_vec.resize(nrec);
    span_vec.resize(nrec);
    order = order_vec.data();
    span_of = span_of_vec.data();
    spans = span_vec.data();
  }
  // Spans: the reported ranges by offset, overlapping or adjacent ones joined.
  std::iota(order, order + nrec, 0u);
  std::sort(order, order + nrec,
            [&](uint32_t a, uint32_t b) { return recs[a].offset < recs[b].offset; });
  size_t nspans = 0, total = 0;
  for (size_t k = 0; k < nrec; k++) {
    const uint32_t i = order[k];
    const size_t b = recs[i].offset, e = b + recs[i].length;
    if (nspans == 0 || b > spans[nspans - 1].end) {
      if (nspans > 0) total += spans[nspans - 1].end - spans[nspans - 1].begin;
      spans[nspans++] = {b, e, total};
    } else {
      spans[nspans - 1].end = std::max(spans[nspans - 1].end, e);
    }
    span_of[i] = static_cast<uint32_t>(nspans - 1);
  }
  total += spans[nspans - 1].end - spans[nspans - 1].begin;
  // Each span byte's before-image value is what its earliest report saved: copy the saved
  // bytes latest report first, so earlier reports overwrite later ones.
  char before_buf[kSmallBytes];
  std::unique_ptr<char[]> before_heap;
  char* before = before_buf;
  if (total > kSmallBytes) {
    before_heap.reset(new char[total]);
    before = before_heap.get();
  }
  for (size_t i = nrec; i-- > 0;) {
    const Span& sp = spans[span_of[i]];
    std::memcpy(before + sp.scratch + (recs[i].offset - sp.begin), log.saved(recs[i]),
                recs[i].length);
  }
  // Emits [start, end): after-bytes from the page; before-bytes from the page too (bytes
  // outside the spans are unchanged) overlaid with the spans' before-bytes.
  size_t first_span = 0;  // first span that may overlap a later range
  auto emit = [&](size_t start, size_t end) {
    ByteRange br;
    br.offset = static_cast<uint32_t>(start);
    br.after.assign(page + start, end - start);
    br.before.assign(page + start, end - start);
    while (first_span < nspans && spans[first_span].end <= start) first_span++;
    for (size_t k = first_span; k < nspans && spans[k].begin < end; k++) {
      const size_t b = std::max(start, spans[k].begin), e = std::min(end, spans[k].end);
      std::memcpy(br.before.data() + (b - start), before + spans[k].scratch + (b - spans[k].begin),
                  e - b);
    }
    ranges->push_back(std::move(br));
  };
  // Runs of differing bytes, joined across small gaps as DiffPage joins them.
  ranges->reserve(ranges->size() + nspans + 2);
  RunJoiner joiner(emit);
  for (size_t k = 0; k < nspans; k++) {
    const Span& sp = spans[k];
    const char* b = before + sp.scratch - sp.begin;  // b[off]: before-byte of page offset off
    ForEachDiffRun(b, page, sp.begin, sp.end, [&](size_t rb, size_t re) { joiner.Add(rb, re); });
  }
  joiner.Finish();
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
