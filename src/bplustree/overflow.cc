#include "bplustree/overflow.h"

#include <cstring>
#include <vector>

#include "util/coding.h"

namespace jadedb::bplustree {

Status WriteOverflow(BufferPool* pool, MiniTxn* mtr, std::string_view data, OverflowRef* ref) {
  const size_t cap = OverflowCapacity(pool->page_size());
  ref->length = static_cast<uint32_t>(data.size());
  ref->first_page = kInvalidPageId;
  PageWriteGuard prev;
  size_t off = 0;
  do {
    PageWriteGuard g;
    Status s = pool->AllocatePage(mtr, PageType::kOverflow, 0, &g);
    if (!s.ok()) return s;
    size_t n = std::min(cap, data.size() - off);
    char* p = g.mutator().mutable_payload();
    EncodeFixed32(p, static_cast<uint32_t>(n));
    std::memcpy(p + 4, data.data() + off, n);
    off += n;
    if (prev.valid()) {
      prev.mutator().set_next(g.id());
    } else {
      ref->first_page = g.id();
    }
    prev = std::move(g);
  } while (off < data.size());
  return Status::OK();
}

namespace {

// Visits each page of the chain; fn(id, view) returns false to stop with an error already set.
template <typename Fn>
Status WalkChain(BufferPool* pool, MiniTxn* mtr, const OverflowRef& ref, Fn fn) {
  const size_t cap = OverflowCapacity(pool->page_size());
  const uint64_t max_pages = ref.length / cap + 1;
  PageId id = ref.first_page;
  uint64_t seen = 0;
  uint64_t bytes = 0;
  while (true) {
    if (id < kFirstDataPageId || ++seen > max_pages) {
      return Status::Corruption("bad overflow chain", "page " + std::to_string(id) +
                                                          " (chain from page " +
                                                          std::to_string(ref.first_page) + ")");
    }
    PageReadGuard rg;
    PageWriteGuard wg;
    const char* data;
    Status s;
    if (mtr != nullptr && mtr->FindPage(id) >= 0) {
      s = pool->FetchWrite(id, mtr, &wg);
      data = wg.logged_data();
    } else {
      s = pool->FetchRead(id, &rg);
      data = rg.data();
    }
    if (!s.ok()) return s;
    PageView v(data, pool->page_size());
    uint32_t n = DecodeFixed32(v.payload());
    if (v.type() != PageType::kOverflow || n > cap || bytes + n > ref.length) {
      return Status::Corruption("bad overflow page", "page " + std::to_string(id));
    }
    fn(id, std::string_view(v.payload() + 4, n));
    bytes += n;
    PageId next = v.next();
    if (bytes == ref.length) break;
    id = next;
  }
  return Status::OK();
}

}  // namespace

Status ReadOverflow(BufferPool* pool, MiniTxn* mtr, const OverflowRef& ref, std::string* out) {
  out->clear();
  out->reserve(ref.length);
  return WalkChain(pool, mtr, ref, [&](PageId, std::string_view bytes) { out->append(bytes); });
}

Status FreeOverflow(BufferPool* pool, MiniTxn* mtr, const OverflowRef& ref) {
  std::vector<PageId> ids;
  Status s = WalkChain(pool, mtr, ref, [&](PageId id, std::string_view) { ids.push_back(id); });
  if (!s.ok()) return s;
  for (PageId id : ids) {
    s = pool->FreePage(mtr, id);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace jadedb::bplustree
