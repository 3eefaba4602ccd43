// The crash test's verifier: compares the state of a recovered DB with what the workload may
// legally have left behind.
//
// The model is the verified state of the DB before an iteration: for every key of the key
// space, the stamp of the batch whose value it holds (kAbsent when none). During an iteration
// each writer thread t commits its batches 0, 1, 2, ... in order, one at a time, on its own
// slice of the keys. After a crash the DB must hold, for every thread, the model updated by a
// PREFIX of that thread's batches whose length lies in [min_batches, max_batches]:
//  - min_batches counts the batches that must have survived (every acknowledged one after a
//    process kill; the sync-acknowledged ones and everything acknowledged before them after a
//    power loss), so an acknowledged write that is missing is a violation;
//  - max_batches adds the batch that may have been in flight (written but not acknowledged);
//  - a prefix, not any subset: a batch visible without its predecessor, or a batch half visible
//    (some of its keys at the batch, others not), matches no prefix and is a violation.
// On success the model becomes the DB's state and the next iteration builds on it.
//
// Thread safety: none; one verifier per DB.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jadedb-crashtest/workload.h"
#include "jadedb/db.h"
#include "jadedb/status.h"

namespace jadedb::crashtest {

// How many of one writer thread's batches may be visible after the crash.
struct StreamBounds {
  uint32_t acked = 0;        // batches acknowledged (for messages)
  uint32_t min_batches = 0;  // must be visible
  uint32_t max_batches = 0;  // may be visible (acked + the one in flight)
};

struct VerifyStats {
  uint64_t batches_visible = 0;   // batches of the iteration found applied (sum of prefixes)
  uint64_t batches_required = 0;  // sum of min_batches: acknowledged batches proven present
  uint64_t unacked_visible = 0;   // in-flight batches that turned out committed
  uint64_t keys_present = 0;      // keys of the key space present after recovery
};

// Reads every key of db into actual (one stamp per key index; kAbsent when absent) and checks
// each value byte for byte. Probe keys are skipped. Corruption for a key outside the workload,
// a damaged value or an iterator error.
Status ScanDB(DB* db, uint32_t key_space, std::vector<uint64_t>* actual);

class Verifier {
 public:
  explicit Verifier(uint32_t key_space) : model_(key_space, kAbsent) {}

  // Takes the DB's current state as the model (for a DB the tool did not create, or the first
  // open); *max_epoch is the largest epoch of any stamp found (0 for an empty DB).
  Status LoadFrom(DB* db, uint32_t* max_epoch);

  // Checks the recovered state `actual` against the model and the bounds of each thread of the
  // iteration `params` (bounds.size() == params.threads). On success the model becomes actual;
  // on failure the Status (Corruption) says which keys differ from the closest legal state,
  // which batches wrote them and whether those were acknowledged and synced.
  Status VerifyIteration(const IterationParams& params, const std::vector<StreamBounds>& bounds,
                         const std::vector<uint64_t>& actual, VerifyStats* stats);

  const std::vector<uint64_t>& model() const { return model_; }

 private:
  Status VerifyStream(const IterationParams& params, int thread, const StreamBounds& bounds,
                      const std::vector<uint64_t>& actual, VerifyStats* stats);

  std::vector<uint64_t> model_;
};

}  // namespace jadedb::crashtest
