// Options for opening a DB and for individual reads and writes.
//
// Options are plain values: copy them freely. Defaults suit a general-purpose embedded store
// on an SSD; each field says what it trades.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace jadedb {

class Env;
class Logger;
class Snapshot;

// The storage engine behind a DB. Chosen when the DB is created and recorded in its
// directory; opening it later with another engine is an InvalidArgument error.
enum class EngineType {
  kLsm,        // Log-structured merge tree: fast writes, compact storage.
  kBPlusTree,  // Page-based B+tree (InnoDB style): fast point reads and scans, in-place updates.
};

// "lsm" / "bplustree".
const char* EngineTypeName(EngineType type);
// Parses "lsm" or "bplustree"; false for anything else.
bool ParseEngineType(std::string_view name, EngineType* type);

// Codec for table data blocks. A block is stored compressed only when that saves at least
// 1/8 of its size; the codec is recorded per block, so a DB may mix them (changing the
// option affects new tables only).
enum class Compression {
  kNone,
  kSnappy,
  kLz4,   // default: fast to decompress on every cache miss, ratio close to snappy's
  kZstd,  // best ratio, ~3x slower to decompress than lz4; for cold or space-bound data
};

// Settings of the LSM-tree engine.
struct LsmOptions {
  // Bytes of updates collected in the active memtable before it is switched to immutable and
  // flushed to a level-0 table. Larger: fewer, larger L0 files; more memory and a longer WAL
  // replay after a crash. Default 8 MiB (RocksDB uses 64, LevelDB 4): every Get and every
  // insert searches the active memtable's skiplist, one dependent cache miss per level, so a
  // large memtable is slow to read and write. Measured with jadedb-bench (1M keys, 100-byte
  // values): going from 64 to 8 MiB took fillrandom +33%, readrandom +33%, seekrandom +99%
  // (docs/benchmarks.md, session 3).
  size_t write_buffer_size = 8 << 20;
  // Immutable memtables allowed to wait for their flush before writes stall.
  int max_immutable_memtables = 2;

  // Uncompressed bytes of user data per table data block.
  size_t block_size = 4 << 10;
  // Keys between restart points in a block (prefix compression restarts there).
  int block_restart_interval = 16;
  // Bloom filter bits per key in each table; 0 disables filters. 10 gives ~1% false positives.
  int bloom_bits_per_key = 10;
  // Data block codec and level (0 = the codec's default; zstd: 1..19, lz4: acceleration).
  Compression compression = Compression::kLz4;
  int compression_level = 0;
  // Bytes of the cache of uncompressed data blocks shared by all tables of the DB.
  size_t block_cache_size = 32 << 20;
  // Index and filter blocks. true (default): read when a table is opened and held by the open
  // table for as long as the table cache keeps it (memory bounded by max_open_files, not
  // charged to the block cache; a lookup never waits for an index read). false: they go
  // through the block cache like data blocks (charged to block_cache_size, evictable), which
  // bounds memory for DBs with many large tables at the cost of extra reads on misses.
  bool pin_index_and_filter_blocks = true;
  // Table files kept open at once (the table cache's capacity).
  int max_open_files = 1000;
  // Read tables through a read-only memory map (as LevelDB does) instead of pread: a block
  // cache miss then costs no system call and no copy, and the cached block views the mapping
  // (charged only its small heap cost; the bytes are the OS page cache's). Such a block is
  // checksummed once, when first read. At most max_open_files tables of a DB, and
  // SetPosixMmapLimit (env.h) files of the process, are mapped; the rest use pread, as do
  // all tables under an Env other than Env::Default(). Default on for 64-bit hosts.
  bool allow_mmap_reads = sizeof(void*) >= 8;
  // Write the WAL through a shared memory map of space reserved 1 MiB at a time
  // (Env::NewLogFileMaybeMapped) instead of one write(2) per record: a record then survives a
  // process crash as soon as it is appended, with no system call; sync writes still fdatasync.
  // After a crash the WAL may end in zeros, which recovery skips. Default on for 64-bit hosts.
  bool allow_mmap_writes = sizeof(void*) >= 8;

  // Level-0 file count that triggers a compaction into level 1.
  int level0_file_num_compaction_trigger = 4;
  // Level-0 file count at which each write is delayed by about 1 ms.
  int level0_slowdown_writes_trigger = 20;
  // Level-0 file count at which writes wait for compaction.
  int level0_stop_writes_trigger = 36;
  // Target bytes of level 1; each deeper level is max_bytes_for_level_multiplier times larger
  // (see level_compaction_dynamic_level_bytes). With 256 MiB a DB of up to ~256 MiB sits in
  // L1, so every L0->L1 compaction rewrites all of it; a smaller L1 (32 MiB, with 8 MiB files
  // and the two options below) makes compactions small and lowers the space after an
  // overwrite, but adds a level to every read: measured in docs/benchmarks.md (session 5), it
  // is not the default yet.
  uint64_t max_bytes_for_level_base = 256ull << 20;
  double max_bytes_for_level_multiplier = 10.0;
  // Target size of a table produced by compaction.
  uint64_t target_file_size = 64ull << 20;
  // Size the levels from the bottom up (like RocksDB's level_compaction_dynamic_level_bytes):
  // with L the deepest non-empty level (>= 2), each level above it targets 1/multiplier of the
  // level below, clamped to [target_file_size, its static target]; L keeps its static target
  // and spills into L+1 when it outgrows it. So about 90% of the data sits in stable files of
  // the last level, and stale versions above it take about 10% more space, not up to a whole
  // level's static target. No effect while all data fits in level 1.
  bool level_compaction_dynamic_level_bytes = false;
  // For levels >= 1, compact the file whose overlap with the next level is smallest relative
  // to its own size (RocksDB's kMinOverlappingRatio) instead of the next file round robin:
  // the least rewriting of the next level per byte moved down.
  bool compaction_pick_min_overlap = false;
  // Read-triggered ("seek") compaction, as LevelDB's allowed_seeks: every table file gets a
  // budget of wasted reads (max(100, file size / 16 KiB)); a Get that read a data block of a
  // file in vain and had to go on to another file charges it (bloom-filter misses are free
  // and do not), and iterators charge a sampled key about every 1 MiB they yield and on a
  // sample of their Seeks (Seeks charge only level-0 files, the sorted runs a compaction can
  // remove). A file whose budget runs out is compacted into the next level when no level is
  // over its size target. It clears level-0 files that sit below
  // level0_file_num_compaction_trigger under a read-mostly load, where every Seek would
  // otherwise position a cursor in each of them. Off: reads never cause compactions (e.g.
  // to keep read-heavy phases free of background I/O).
  bool read_triggered_compaction = true;

  // Threads doing flushes and compactions.
  int max_background_jobs = 2;

  // Value separation (WiscKey): values of at least value_threshold bytes are appended to the
  // value log (NNNNNN.vlog segments) and the tree stores a small pointer, so flushes and
  // compactions move ~20 bytes instead of the value. 0 turns separation off for new writes
  // (values already in the log stay readable). Default 4096: below about a page, the extra
  // random read per Get and the pointer overhead cost more than the compaction write
  // amplification saved; at and above it separation wins (docs/formats/vlog.md).
  size_t value_threshold = 4096;
  // A segment is sealed (and becomes a GC candidate) once it reaches this size.
  uint64_t value_log_segment_size = 256ull << 20;
  // Value-log GC rewrites a sealed segment once the measured share of its bytes that no
  // longer belong to a live value reaches this ratio (0 < ratio <= 1).
  double value_log_gc_garbage_ratio = 0.5;
  // Automatic value-log GC: compactions count the value-log bytes of the pointer entries they
  // drop, and once a sealed segment's count reaches value_log_gc_garbage_ratio of its size a
  // GC run rewrites it on a background thread of its own (flushes never wait behind it; at
  // most one GC runs at a time). false: GC runs only when DB::CompactValueLog is called.
  bool value_log_auto_gc = true;

  // WAL recovery: when false (default), a checksum failure in the middle of a log is reported
  // as Corruption and the DB does not open; when true, the damaged records are skipped and the
  // bytes dropped are reported in the info log. A torn tail is always recovered.
  bool skip_corrupted_wal_records = false;
};

// Settings of the B+tree engine. page_size and segment_file_bytes are fixed when the DB is
// created (an existing DB keeps the values recorded in its meta page); the rest apply to
// every open.
struct BPlusTreeOptions {
  // Bytes per page: a power of two in [4 KiB, 64 KiB]. Larger pages: shallower trees and
  // faster scans; more bytes written per changed record.
  uint32_t page_size = 16 << 10;
  // Bytes per data segment file (data-NNNNNN.jdb); a multiple of page_size, at least 16 pages.
  uint64_t segment_file_bytes = 64ull << 20;

  // Memory for cached pages (the buffer pool), split into buffer_pool_partitions partitions
  // by page id so that threads on different pages rarely share a latch.
  uint64_t buffer_pool_size = 128ull << 20;
  uint32_t buffer_pool_partitions = 16;

  // A fuzzy checkpoint runs every checkpoint_interval_ms (0 = only at close) or after
  // checkpoint_wal_bytes of WAL; a checkpoint bounds recovery time and lets old WAL segments go.
  // 64 MiB (InnoDB's redo log is ~100 MB by default): the WAL carries page diffs and undo
  // images (~770 bytes per random insert), so 256 MiB kept ~2x the data's size of WAL on disk
  // in a 1M-key fill, with no measurable gain in fill speed.
  uint64_t checkpoint_interval_ms = 30'000;
  uint64_t checkpoint_wal_bytes = 64ull << 20;
  // Pages go through the double-write file (a ring of 8 batches of up to 256 pages, each page
  // without its longest run of zero bytes) before their in-place write, so a torn page write
  // (power loss mid-write) is repaired on recovery. Turning it off removes those writes (up to
  // half the page write traffic) and is safe only on storage with atomic page-sized writes.
  bool double_write = true;

  // Hash from hot keys to their leaf, built from observed lookups (InnoDB's adaptive hash
  // index): a repeated point lookup skips the descent from the root.
  bool adaptive_hash_index = true;
  // Sequential leaf access is detected and the next leaves are read in the background.
  bool read_ahead = true;
  // Point lookups (Get) descend the tree through a read-only memory map of the data files,
  // served by the OS page cache as in LMDB: every page whose newest version is on disk is read
  // in place with no latch, pin, system call or copy, and checked against a per-page version
  // word afterwards; only pages the buffer pool holds newer (dirty) versions of are read in
  // the pool. Other pool misses copy the page from the map instead of calling pread. A page's
  // checksum and structure are verified on its first read and again after every write of it.
  // Adds a cache of search hints (up to 12 MiB, 16 slots of 192 bytes per pool page). Scans
  // and writes keep using the pool. At most SetPosixMmapLimit (env.h) files of the process are
  // mapped; Envs other than Env::Default() never map. Default on for 64-bit hosts.
  bool allow_mmap_reads = sizeof(void*) >= 8;
};

struct Options {
  EngineType engine = EngineType::kLsm;
  // Create the DB when the directory holds none.
  bool create_if_missing = false;
  // Fail Open when a DB already exists there.
  bool error_if_exists = false;
  // Check every checksum on every read and fail on the first sign of damage, instead of only
  // where the engine must.
  bool paranoid_checks = false;

  // File system and clock; null means Env::Default().
  Env* env = nullptr;
  // Informational log; null means a LOG file in the DB directory.
  std::shared_ptr<Logger> info_log;

  LsmOptions lsm;
  BPlusTreeOptions bplustree;
};

struct ReadOptions {
  // Read as of this snapshot (from DB::GetSnapshot); null means the latest state.
  const Snapshot* snapshot = nullptr;
  // Verify the checksum of every block read from disk (on by default, as in RocksDB). A block
  // served from the block cache was verified when it was read into it.
  bool verify_checksums = true;
  // Keep blocks read by this operation in the block cache (turn off for bulk scans).
  bool fill_cache = true;
  // Iterators only: keys before lower_bound (inclusive) or at/after upper_bound (exclusive)
  // are invisible.
  std::optional<std::string> lower_bound;
  std::optional<std::string> upper_bound;
};

struct WriteOptions {
  // When true the write is on stable storage (WAL fsynced) before the call returns, and
  // survives a crash or power loss. When false it survives a process crash but may be lost on
  // power loss.
  bool sync = false;
};

struct FlushOptions {
  // Wait until the flush has finished.
  bool wait = true;
};

}  // namespace jadedb
