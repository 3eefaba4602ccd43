// WorkloadRunner: the writer side of the crash test. Runs IterationParams::threads threads on
// an open DB; thread t writes GenerateBatch(params, t, 0), (t, 1), ... one after the other and
// reports each batch to an AckSink right AFTER DB::Write returned OK, never before, so an
// acknowledgement always means "the DB promised this write". Now and then a thread also calls
// Flush or CompactRange on its slice to add background work.
//
// Thread safety: Start/Stop from one controlling thread; the sink is called from the writer
// threads concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jadedb-crashtest/workload.h"
#include "jadedb/db.h"

namespace jadedb::crashtest {

struct Ack {
  uint64_t stamp = 0;
  bool sync = false;
  // Ticks of a counter shared by all writer threads, taken just before DB::Write was called
  // and just after it returned: if ack.ack_tick < other.start_tick, `ack` was acknowledged
  // before `other` was submitted, so it precedes `other` in the engine's commit order.
  uint64_t start_tick = 0;
  uint64_t ack_tick = 0;
};

class AckSink {
 public:
  virtual ~AckSink() = default;
  // Called once per acknowledged batch, from the writer thread. Must be thread-safe.
  virtual void Acked(const Ack& ack) = 0;
};

class WorkloadRunner {
 public:
  WorkloadRunner(DB* db, const IterationParams& params, AckSink* sink);
  ~WorkloadRunner();  // stops the threads
  WorkloadRunner(const WorkloadRunner&) = delete;
  WorkloadRunner& operator=(const WorkloadRunner&) = delete;

  void Start();
  // Asks the threads to stop after their current batch and joins them.
  void Stop();
  // True once a thread stopped because a DB call failed.
  bool failed() const { return failed_.load(); }
  // The first failure ("thread 1 batch e2/t1/s17: IOError: ..."), empty when none.
  std::string first_error() const;
  uint64_t batches_acked() const { return acked_.load(); }

 private:
  void Run(int thread);
  void Fail(const std::string& what);

  DB* const db_;
  const IterationParams params_;
  AckSink* const sink_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> ticks_{1};
  std::atomic<uint64_t> acked_{0};
  mutable std::mutex mu_;
  std::string first_error_;  // guarded by mu_
};

// Builds the WriteBatch of b; NotSupported for a kDeleteRange op (WriteBatch has none yet).
Status BuildWriteBatch(const Batch& b, WriteBatch* wb);

}  // namespace jadedb::crashtest
