// FindInMappedLeaf: a point lookup in a leaf page read straight from a segment's read map
// (PageFile::BeginMappedRead), outside the buffer pool.
//
// Such a page was verified when it was first read at its current sequence, but a write of the
// page may start while the search runs (the seqlock in PageFile tells the caller afterwards),
// so the bytes seen may mix two versions. The search therefore bounds every offset and length
// it reads by the page, trusting nothing, and the caller discards its answer unless
// PageFile::EndMappedRead confirms no write overlapped it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace jadedb::bplustree {

enum class MappedLeafResult {
  kFound,     // key is in the leaf; *value holds its (inline) value
  kNotFound,  // key is not in the leaf
  kUnsure,    // not decided here (an overflowed key or value, or bytes out of bounds): use
              // the buffer pool
};

MappedLeafResult FindInMappedLeaf(const char* page, size_t page_size, std::string_view key,
                                  std::string* value);

}  // namespace jadedb::bplustree
