// SnapshotList: the live snapshots of an LSM DB, oldest first. Compaction keeps every version
// of a key that some snapshot may still read. Guarded by the DB mutex.
#pragma once

#include <cstdint>
#include <list>

#include "jadedb/db.h"
#include "lsm/base/dbformat.h"

namespace jadedb::lsm {

class SnapshotImpl final : public Snapshot {
 public:
  explicit SnapshotImpl(SequenceNumber seq) : sequence_(seq) {}
  ~SnapshotImpl() override = default;
  SequenceNumber sequence() const { return sequence_; }

 private:
  friend class SnapshotList;
  SequenceNumber sequence_;
  std::list<SnapshotImpl*>::iterator position_;
};

class SnapshotList {
 public:
  SnapshotList() = default;
  SnapshotList(const SnapshotList&) = delete;
  SnapshotList& operator=(const SnapshotList&) = delete;
  ~SnapshotList() {
    for (SnapshotImpl* s : list_) delete s;
  }

  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  SequenceNumber oldest() const { return list_.front()->sequence(); }
  SequenceNumber newest() const { return list_.back()->sequence(); }

  // Sequences only grow, so appending keeps the list ordered.
  SnapshotImpl* New(SequenceNumber seq) {
    auto* s = new SnapshotImpl(seq);
    list_.push_back(s);
    s->position_ = std::prev(list_.end());
    return s;
  }
  void Delete(const SnapshotImpl* s) {
    list_.erase(s->position_);
    delete s;
  }

 private:
  std::list<SnapshotImpl*> list_;
};

}  // namespace jadedb::lsm
