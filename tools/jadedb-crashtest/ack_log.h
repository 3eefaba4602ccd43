// The acknowledgement log of a killed writer process, and the bounds the verifier derives from
// acknowledgements.
//
// A writer child appends one 16-byte record per batch AFTER DB::Write returned OK: fixed64
// stamp, fixed32 flags (bit 0: the batch was sync), fixed32 masked CRC32C of the first 12
// bytes. The file is opened with O_APPEND and written with one write(2) per record and never
// fsynced: the test kills the process, not the machine, and a SIGKILL loses nothing already
// handed to the kernel, so the log holds exactly the batches acknowledged before the kill
// (at most the record being written at the kill instant is torn; it is dropped on reading, and
// its batch counts as in flight). The power-loss mode runs in one process and keeps its
// acknowledgements in memory, which the simulated power loss does not touch, so there too the
// record is exact and no fsync is needed.
//
// Thread safety: AckLogWriter::Acked may be called from several threads (one write(2) each).
#pragma once

#include <string>
#include <vector>

#include "jadedb-crashtest/runner.h"
#include "jadedb-crashtest/verifier.h"

namespace jadedb::crashtest {

inline constexpr size_t kAckRecordSize = 16;

class AckLogWriter final : public AckSink {
 public:
  AckLogWriter() = default;
  ~AckLogWriter() override;
  AckLogWriter(const AckLogWriter&) = delete;
  AckLogWriter& operator=(const AckLogWriter&) = delete;

  // Creates (truncates) path.
  Status Open(const std::string& path);
  void Acked(const Ack& ack) override;

 private:
  int fd_ = -1;
};

// Reads the records of an ack log (start/ack ticks are left 0). A damaged record before the
// last one is Corruption naming the offset; a torn last record is dropped.
Status ReadAckLog(const std::string& path, std::vector<Ack>* acks);

// Derives each writer thread's StreamBounds from the acknowledgements of one iteration.
// After a kill (power_loss false) every acknowledged batch must be visible. After a power loss
// the batches that must be visible are the sync-acknowledged ones and every batch acknowledged
// before some sync batch was submitted (the engine's commit order puts it first, and syncing
// a write makes everything before it durable). Either way the one batch each thread may have
// had in flight may be visible too. Corruption when a thread's acknowledgements are not
// 0, 1, 2, ... (the log itself is wrong).
Status ComputeBounds(const IterationParams& params, const std::vector<Ack>& acks, bool power_loss,
                     std::vector<StreamBounds>* bounds);

}  // namespace jadedb::crashtest
