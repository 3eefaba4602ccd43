// Fuzz target: the B+tree page checks and node parser (src/bplustree/page.*, node.*): page
// verification and node validation, then for a node that passes, key searches, a walk over
// every slot, the overflow references of its cells, and modifications of the node (docs/formats/
// bplustree-page.md, bplustree-node.md).
//
// Input: byte 0 holds options, the rest is one page (zero-padded or cut to the page size).
//   bit 0: page size 8 KiB instead of 4 KiB
//   bit 1: reseal: fill in the page's checksums (SealPage) and expect the id it claims, so the
//          structural checks and the node parser are reached; without it nearly every mutated
//          page stops at the checksum, as it should
//   bit 2: also decode the page as a meta page
// Checks: a page that fails VerifyPage, or whose node fails Node::Validate (the checks the
// tree's `check` applies), is Corruption naming the page id; a node that passes can be
// searched and walked without reading outside it, every overflow reference it holds is well
// formed, and it still passes after cells are removed, inserted, replaced and compacted.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bplustree/node.h"
#include "bplustree/page.h"
#include "bplustree/page_file.h"
#include "fuzz_check.h"
#include "iterator_exercise.h"

namespace jadedb::bplustree {
namespace {

constexpr char kFileName[] = "data-000000.jdb";

// Stands in for reading an overflow chain: the tree's loader returns Corruption for a bad
// chain, and otherwise a key of the recorded length.
Status FakeLoader(const OverflowRef& ref, std::string* out) {
  if (ref.first_page < kFirstDataPageId) return Status::Corruption("bad overflow chain");
  out->assign(std::min<uint32_t>(ref.length, 1024), 'k');
  return Status::OK();
}

Status Verify(const std::string& page, PageId id) {
  return VerifyPage(page.data(), page.size(), id, kFileName, id * page.size());
}

void WalkNode(const Node& node, std::string_view input) {
  const bool leaf = node.is_leaf();
  std::vector<std::string> keys;
  for (int i = 0; i < node.count(); i++) {
    fuzz::TouchBytes(node.Cell(i));
    fuzz::TouchBytes(node.KeyPrefix(i));
    FUZZ_CHECK(node.CellSize(i) == node.Cell(i).size());
    if (node.key_overflow(i)) {
      const OverflowRef ref = node.KeyRef(i);
      fuzz::TouchBytes(std::string_view(reinterpret_cast<const char*>(&ref), sizeof(ref)));
    }
    if (leaf && node.value_overflow(i)) {
      (void)node.ValueRef(i);
    } else if (leaf) {
      fuzz::TouchBytes(node.raw_value(i));
    } else {
      (void)node.child(i);
    }
    std::string key;
    if (node.FullKey(i, FakeLoader, &key).ok()) keys.push_back(std::move(key));
  }
  for (const std::string& target : fuzz::SeekTargets(keys, input)) {
    Status s;
    bool found = false;
    const int pos = node.LowerBound(target, FakeLoader, &found, &s);
    FUZZ_CHECK(pos >= 0 && pos <= node.count());
    if (!leaf && node.count() > 0) {
      Status cs;
      const int child = node.ChildIndex(target, FakeLoader, &cs);
      FUZZ_CHECK(child >= 0 && child < node.count());
    }
  }
}

// Removes, inserts and compacts cells the way the tree does; the page must stay valid.
void ModifyNode(std::string page, PageId id, std::string_view input) {
  const size_t size = page.size();
  Node node(page.data() + kPageHeaderSize, PayloadSize(size));
  PageMutator m(page.data(), size);
  auto check = [&]() {
    m.set_record_count(static_cast<uint16_t>(node.count()));
    SealPage(page.data(), size);
    FUZZ_CHECK(Verify(page, id).ok());
    FUZZ_CHECK(node.Validate("page " + std::to_string(id)).ok());
  };
  if (node.count() > 0) {
    node.RemoveCell(static_cast<int>(input.size() % node.count()));
    check();
  }
  const std::string cell =
      node.is_leaf()
          ? Node::EncodeCell(0, input.substr(0, std::min<size_t>(input.size(), 40)), "value")
          : Node::EncodeInternalCell(0, input.substr(0, std::min<size_t>(input.size(), 40)), 7);
  if (node.Fits(cell.size())) {
    FUZZ_CHECK(node.InsertCell(node.count() / 2, cell));
    check();
  }
  if (node.count() > 0) {
    const std::string replacement = std::string(node.Cell(0));
    FUZZ_CHECK(node.ReplaceCell(0, replacement));
    check();
  }
  node.Compact();
  check();
}

}  // namespace
}  // namespace jadedb::bplustree

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace jadedb;             // NOLINT(build/namespaces)
  using namespace jadedb::bplustree;  // NOLINT(build/namespaces)
  if (size == 0) return 0;
  const size_t page_size = (data[0] & 1) ? 8192 : 4096;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string page(input.substr(0, page_size));
  page.resize(page_size, '\0');

  PageId id = kFirstDataPageId + 3;
  if (data[0] & 2) {
    id = PageView(page.data(), page_size).id();
    SealPage(page.data(), page_size);
  }
  if (data[0] & 4) {
    MetaPage meta;
    const Status ms = DecodeMetaPage(page.data(), page_size, id, &meta);
    FUZZ_CHECK(ms.ok() || ms.IsCorruption() || ms.IsNotSupported());
  }
  const Status s = Verify(page, id);
  if (!s.ok()) {
    FUZZ_CHECK(s.IsCorruption());
    FUZZ_CHECK(s.ToString().find("page " + std::to_string(id)) != std::string::npos);
    return 0;
  }
  const PageView view(page.data(), page_size);
  if (view.type() != PageType::kLeaf && view.type() != PageType::kInternal) return 0;
  // The structural checks the tree's `check` applies before trusting a node (tree_check.cc).
  const bool leaf = view.type() == PageType::kLeaf;
  if ((view.level() == 0) != leaf) return 0;
  const Node node(page.data() + kPageHeaderSize, PayloadSize(page_size));
  const Status vs = node.Validate("page " + std::to_string(id));
  if (!vs.ok()) {
    FUZZ_CHECK(vs.IsCorruption());
    FUZZ_CHECK(vs.ToString().find("page " + std::to_string(id)) != std::string::npos);
    return 0;
  }
  if (node.is_leaf() != leaf) return 0;
  WalkNode(node, input.substr(std::min(input.size(), page_size)));
  ModifyNode(page, id, input.substr(std::min(input.size(), page_size)));
  return 0;
}
