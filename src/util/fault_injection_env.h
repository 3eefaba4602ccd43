// FaultInjectionEnv: an Env wrapper for tests that (1) injects I/O faults (failed fsync, ENOSPC,
// EIO, short and torn writes, failed renames/creations/directory syncs) into chosen files and
// operations, and (2) simulates a power loss: it tracks what the DB made durable with
// WritableFile::Sync, RandomRWFile::Sync and Env::SyncDir, and SimulatePowerLoss() rewinds the
// directory to exactly that state, so a missing fsync of a file or of a directory shows up as
// lost data in a test.
// Modelled on RocksDB's FaultInjectionTestFS and SQLite's I/O-error tests.
//
// Thread safety: every method may be called from several threads at once (one internal mutex).
// The wrapped base Env must outlive this object, and so must this object every file it opened.
//
// Durability model (what SimulatePowerLoss keeps):
//  - A file's contents are durable up to the size it had at its last successful Sync().
//  - A RandomRWFile write over bytes that were durable is undone at a power loss unless the file
//    was synced after it (the env keeps the bytes it overwrote); a torn write (FaultKind::
//    kTornWrite) is the exception: the prefix it wrote is what the disk holds afterwards.
//  - A file's directory entry (its creation, a rename onto it, its deletion) is durable once
//    SyncDir() of its directory succeeded afterwards. A file created and never SyncDir'ed
//    vanishes; a rename not made durable is undone (the target gets back its previous durable
//    contents, which the env kept in memory when the rename replaced it; the source name comes
//    back when it was durable); a deletion not made durable is undone likewise.
//  - Files that existed before this env first touched them are taken as fully durable.
//  - Directories themselves (CreateDirIfMissing) are taken as durable at once.
//  Paths are compared as strings: a file "D/NAME" belongs to directory "D" (the text before the
//  last '/'), which is how the engines name their files.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jadedb/env.h"
#include "util/random.h"

namespace jadedb {

// The operations a fault can be attached to.
enum class FaultOp : int {
  kCreate = 0,  // NewWritableFile / NewAppendableFile / NewRandomRWFile (which may create)
  kOpenRead,    // NewSequentialFile / NewRandomAccessFile
  kRead,        // SequentialFile / RandomAccessFile / RandomRWFile ::Read
  kAppend,      // WritableFile::Append
  kFlush,       // WritableFile::Flush
  kSync,        // WritableFile::Sync / RandomRWFile::Sync (fsync/fdatasync)
  kRename,      // Env::RenameFile (matched against the target name)
  kSyncDir,     // Env::SyncDir (matched against the directory path)
  kRemove,      // Env::RemoveFile
  kWrite,       // RandomRWFile::Write (pwrite at an offset)
  kNumOps
};

// What an injected fault does. Every kind makes the call return a non-OK Status.
enum class FaultKind : int {
  kIOError = 0,  // EIO; nothing happens (for kSync: the data stays not durable)
  kNoSpace,      // ENOSPC "No space left on device"; nothing is written (kAppend/kWrite/...)
  kShortWrite,   // kAppend/kWrite: a prefix of the data reaches the file, then IOError
  // kAppend/kWrite: a prefix reaches the file, then the filesystem goes inactive ("crash").
  // For kWrite the prefix is durable at once: after SimulatePowerLoss the written range holds
  // that prefix followed by its previous contents (a torn page).
  kTornWrite,
  kCorruptRead,  // kRead: the call succeeds but one bit of the returned data is flipped
  kNumKinds
};

const char* FaultOpName(FaultOp op);
const char* FaultKindName(FaultKind kind);

// When a rule fires, counting the calls that match its filter and operation since it was added.
enum class FaultTrigger {
  kAlways,       // every matching call until the rule is removed
  kNthCall,      // only the n-th matching call (1-based)
  kFromNthCall,  // the n-th matching call and every later one
  kProbability,  // each matching call with probability p (deterministic for a given seed)
};

struct FaultRule {
  // Which files: empty = all; starting with '.' = the path ends with it (".log", ".sst");
  // otherwise a substring of the file name after the last '/' ("MANIFEST", "CURRENT").
  std::string file_filter;
  FaultOp op = FaultOp::kAppend;
  FaultKind kind = FaultKind::kIOError;
  FaultTrigger trigger = FaultTrigger::kAlways;
  uint64_t n = 1;     // for kNthCall / kFromNthCall
  double p = 0.0;     // for kProbability
  uint64_t seed = 1;  // for kProbability
};

// What SimulatePowerLoss leaves in the part of a file written after its last Sync. For the
// unsynced overwrites of a RandomRWFile (bytes that were durable, written again), each write
// is undone with kDrop; with the other modes each is independently undone, kept (the OS wrote
// it back), or torn: a random-length prefix of it kept, the rest undone (kRandomPrefix), or
// zeroed (kZeros) or random (kGarbage).
enum class UnsyncedTail {
  kDrop,          // nothing: the file ends at its last synced size
  kRandomPrefix,  // a random-length prefix of the unsynced data, as written (the OS flushed some)
  kZeros,         // a random-length run of zero bytes (a torn write the disk zero-filled)
  kGarbage,       // a random-length run of random bytes (a torn sector)
};

class FaultInjectionEnv : public Env {
 public:
  // base is not owned. seed drives probability-less randomness (tails, short-write lengths).
  explicit FaultInjectionEnv(Env* base, uint64_t seed = 301);
  ~FaultInjectionEnv() override;
  FaultInjectionEnv(const FaultInjectionEnv&) = delete;
  FaultInjectionEnv& operator=(const FaultInjectionEnv&) = delete;

  Env* base() const { return base_; }

  // ---- Injected faults ----
  // Adds a rule; returns its id for RemoveFault. Rules are checked in the order added; the first
  // that fires decides the fault.
  int AddFault(const FaultRule& rule);
  // Shorthand for the common "every matching call fails" rule.
  int FailAlways(FaultOp op, const std::string& file_filter, FaultKind kind = FaultKind::kIOError);
  void RemoveFault(int id);
  void ClearFaults();

  // Faults injected so far, by kind and by operation (for tests and docs/reliability.md).
  uint64_t FaultCount(FaultKind kind) const;
  uint64_t FaultCount(FaultOp op) const;
  uint64_t TotalFaults() const;
  // "kind=count ..." of the non-zero counters.
  std::string FaultCountsString() const;
  void ResetFaultCounts();

  // ---- Crash / power loss ----
  // While inactive every write-side call (create, append, flush, sync, rename, remove, SyncDir)
  // fails with IOError "filesystem inactive"; reads still work. Models "the machine died now":
  // nothing the process does afterwards reaches the disk.
  void SetFilesystemActive(bool active);
  bool IsFilesystemActive() const;

  void SetUnsyncedTail(UnsyncedTail mode);

  // When true, Sync only hands the data to the OS and SyncDir does nothing on the real disk:
  // the model still records both as durable, so SimulatePowerLoss behaves the same, and tests
  // run much faster. (A real crash of the machine is then not survived - irrelevant in tests.)
  void SetSkipRealSync(bool skip);
  bool SkipRealSync() const;

  // Rewinds every file this env tracked to its durable state (see the model above): truncates
  // files to their last synced size (plus the unsynced-tail mode), deletes files whose creation
  // was not made durable, undoes renames and deletions not made durable. Afterwards everything
  // on disk counts as durable, tracking starts afresh and the filesystem is active again.
  //
  // Call it only when no DB (or other user) has files of this env open: after the DB object was
  // destroyed, or after SetFilesystemActive(false) and then destroying the DB. Files still open
  // may have buffered data that would land after the rewind. Faults stay configured.
  Status SimulatePowerLoss();

  // Bytes written to path since its last successful Sync (0 for untracked files).
  uint64_t UnsyncedBytes(const std::string& path) const;
  // Number of tracked names whose directory entry (creation/rename/deletion) is not durable.
  size_t PendingDirEntries() const;

  // ---- Env ----
  // NewRandomAccessFileMaybeMapped is deliberately not overridden: Env's default opens through
  // NewRandomAccessFile below, so tables are wrapped (never memory-mapped) and every read of
  // them can be failed or corrupted.
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* result) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* result) override;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewAppendableFile(const std::string& path, std::unique_ptr<WritableFile>* result) override;
  Status NewRandomRWFile(const std::string& path, std::unique_ptr<RandomRWFile>* result) override;
  bool FileExists(const std::string& path) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirIfMissing(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;
  Status NewLogger(const std::string& path, std::shared_ptr<Logger>* result) override;
  uint64_t NowMicros() override;
  void SleepForMicroseconds(uint64_t micros) override;

  // ---- Used by the file wrappers (internal) ----
  // One file's contents as the power-loss model sees them (an inode: renames move it).
  struct Node {
    uint64_t size = 0;    // bytes written through this env (the file's size)
    uint64_t synced = 0;  // size at the last successful Sync
    bool saved_valid = false;
    std::string saved;  // durable contents, kept once no current name holds the node
    // RandomRWFile writes since the last Sync, oldest first: where, the bytes they overwrote
    // below `synced` (what undoes them) and their length.
    struct Overwrite {
      uint64_t offset;
      std::string old;
      uint64_t length;
    };
    std::vector<Overwrite> overwrites;
    // Prefixes of torn writes, already durable (applied after the overwrites are undone).
    std::vector<std::pair<uint64_t, std::string>> torn;
    // Serializes a RandomRWFile's write (read old bytes, write, record) against its Sync, so a
    // write is never recorded as pending after a Sync that made it durable.
    std::mutex rw_mu;
  };
  // Returns true (and the fault kind) if a rule fires for this call; counts the fault.
  bool ShouldFail(FaultOp op, const std::string& path, FaultKind* kind);
  Status FaultStatus(FaultOp op, const std::string& path, FaultKind kind) const;
  Status InactiveStatus(const std::string& path) const;
  void OnAppended(const std::shared_ptr<Node>& node, uint64_t n);
  void OnSynced(const std::shared_ptr<Node>& node);
  // A RandomRWFile write of length bytes at offset that replaced `old` (the bytes it covered
  // below the durable size); torn: the write is itself durable (a torn write's prefix).
  void OnWritten(const std::shared_ptr<Node>& node, uint64_t offset, std::string old,
                 std::string_view written, bool torn);
  // The node's durable size (its size at the last Sync).
  uint64_t SyncedSize(const std::shared_ptr<Node>& node) const;
  // A random length in [0, n) for short/torn writes.
  uint64_t RandomLength(uint64_t n);
  // Flips one bit of data (for kCorruptRead).
  void FlipRandomBit(char* data, size_t n);

 private:
  struct Rule {
    int id;
    FaultRule rule;
    uint64_t calls = 0;
    Random rnd;
  };

  static std::string DirOf(const std::string& path);
  static bool Matches(const std::string& filter, const std::string& path);
  // Starts tracking path if untracked: an existing file becomes a node that is fully durable,
  // both its contents and its name. Requires mu_.
  void TrackExistingLocked(const std::string& path);
  // Called before `path` stops naming `node` (removal, rename over it): keeps the node's durable
  // contents in memory when some durable name still refers to it. Requires mu_.
  void SaveIfDurablyNamedLocked(const std::string& path, const std::shared_ptr<Node>& node);
  // The durable contents of node (with the unsynced-tail mode applied). Requires mu_.
  Status DurableContentsLocked(const std::shared_ptr<Node>& node, std::string* out);
  // Rewinds *contents (the file's bytes up to its durable size) by node's unsynced RandomRWFile
  // writes, by `mode`, then applies its torn-write prefixes. Requires mu_.
  void UndoOverwritesLocked(const Node& node, UnsyncedTail mode, std::string* contents);
  Status ReadPrefix(const std::string& path, uint64_t n, std::string* out);

  Env* const base_;
  mutable std::mutex mu_;
  bool active_ = true;
  UnsyncedTail tail_mode_ = UnsyncedTail::kDrop;
  bool skip_real_sync_ = false;
  Random rnd_;
  int next_rule_id_ = 1;
  std::vector<Rule> rules_;
  std::array<uint64_t, static_cast<int>(FaultKind::kNumKinds)> kind_counts_{};
  std::array<uint64_t, static_cast<int>(FaultOp::kNumOps)> op_counts_{};
  // Current name -> node, for every tracked name that exists now.
  std::map<std::string, std::shared_ptr<Node>> current_;
  // Durable name -> node (nullptr: durably absent), for every tracked name.
  std::map<std::string, std::shared_ptr<Node>> durable_;
};

}  // namespace jadedb
