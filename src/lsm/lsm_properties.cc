// GetProperty: engine statistics by name ("jadedb.stats", "jadedb.num-files-at-levelN", ...).
#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "lsm/lsm_db_impl.h"

namespace jadedb::lsm {
namespace {

constexpr std::string_view kPrefix = "jadedb.";

std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / 1048576.0; }

// Decodes lowercase or uppercase hex; false on odd length or a non-hex digit.
bool FromHex(std::string_view hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

std::string LsmDB::StatsString() {
  // Requires mutex_.
  std::string out;
  out += "Level  Files   Size(MiB)  Score  Time(s)  Read(MiB)  Write(MiB)  Jobs\n";
  out += "-----  -----  ----------  -----  -------  ---------  ----------  ----\n";
  Version* v = versions_->current();
  uint64_t compaction_written = 0;
  uint64_t compaction_read = 0;
  for (int level = 0; level < kNumLevels; level++) {
    const int files = v->NumFiles(level);
    const CompactionStats& st = stats_[level];
    if (files == 0 && st.count == 0) continue;
    const uint64_t bytes = static_cast<uint64_t>(versions_->NumLevelBytes(level));
    const double score =
        level == 0 ? static_cast<double>(files) / options_.lsm.level0_file_num_compaction_trigger
                   : static_cast<double>(bytes) / versions_->MaxBytesForLevel(level);
    out += Format("%5d  %5d  %10.2f  %5.2f  %7.2f  %9.2f  %10.2f  %4" PRIu64 "\n", level, files,
                  MiB(bytes), score, st.micros / 1e6, MiB(st.bytes_read), MiB(st.bytes_written),
                  st.count);
    if (level > 0) {
      compaction_written += st.bytes_written;
      compaction_read += st.bytes_read;
    }
  }
  const uint64_t user = wal_bytes_;
  const double write_amp =
      user == 0 ? 0.0
                : static_cast<double>(user + flush_bytes_written_ + compaction_written) / user;
  out += Format("user bytes written (WAL): %.2f MiB; flushed: %.2f MiB in %" PRIu64
                " flushes; compaction read %.2f MiB, written %.2f MiB\n",
                MiB(user), MiB(flush_bytes_written_), flush_count_, MiB(compaction_read),
                MiB(compaction_written));
  out += Format("write amplification: %.2f\n", write_amp);
  out += Format("WAL synced writes: %" PRIu64 "; %" PRIu64 " batches in %" PRIu64
                " WAL records (group commit)\n",
                wal_syncs_, write_batches_, wal_records_);
  out += Format("stalls: %.3f s (%" PRIu64 " slowdowns, %" PRIu64 " stops)\n", stall_micros_ / 1e6,
                slowdown_count_, stop_count_);
  out += Format("memtables: active %.2f MiB, %zu immutable\n", MiB(mem_->ApproximateMemoryUsage()),
                imms_.size());
  if (block_cache_ != nullptr) {
    const uint64_t hits = block_cache_->Hits();
    const uint64_t misses = block_cache_->Misses();
    const double rate = hits + misses == 0 ? 0.0 : 100.0 * hits / (hits + misses);
    out += Format(
        "block cache: %.2f / %.2f MiB, %" PRIu64 " hits, %" PRIu64 " misses, hit rate %.1f%%\n",
        MiB(block_cache_->TotalCharge()), MiB(block_cache_->Capacity()), hits, misses, rate);
  }
  out += Format("tables: %.2f MiB on disk (approximate size); %" PRIu64
                " table opens (table cache of %d files)\n",
                MiB(static_cast<uint64_t>(TotalLiveTableBytes(v))), table_cache_->TableOpens(),
                std::max(options_.lsm.max_open_files - 10, 6));
  out += Format("snapshots: %zu; last sequence: %" PRIu64 "\n", snapshots_.size(),
                versions_->LastSequence());
  if (!bg_error_.ok()) out += "background error: " + bg_error_.ToString() + "\n";
  return out;
}

bool LsmDB::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  if (!name.starts_with(kPrefix)) return false;
  std::string_view prop = name.substr(kPrefix.size());
  constexpr std::string_view kApproxSize = "approximate-size:";
  if (prop.starts_with(kApproxSize)) {
    // "approximate-size:<begin-hex>:<end-hex>", the property form of GetApproximateSizes.
    std::string_view args = prop.substr(kApproxSize.size());
    const size_t colon = args.find(':');
    std::vector<std::pair<std::string, std::string>> ranges(1);
    std::vector<uint64_t> sizes;
    if (colon == std::string_view::npos || !FromHex(args.substr(0, colon), &ranges[0].first) ||
        !FromHex(args.substr(colon + 1), &ranges[0].second) ||
        !GetApproximateSizes(ranges, &sizes).ok()) {
      return false;
    }
    *value = std::to_string(sizes[0]);
    return true;
  }
  std::lock_guard<std::mutex> lock(mutex_);

  constexpr std::string_view kFilesAtLevel = "num-files-at-level";
  if (prop.starts_with(kFilesAtLevel)) {
    std::string_view digits = prop.substr(kFilesAtLevel.size());
    int level = -1;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), level);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || level < 0 ||
        level >= kNumLevels) {
      return false;
    }
    *value = std::to_string(versions_->NumLevelFiles(level));
    return true;
  }
  if (prop == "stats") {
    *value = StatsString() + ValueLogStatsString();
    return true;
  }
  if (prop == "sstables") {
    *value = versions_->current()->DebugString();
    return true;
  }
  if (prop == "levels") {
    *value = versions_->LevelSummary();
    return true;
  }
  if (prop == "approximate-memory-usage") {
    size_t total = mem_->ApproximateMemoryUsage();
    for (const ImmutableMemTable& imm : imms_) total += imm.mem->ApproximateMemoryUsage();
    if (block_cache_ != nullptr) total += block_cache_->TotalCharge();
    *value = std::to_string(total);
    return true;
  }
  if (prop == "approximate-size") {
    *value = std::to_string(TotalLiveTableBytes(versions_->current()));
    return true;
  }
  if (prop == "block-cache-hits" || prop == "block-cache-misses") {
    uint64_t n = 0;
    if (block_cache_ != nullptr) {
      n = prop == "block-cache-hits" ? block_cache_->Hits() : block_cache_->Misses();
    }
    *value = std::to_string(n);
    return true;
  }
  if (prop == "block-cache-usage") {
    *value = std::to_string(block_cache_ != nullptr ? block_cache_->TotalCharge() : 0);
    return true;
  }
  if (prop == "table-cache-opens") {
    *value = std::to_string(table_cache_->TableOpens());
    return true;
  }
  if (prop == "wal-records") {
    *value = std::to_string(wal_records_);
    return true;
  }
  if (prop == "write-batches") {
    *value = std::to_string(write_batches_);
    return true;
  }
  if (prop == "stall-micros") {
    *value = std::to_string(stall_micros_);
    return true;
  }
  if (prop == "num-immutable-memtables") {
    *value = std::to_string(imms_.size());
    return true;
  }
  if (prop == "last-sequence") {
    *value = std::to_string(versions_->LastSequence());
    return true;
  }
  if (prop == "value-log-bytes" || prop == "value-log-garbage-bytes" ||
      prop == "value-log-segments") {
    const vlog::ValueLogStats st = vlog_->Stats();
    *value = std::to_string(prop == "value-log-bytes"           ? st.bytes
                            : prop == "value-log-garbage-bytes" ? st.garbage_bytes
                                                                : st.segments);
    return true;
  }
  if (prop == "value-log-gc-runs") {
    *value = std::to_string(vlog_gc_runs_.load() + vlog_gc_auto_runs_.load());
    return true;
  }
  if (prop == "value-log-gc-pending") {
    *value = vlog_gc_scheduled_ ? "1" : "0";  // an automatic run queued or running
    return true;
  }
  if (prop == "value-log-gc-auto-runs") {
    *value = std::to_string(vlog_gc_auto_runs_.load());
    return true;
  }
  if (prop == "value-log-gc-segments-deleted") {
    *value = std::to_string(vlog_gc_segments_deleted_.load());
    return true;
  }
  if (prop == "value-log-gc-bytes-reclaimed") {
    *value = std::to_string(vlog_gc_bytes_reclaimed_.load());
    return true;
  }
  if (prop == "background-error") {
    *value = bg_error_.ToString();
    return true;
  }
  return false;
}

int64_t LsmDB::TotalLiveTableBytes(Version* v) const {
  int64_t total = 0;
  for (int level = 0; level < kNumLevels; level++) total += TotalFileSize(v->files(level));
  return total;
}

uint64_t LsmDB::ApproximateRangeSize(Version* v, std::string_view begin, std::string_view end) {
  // Needs only a reference on v (may open tables: called without the mutex).
  if (internal_comparator_.user_comparator()->Compare(begin, end) >= 0) return 0;
  const InternalKey k1(begin, kMaxSequenceNumber, kValueTypeForSeek);
  const InternalKey k2(end, kMaxSequenceNumber, kValueTypeForSeek);
  const uint64_t start = versions_->ApproximateOffsetOf(v, k1);
  const uint64_t limit = versions_->ApproximateOffsetOf(v, k2);
  return limit >= start ? limit - start : 0;
}

Status LsmDB::GetApproximateSizes(const std::vector<std::pair<std::string, std::string>>& ranges,
                                  std::vector<uint64_t>* sizes) {
  sizes->assign(ranges.size(), 0);
  std::unique_lock<std::mutex> lock(mutex_);
  Version* v = versions_->current();
  v->Ref();
  lock.unlock();  // table opens are file I/O
  for (size_t i = 0; i < ranges.size(); i++) {
    (*sizes)[i] = ApproximateRangeSize(v, ranges[i].first, ranges[i].second);
  }
  lock.lock();
  v->Unref();
  return Status::OK();
}

}  // namespace jadedb::lsm
