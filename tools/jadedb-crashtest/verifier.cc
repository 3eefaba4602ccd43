#include "jadedb-crashtest/verifier.h"

#include <algorithm>
#include <memory>
#include <set>

namespace jadedb::crashtest {

Status ScanDB(DB* db, uint32_t key_space, std::vector<uint64_t>* actual) {
  actual->assign(key_space, kAbsent);
  ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  std::unique_ptr<Iterator> it = db->NewIterator(ro);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key = it->key();
    if (key.substr(0, kProbePrefix.size()) == kProbePrefix) continue;
    uint32_t index;
    if (!ParseKey(key, &index) || index >= key_space) {
      return Status::Corruption("scan", "key '" + std::string(key) + "' was never written");
    }
    uint64_t stamp;
    std::string why;
    if (!CheckValue(it->value(), index, &stamp, &why)) {
      return Status::Corruption("scan", "key " + std::string(key) + ": " + why);
    }
    (*actual)[index] = stamp;
  }
  if (!it->status().ok()) {
    return Status::Corruption("scan", "iterator failed: " + it->status().ToString());
  }
  return Status::OK();
}

Status Verifier::LoadFrom(DB* db, uint32_t* max_epoch) {
  Status s = ScanDB(db, static_cast<uint32_t>(model_.size()), &model_);
  *max_epoch = 0;
  for (uint64_t stamp : model_) {
    if (stamp != kAbsent) *max_epoch = std::max(*max_epoch, StampEpoch(stamp));
  }
  return s;
}

namespace {

// Applies batch b to the expected state of one slice (indexes relative to `begin`).
void Apply(const Batch& b, uint32_t begin, std::vector<uint64_t>* expected) {
  for (const BatchOp& op : b.ops) {
    switch (op.kind) {
      case BatchOp::kPut:
        (*expected)[op.key - begin] = b.stamp;
        break;
      case BatchOp::kDelete:
        (*expected)[op.key - begin] = kAbsent;
        break;
      case BatchOp::kDeleteRange:
        for (uint32_t k = op.key; k < op.key_end; k++) (*expected)[k - begin] = kAbsent;
        break;
    }
  }
}

// The keys a batch touches, without duplicates.
std::vector<uint32_t> TouchedKeys(const Batch& b) {
  std::set<uint32_t> keys;
  for (const BatchOp& op : b.ops) {
    for (uint32_t k = op.key; k < op.key_end; k++) keys.insert(k);
  }
  return {keys.begin(), keys.end()};
}

}  // namespace

Status Verifier::VerifyIteration(const IterationParams& params,
                                 const std::vector<StreamBounds>& bounds,
                                 const std::vector<uint64_t>& actual, VerifyStats* stats) {
  if (bounds.size() != static_cast<size_t>(params.threads) || actual.size() != model_.size()) {
    return Status::InvalidArgument("VerifyIteration", "bounds or state of the wrong size");
  }
  for (int t = 0; t < params.threads; t++) {
    Status s = VerifyStream(params, t, bounds[t], actual, stats);
    if (!s.ok()) return s;
  }
  model_ = actual;
  for (uint64_t stamp : actual) {
    if (stamp != kAbsent) stats->keys_present++;
  }
  return Status::OK();
}

Status Verifier::VerifyStream(const IterationParams& params, int thread, const StreamBounds& bounds,
                              const std::vector<uint64_t>& actual, VerifyStats* stats) {
  const uint32_t begin = params.Begin(thread);
  const uint32_t end = params.End(thread);
  auto initial = [&] {
    return std::vector<uint64_t>(model_.begin() + begin, model_.begin() + end);
  };
  std::vector<uint64_t> expected = initial();
  size_t mismatches = 0;
  for (uint32_t k = begin; k < end; k++) mismatches += expected[k - begin] != actual[k];

  uint32_t best_p = 0;
  size_t best_mismatches = mismatches;
  for (uint32_t p = 0;; p++) {
    if (mismatches < best_mismatches) {
      best_mismatches = mismatches;
      best_p = p;
    }
    if (p >= bounds.min_batches && mismatches == 0) {
      stats->batches_visible += p;
      stats->batches_required += bounds.min_batches;
      stats->unacked_visible += p > bounds.acked ? p - bounds.acked : 0;
      return Status::OK();
    }
    if (p >= bounds.max_batches) break;
    const Batch b = GenerateBatch(params, thread, p);
    const std::vector<uint32_t> keys = TouchedKeys(b);
    for (uint32_t k : keys) mismatches -= expected[k - begin] != actual[k];
    Apply(b, begin, &expected);
    for (uint32_t k : keys) mismatches += expected[k - begin] != actual[k];
  }

  // No legal prefix: describe the difference from the state with the required prefix, which
  // names what was lost, and from the closest state, which names a torn or misplaced batch.
  auto describe = [&](uint64_t stamp) {
    std::string s = StampString(stamp);
    if (stamp == kAbsent || StampEpoch(stamp) != params.epoch) return s;
    const uint32_t seq = StampSeq(stamp);
    const Batch b = GenerateBatch(params, static_cast<int>(StampThread(stamp)), seq);
    s += b.sync ? " (sync" : " (non-sync";
    s += seq < bounds.acked ? ", acknowledged)" : ", not acknowledged)";
    return s;
  };
  auto diff_at = [&](uint32_t p) {
    std::vector<uint64_t> e = initial();
    for (uint32_t i = 0; i < p; i++) Apply(GenerateBatch(params, thread, i), begin, &e);
    std::string out;
    int shown = 0;
    for (uint32_t k = begin; k < end; k++) {
      if (e[k - begin] == actual[k]) continue;
      if (shown++ == 8) {
        out += "\n      ...";
        break;
      }
      out += "\n      " + KeyOf(k) + ": expected " + describe(e[k - begin]) + ", found " +
             describe(actual[k]);
    }
    return out;
  };
  std::string msg = "epoch " + std::to_string(params.epoch) + " writer thread " +
                    std::to_string(thread) + ": the DB matches no legal state (" +
                    std::to_string(bounds.acked) + " batches acknowledged, between " +
                    std::to_string(bounds.min_batches) + " and " +
                    std::to_string(bounds.max_batches) + " must/may be visible)";
  msg += "\n    vs. the first " + std::to_string(bounds.min_batches) +
         " batches (required):" + diff_at(bounds.min_batches);
  if (best_p != bounds.min_batches && best_mismatches == 0) {
    msg += "\n    the DB is exactly the state after the first " + std::to_string(best_p) +
           " batches: the last " + std::to_string(bounds.min_batches - best_p) +
           " required batches are lost, the rest is consistent";
  } else if (best_p != bounds.min_batches) {
    msg += "\n    vs. the closest state, the first " + std::to_string(best_p) +
           " batches:" + diff_at(best_p);
  }
  return Status::Corruption("crash test violation", msg);
}

}  // namespace jadedb::crashtest
