// The crash test's workload: a bounded key space, values that describe themselves, and
// WriteBatches whose contents are a pure function of (iteration seed, stamp), so the process
// that verifies a DB can regenerate every batch a killed writer may have committed without the
// writer ever recording what it wrote. Only the acknowledgements are recorded (see ack_log.h).
//
// A batch is named by its stamp: epoch (one per iteration, increasing over the life of a DB) |
// sequence number within its writer thread | writer thread. Within an epoch every writer thread
// owns a disjoint slice of the key space, so two batches that touch the same key are ordered
// by (epoch, sequence), which is exactly the numeric order of their stamps.
//
// Every value is Value(stamp, key): the bytes are derived from the stamp and the key, and the
// stamp is stored in the first 8 bytes, so one read tells which batch wrote a key and whether
// the value is intact. Stamp 0 means "absent".
//
// Thread safety: everything here is a pure function or an immutable value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jadedb/options.h"

namespace jadedb::crashtest {

inline constexpr uint64_t kAbsent = 0;
inline constexpr int kMaxThreads = 8;
inline constexpr uint64_t kMaxLargeValue = 256 << 10;

// splitmix64: mixes a 64-bit value into a well-distributed one.
uint64_t Mix64(uint64_t x);

inline uint64_t MakeStamp(uint32_t epoch, uint32_t seq, uint32_t thread) {
  return (uint64_t{epoch & 0xffffff} << 40) | (uint64_t{seq} << 8) | (thread & 0xff);
}
inline uint32_t StampEpoch(uint64_t stamp) { return static_cast<uint32_t>(stamp >> 40); }
inline uint32_t StampSeq(uint64_t stamp) { return static_cast<uint32_t>(stamp >> 8); }
inline uint32_t StampThread(uint64_t stamp) { return static_cast<uint32_t>(stamp & 0xff); }
// "e3/t1/s42" for messages.
std::string StampString(uint64_t stamp);

// The key of index i: "key00000042". Keys sort in index order.
std::string KeyOf(uint32_t index);
// Parses KeyOf's format; false for any other key.
bool ParseKey(std::string_view key, uint32_t* index);
// Keys with this prefix are written by the "accepts writes again" probe, not the workload.
inline constexpr std::string_view kProbePrefix = "~probe";

// The value batch `stamp` writes to key `index`: 8 bytes stamp, 4 bytes key index, then bytes
// derived from both. Mostly 12..300 bytes; 1 in 60 is large (4 KiB..256 KiB). The length
// depends only on (stamp, index), so a value can be checked without the iteration's parameters.
std::string Value(uint64_t stamp, uint32_t index);
// Parses the stamp of a value and checks that the value is exactly Value(stamp, index).
// False (with *why) when the value is not one the workload could have written for this key.
bool CheckValue(std::string_view value, uint32_t index, uint64_t* stamp, std::string* why);

// The parameters of one iteration, all derived from its seed so that the writer and the
// verifier agree without talking.
struct IterationParams {
  uint64_t seed = 0;
  uint32_t epoch = 1;
  uint32_t key_space = 4096;
  int threads = 1;             // writer threads; thread t owns keys [Begin(t), End(t))
  int sync_percent = 20;       // batches written with WriteOptions::sync
  int delete_percent = 20;     // of the operations in a batch
  int flush_per_mille = 3;     // after a batch, a writer may call Flush / CompactRange
  bool range_deletes = false;  // see GenerateBatch
  LsmOptions lsm;

  uint32_t Begin(int thread) const {
    return static_cast<uint32_t>(uint64_t{key_space} * thread / threads);
  }
  uint32_t End(int thread) const { return Begin(thread + 1); }
};

// Derives every parameter from seed, epoch and key_space. max_threads caps the writer count.
IterationParams MakeIterationParams(uint64_t seed, uint32_t epoch, uint32_t key_space,
                                    int max_threads);
// Small buffers and levels so that flushes and compactions happen all the time.
Options CrashTestOptions(const IterationParams& params, EngineType engine);
// One line describing the parameters, for --verbose.
std::string ParamsString(const IterationParams& params);

struct BatchOp {
  enum Kind { kPut, kDelete, kDeleteRange };
  Kind kind;
  uint32_t key;      // first key
  uint32_t key_end;  // kDeleteRange: one past the last key
};

struct Batch {
  uint64_t stamp = 0;
  bool sync = false;
  std::vector<BatchOp> ops;  // applied in order; a later op on the same key wins
};

// The batch writer `thread` writes as its seq-th batch in this iteration. Keys stay in the
// thread's slice. kDeleteRange ops are only generated when params.range_deletes is set, which
// the tool refuses while WriteBatch has no DeleteRange (the verifier already models them).
Batch GenerateBatch(const IterationParams& params, int thread, uint32_t seq);

}  // namespace jadedb::crashtest
