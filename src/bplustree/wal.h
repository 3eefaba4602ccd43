// Wal: the B+tree engine's write-ahead log. Records get consecutive LSNs (1, 2, ...), are
// framed with a masked CRC32C and appended to segment files wal-NNNNNN.log, which rotate at
// wal_segment_bytes. Format: docs/formats/bplustree-wal.md.
//
// Append() puts a group of records (one mini-transaction) into an in-memory buffer under the
// WAL mutex, so a group is contiguous; FlushTo(lsn) makes everything up to lsn durable with
// group commit: one thread (the leader) writes and fsyncs the whole buffer while later
// committers wait, so concurrent committers share one fsync.
//
// Thread safety: all methods are thread-safe. The under_lock callback of Append runs with
// the WAL mutex held; it may take buffer-pool partition mutexes (lock order: Wal -> partition)
// but must not call back into the Wal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bplustree/page.h"
#include "bplustree/wal_record.h"
#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

inline constexpr uint32_t kWalMagic = 0x4c41574a;  // "JWAL"
inline constexpr uint32_t kWalVersion = 1;
inline constexpr size_t kWalSegmentHeaderSize = 32;
inline constexpr size_t kWalRecordHeaderSize = 25;  // crc u32, len u32, type u8, lsn, txn

class Wal {
 public:
  static std::string SegmentName(uint64_t number);  // "wal-000007.log"

  // Starts a new segment numbered segment_number whose first record gets LSN next_lsn.
  // known_segments: existing segment number -> first LSN (from ReadLog), for deletion.
  static Status Open(Env* env, const std::string& dir, uint64_t segment_bytes,
                     uint64_t segment_number, Lsn next_lsn, std::map<uint64_t, Lsn> known_segments,
                     std::unique_ptr<Wal>* result);
  ~Wal();

  // Assigns consecutive LSNs to records (in order), buffers them, then calls under_lock
  // (if any) with the first and last LSN while still holding the WAL mutex.
  Status Append(std::vector<WalRecord>* records,
                const std::function<void(Lsn first, Lsn last)>& under_lock = nullptr);
  // Returns once every record with LSN <= lsn is durable.
  Status FlushTo(Lsn lsn);
  // Returns once every record with LSN <= lsn has been handed to the OS (written, not
  // fsynced): it then survives a crash of the process, though not a power loss. Non-sync
  // commits call this, so the engine keeps the same promise as WriteOptions::sync = false.
  Status WriteTo(Lsn lsn);
  // Flushes everything appended so far.
  Status Sync();

  Lsn last_lsn() const;     // LSN of the last appended record (0 if none ever)
  Lsn durable_lsn() const;  // every record <= this is durable
  uint64_t bytes_appended() const;
  uint64_t syncs() const;

  // Deletes segments all of whose records have LSN < lsn (never the current one). When a
  // deletion fails, that segment and the later doomed ones stay listed (a later call retries)
  // and the error is returned.
  Status RemoveSegmentsBefore(Lsn lsn);
  size_t segment_count() const;

  // Reads the log of dir from LSN `from` in order, calling fn for each record with
  // lsn >= from. Stops at the end of the valid log (a torn tail ends it quietly; a gap between
  // segments or a bad record followed by more segments is Corruption naming file and offset).
  // *end_lsn gets the last valid LSN (or from - 1), *last_segment the highest segment number
  // seen (0 if none), *segments every segment's first LSN.
  static Status ReadLog(Env* env, const std::string& dir, Lsn from,
                        const std::function<Status(const WalRecord&)>& fn, Lsn* end_lsn,
                        uint64_t* last_segment, std::map<uint64_t, Lsn>* segments);

 private:
  Wal(Env* env, std::string dir, uint64_t segment_bytes);
  Status OpenSegment(uint64_t number, Lsn first_lsn);
  // Writes (and with sync, fsyncs) everything buffered up to at least lsn.
  Status WriteOut(Lsn lsn, bool sync);

  Env* const env_;
  const std::string dir_;
  const uint64_t segment_bytes_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string buffer_;  // encoded records not yet written
  Lsn next_lsn_ = 1;    // LSN of the next appended record
  Lsn durable_lsn_ = 0;
  Lsn written_lsn_ = 0;  // every record <= this is in the file (maybe not durable)
  bool leader_active_ = false;
  Status bg_error_;  // a failed write/sync poisons the log
  uint64_t bytes_appended_ = 0;
  uint64_t syncs_ = 0;

  // Owned by the leader (the thread with leader_active_ set).
  std::unique_ptr<WritableFile> file_;
  uint64_t segment_number_ = 0;
  uint64_t segment_size_ = 0;
  std::map<uint64_t, Lsn> segments_;  // number -> first LSN (guarded by mu_)
};

}  // namespace jadedb::bplustree
