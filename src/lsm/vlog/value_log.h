// ValueLog: the value-log segments of one LSM DB (WiscKey-style value separation). Large
// values are appended to the active segment; the LSM tree stores a ValuePointer instead.
// Segments are NNNNNN.vlog files (numbers from the DB's file-number counter), immutable once
// rotated, and deleted only by value-log GC (lsm_vlog_gc.cc) when nothing can reach them.
//
// Thread safety: Read, Pin, Segments, Stats and RemoveSegment may be called concurrently with
// everything. AddRecords, Flush and Sync are called by one writer at a time (the LSM write
// leader), concurrently with the readers. An internal mutex guards the segment map, which is
// copy-on-write so readers and pinned iterators never block the writer for long.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jadedb/env.h"
#include "lsm/vlog/vlog_format.h"

namespace jadedb::lsm::vlog {

// One open segment, read with positional reads (safe from many threads). The open file
// descriptor keeps the data readable even after GC unlinks the file, which is what lets an
// iterator that pinned the segment finish.
class SegmentReader {
 public:
  // Opens fname and checks its header (Corruption on a bad one).
  static Status Open(Env* env, const std::string& fname, uint64_t number,
                     std::shared_ptr<SegmentReader>* result);

  // Reads and verifies the record p points at; Corruption naming file and offset when it is
  // torn or damaged, or when its key is not `expected_key` (unless that is null).
  Status Read(const ValuePointer& p, const std::string_view* expected_key, std::string* key,
              std::string* value) const;
  // Walks the records in file order until the end or the first torn/damaged record (the
  // valid end), calling fn(pointer, key, value); fn returns false to stop. *valid_end (when
  // non-null) receives the offset where the walk stopped. With verify false only headers and
  // keys are read (value is empty, no CRC check): a cheap walk for sampling.
  Status Scan(
      const std::function<bool(const ValuePointer&, std::string_view, std::string_view)>& fn,
      bool verify, uint64_t* valid_end) const;
  // Checks the segment header and the CRC of every record, for DB::VerifyChecksums. A torn
  // tail ends the walk and is not an error: its bytes go to *torn_bytes. A tail is torn when
  // a record ends beyond file_size (an append cut short, or one in progress on the active
  // segment), or when a damaged record is followed by no valid record up to file_size (a
  // power loss leaves the unsynced end of the then-active segment as garbage or zeros, and
  // nothing after it was ever durable, so nothing can point there). A damaged record with a
  // valid one after it is Corruption naming the file and the damaged record's offset.
  Status Verify(uint64_t file_size, uint64_t* records, uint64_t* torn_bytes) const;
  // Current file size (the segment may still grow while active).
  Status FileSize(Env* env, uint64_t* size) const { return env->GetFileSize(fname_, size); }

  uint64_t number() const { return number_; }

  const std::string& fname() const { return fname_; }

 private:
  // True when a record with a valid CRC starts anywhere in [from, file_size).
  Status AnyValidRecordIn(uint64_t from, uint64_t file_size, bool* found) const;

  SegmentReader(std::string fname, uint64_t number, std::unique_ptr<RandomAccessFile> file)
      : fname_(std::move(fname)), number_(number), file_(std::move(file)) {}
  std::string fname_;
  uint64_t number_;
  std::unique_ptr<RandomAccessFile> file_;
};

using SegmentMap = std::map<uint64_t, std::shared_ptr<SegmentReader>>;

struct ValueLogStats {
  uint64_t segments = 0;
  uint64_t bytes = 0;           // on disk, all segments
  uint64_t bytes_appended = 0;  // since open
  uint64_t records_appended = 0;
  uint64_t garbage_bytes = 0;  // accounted since open (AddGarbage), in existing segments
};

// A sealed segment worth collecting: its accounted garbage over its size.
struct GcCandidate {
  uint64_t number = 0;
  double garbage_ratio = 0.0;
};

class ValueLog {
 public:
  // new_file_number hands out a fresh number from the DB's counter (may take the DB mutex:
  // never call AddRecords with it held).
  ValueLog(Env* env, std::string dbname, uint64_t segment_size,
           std::function<uint64_t()> new_file_number);
  ValueLog(const ValueLog&) = delete;
  ValueLog& operator=(const ValueLog&) = delete;
  ~ValueLog();

  // Opens the segments among `names` (a listing of the DB directory). A segment too short to
  // hold its header (a crash during creation) is deleted; any other bad header is Corruption.
  // *max_number receives the highest segment number (0 if none).
  Status Open(const std::vector<std::string>& names, uint64_t* max_number);

  // Appends the records (key, value) with one file append, rotating to a new segment first
  // when the active one has reached the segment size; (*pointers)[i] locates record i. The
  // data reaches the OS (Flush) before return; sync also fsyncs it (and every earlier
  // append, so a sync write makes all earlier writes durable, as the WAL does).
  Status AddRecords(const std::vector<std::pair<std::string_view, std::string_view>>& records,
                    bool sync, std::vector<ValuePointer>* pointers);
  // Fsyncs every segment appended to since the last Sync (e.g. before a WAL switch).
  Status Sync();

  // Reads the value p points at, checking the record's key. NotFound when the segment no
  // longer exists (GC deleted it), Corruption naming file and offset for a damaged record.
  Status Read(const ValuePointer& p, std::string_view key, std::string* value) const;
  // The current segments, for an iterator to keep readable for its lifetime.
  std::shared_ptr<const SegmentMap> Pin() const;
  // Sealed (non-active) segment numbers, oldest first.
  std::vector<uint64_t> SealedSegments() const;
  std::shared_ptr<SegmentReader> Segment(uint64_t number) const;
  // Forgets the segment and deletes its file. Pinned readers keep reading it. *freed (when
  // non-null) receives the segment's size.
  Status RemoveSegment(uint64_t number, uint64_t* freed = nullptr);

  // Garbage accounting for automatic GC. Compactions report the record bytes of the pointer
  // entries they dropped (records no entry refers to any more), by segment; bytes for
  // segments that no longer exist are ignored.
  void AddGarbage(const std::map<uint64_t, uint64_t>& bytes_by_segment);
  // The counts survive restarts in the VLOGGARBAGE file (garbage_counts.h). After Open,
  // LoadGarbageCounts adds the saved counts of the segments that still exist, each capped at
  // its segment's record bytes. A missing file is no error; a damaged one is ignored (the
  // counts are only a hint for picking GC victims) and described in *note.
  Status LoadGarbageCounts(std::string* note);
  // Writes the counts of the existing segments when they changed since the last save or
  // load: a temporary file renamed over the old one, not fsynced (a file torn by a power loss
  // fails its checksum at the next open, and counting starts over; nothing else is lost).
  // Safe to call from several threads.
  Status SaveGarbageCounts();
  // True when the counts changed since the last save or load.
  bool GarbageCountsDirty() const;
  // Sealed segments not excluded whose garbage ratio is at least min_ratio, highest first.
  std::vector<GcCandidate> GcCandidates(double min_ratio) const;
  // Keeps a segment out of GcCandidates (drained and waiting for deletion, or damaged).
  void ExcludeFromGc(uint64_t number);
  uint64_t ActiveSegment() const;
  ValueLogStats Stats() const;

 private:
  Status NewSegment();  // requires the writer role
  Status SyncSealed();  // requires the writer role

  Env* const env_;
  const std::string dbname_;
  const uint64_t segment_size_;
  const std::function<uint64_t()> new_file_number_;

  // Writer role only.
  std::unique_ptr<WritableFile> active_file_;
  // Sealed segments not yet fsynced: synced by the next Sync() or sync append (rotation does
  // not wait for a 256 MiB fsync).
  std::vector<std::unique_ptr<WritableFile>> unsynced_sealed_;
  uint64_t active_size_ = 0;
  bool active_broken_ = false;  // a failed append: offsets unknown, rotate before the next
  std::string buffer_;

  mutable std::mutex mu_;
  std::shared_ptr<const SegmentMap> segments_;  // guarded by mu_ (the pointer, not the map)
  uint64_t active_number_ = 0;                  // guarded by mu_; 0 = none
  ValueLogStats stats_;                         // guarded by mu_
  struct SegmentUsage {
    uint64_t size = 0;     // bytes in the file (header included)
    uint64_t garbage = 0;  // accounted dead record bytes
    bool excluded = false;
  };
  std::map<uint64_t, SegmentUsage> usage_;  // guarded by mu_; one entry per segment
  bool garbage_dirty_ = false;              // guarded by mu_; counts changed since last save
  std::mutex save_mu_;                      // one SaveGarbageCounts at a time (one temp file)
};

}  // namespace jadedb::lsm::vlog
