// Linked into every test binary that writes B+tree pages (tests/CMakeLists.txt): turns on the
// verification of the mini-transaction change logs (MiniTxn::SetVerifyChangeLogs), so each
// test that writes proves the page writers report every byte they change.
#include "bplustree/mini_txn.h"

namespace {
const bool kVerifyOn = [] {
  jadedb::bplustree::MiniTxn::SetVerifyChangeLogs(true);
  return true;
}();
}  // namespace
