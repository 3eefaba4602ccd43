// Overflow chains: keys and values too large to stay inline in a node live in a chain of
// kOverflow pages linked through the page header's next field. Each page's payload is
// [u32 bytes used][bytes] (docs/formats/bplustree-node.md). A chain has exactly one owner
// (the cell that refers to it); moving a cell moves the ownership.
//
// Thread safety: callers hold the latch of the owning node page (shared to read, exclusive
// to write or free), which keeps the chain itself from changing underneath.
#pragma once

#include <string>
#include <string_view>

#include "bplustree/buffer_pool.h"
#include "bplustree/mini_txn.h"
#include "bplustree/node.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

// Bytes of data one overflow page holds.
inline size_t OverflowCapacity(size_t page_size) { return PayloadSize(page_size) - 4; }

// Writes data to a new chain allocated within mtr; *ref names it.
Status WriteOverflow(BufferPool* pool, MiniTxn* mtr, std::string_view data, OverflowRef* ref);

// Reads a whole chain into *out. mtr may be null; when not null, pages the mtr holds are read
// through it (a thread must not FetchRead a page its own mtr holds). Corruption naming the
// page when the chain is malformed (wrong type, bad length, too long or too short).
Status ReadOverflow(BufferPool* pool, MiniTxn* mtr, const OverflowRef& ref, std::string* out);

// Frees every page of the chain within mtr.
Status FreeOverflow(BufferPool* pool, MiniTxn* mtr, const OverflowRef& ref);

}  // namespace jadedb::bplustree
