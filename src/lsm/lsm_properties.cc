// GetProperty: engine statistics by name ("jadedb.stats", "jadedb.num-files-at-levelN", ...).
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
  out += Format("WAL synced writes: %" PRIu64 "\n", wal_syncs_);
  out += Format("stalls: %.3f s (%" PRIu64 " slowdowns, %" PRIu64 " stops)\n",
                stall_micros_ / 1e6, slowdown_count_, stop_count_);
  out += Format("memtables: active %.2f MiB, %zu immutable\n",
                MiB(mem_->ApproximateMemoryUsage()), imms_.size());
  if (block_cache_ != nullptr) {
    const uint64_t hits = block_cache_->Hits();
    const uint64_t misses = block_cache_->Misses();
    const double rate = hits + misses == 0 ? 0.0 : 100.0 * hits / (hits + misses);
    out += Format("block cache: %.2f / %.2f MiB, %" PRIu64 " hits, %" PRIu64
                  " misses, hit rate %.1f%%\n",
                  MiB(block_cache_->TotalCharge()), MiB(block_cache_->Capacity()), hits, misses,
                  rate);
  }
  out += Format("snapshots: %zu; last sequence: %" PRIu64 "\n", snapshots_.size(),
                versions_->LastSequence());
  if (!bg_error_.ok()) out += "background error: " + bg_error_.ToString() + "\n";
  return out;
}

bool LsmDB::GetProperty(std::string_view name, std::string* value) {
  value->clear();
  if (!name.starts_with(kPrefix)) return false;
  std::string_view prop = name.substr(kPrefix.size());
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
    *value = StatsString();
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
  if (prop == "num-immutable-memtables") {
    *value = std::to_string(imms_.size());
    return true;
  }
  if (prop == "last-sequence") {
    *value = std::to_string(versions_->LastSequence());
    return true;
  }
  if (prop == "background-error") {
    *value = bg_error_.ToString();
    return true;
  }
  return false;
}

}  // namespace jadedb::lsm
