// Tree::Check: the structural walk behind `jadedb check` and VerifyChecksums.
#include <algorithm>
#include <cassert>
#include <cstring>

#include "bplustree/tree.h"
#include "bplustree/tree_internal.h"

namespace jadedb::bplustree {

using namespace tree_internal;  // NOLINT(build/namespaces): this file's own helpers

// ---------------------------------------------------------------------------------------------
// Check

Status Tree::CheckNode(PageId id, int expect_level, const std::string* lo, const std::string* hi,
                       std::vector<PageId>* leaves, TreeStats* stats, std::string* report) {
  std::vector<std::pair<std::string, PageId>> children;
  {
    PageReadGuard g;
    Status s = pool_->FetchRead(id, &g);
    if (!s.ok()) return s;
    PageView v = g.view();
    const std::string where = engine_->dir() + " " + PageName(id);
    if (expect_level >= 0 && v.level() != expect_level) {
      return Status::Corruption("B+tree level mismatch", where);
    }
    bool leaf = v.level() == 0;
    if (v.type() != (leaf ? PageType::kLeaf : PageType::kInternal)) {
      return Status::Corruption("B+tree page type does not match its level", where);
    }
    Node n = NodeOf(g.data(), page_size_);
    s = n.Validate(where);
    if (!s.ok()) return s;
    if (n.is_leaf() != leaf) return Status::Corruption("node kind disagrees with page", where);
    if (!leaf && n.count() == 0) return Status::Corruption("empty internal node", where);
    if (v.record_count() != n.count()) {
      return Status::Corruption("record count in header disagrees with node", where);
    }
    KeyLoader loader = ReadLoader();
    std::string prev;
    for (int i = 0; i < n.count(); i++) {
      std::string key;
      s = n.FullKey(i, loader, &key);
      if (!s.ok()) return s;
      if (!leaf && i == 0) {
        if (!key.empty()) return Status::Corruption("first internal key not empty", where);
      } else {
        if (i > (leaf ? 0 : 1) && !(prev < key)) {
          return Status::Corruption("keys out of order", where + " slot " + std::to_string(i));
        }
        if (lo != nullptr && key < *lo) {
          return Status::Corruption("key below its separator", where);
        }
        if (hi != nullptr && !(key < *hi)) {
          return Status::Corruption("key at or above the next separator", where);
        }
      }
      if (leaf) {
        stats->entries++;
        if (n.value_overflow(i)) {
          stats->overflow_pages += n.ValueRef(i).length / OverflowCapacity(page_size_) + 1;
        }
      } else {
        children.emplace_back(key, n.child(i));
      }
      prev = std::move(key);
    }
    if (leaf) {
      stats->leaf_pages++;
      leaves->push_back(id);
      return Status::OK();
    }
    stats->internal_pages++;
    expect_level = v.level() - 1;
  }
  for (size_t i = 0; i < children.size(); i++) {
    const std::string* clo = i == 0 ? lo : &children[i].first;
    const std::string* chi = i + 1 < children.size() ? &children[i + 1].first : hi;
    Status s = CheckNode(children[i].second, expect_level, clo, chi, leaves, stats, report);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Tree::Check(std::string* report, TreeStats* out_stats) {
  TreeStats stats;
  std::vector<PageId> leaves;
  PageId root = engine_->RootPageId();
  if (root == kInvalidPageId) return Status::Corruption("B+tree has no root", engine_->dir());
  Status s = CheckNode(root, -1, nullptr, nullptr, &leaves, &stats, report);
  if (!s.ok()) return s;
  // Leaf links must chain the leaves in key order, both ways.
  for (size_t i = 0; i < leaves.size(); i++) {
    PageReadGuard g;
    s = pool_->FetchRead(leaves[i], &g);
    if (!s.ok()) return s;
    PageId want_prev = i == 0 ? kInvalidPageId : leaves[i - 1];
    PageId want_next = i + 1 == leaves.size() ? kInvalidPageId : leaves[i + 1];
    if (g.view().prev() != want_prev || g.view().next() != want_next) {
      return Status::Corruption("broken leaf links", engine_->dir() + " " + PageName(leaves[i]));
    }
  }
  stats.height = Height();
  if (report != nullptr) {
    *report += "tree: height " + std::to_string(stats.height) + ", " +
               std::to_string(stats.internal_pages) + " internal pages, " +
               std::to_string(stats.leaf_pages) + " leaf pages, " + std::to_string(stats.entries) +
               " entries: OK\n";
  }
  if (out_stats != nullptr) *out_stats = stats;
  return Status::OK();
}

}  // namespace jadedb::bplustree
