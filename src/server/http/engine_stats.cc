#include "server/http/engine_stats.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace jadedb::server {
namespace {

// The number right after `marker` in line, or false.
bool NumberAfter(std::string_view line, std::string_view marker, double* v) {
  size_t p = line.find(marker);
  if (p == std::string_view::npos) return false;
  std::string rest(line.substr(p + marker.size()));
  char* end = nullptr;
  *v = std::strtod(rest.c_str(), &end);
  return end != rest.c_str();
}

// The number just before `marker` (e.g. "12 hits").
bool NumberBefore(std::string_view line, std::string_view marker, double* v) {
  size_t p = line.find(marker);
  if (p == std::string_view::npos) return false;
  while (p > 0 && line[p - 1] == ' ') p--;
  size_t b = p;
  while (b > 0 && ((line[b - 1] >= '0' && line[b - 1] <= '9') || line[b - 1] == '.')) b--;
  if (b == p) return false;
  *v = std::strtod(std::string(line.substr(b, p - b)).c_str(), nullptr);
  return true;
}

}  // namespace

std::vector<EngineMetric> ParseEngineStats(std::string_view text) {
  std::vector<EngineMetric> out;
  auto add = [&](const char* name, std::string label, double v, const char* help) {
    out.push_back({name, std::move(label), v, help});
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    double v = 0;
    int level = 0, files = 0;
    double size_mib = 0, score = 0, secs = 0, read_mib = 0, write_mib = 0;
    unsigned long long jobs = 0;
    std::string l(line);
    if (std::sscanf(l.c_str(), " %d %d %lf %lf %lf %lf %lf %llu", &level, &files, &size_mib, &score,
                    &secs, &read_mib, &write_mib, &jobs) == 8) {
      std::string label = "level=\"" + std::to_string(level) + "\"";
      add("level_files", label, files, "Table files per level");
      add("level_bytes", label, size_mib * 1048576.0, "Bytes per level");
      add("level_compactions", label, static_cast<double>(jobs), "Compactions into the level");
      add("level_compaction_written_bytes", label, write_mib * 1048576.0,
          "Bytes written by compactions per level");
      continue;
    }
    if (line.starts_with("user bytes written")) {
      if (NumberAfter(line, "(WAL): ", &v))
        add("wal_written_bytes", "", v * 1048576.0, "Bytes written to the WAL");
      if (NumberBefore(line, "flushes", &v)) add("flushes", "", v, "Memtable flushes");
      if (NumberAfter(line, "flushed: ", &v))
        add("flushed_bytes", "", v * 1048576.0, "Bytes flushed from memtables");
      if (NumberAfter(line, "compaction read ", &v))
        add("compaction_read_bytes", "", v * 1048576.0, "Bytes read by compactions");
      if (NumberAfter(line, "written ", &v))
        add("compaction_written_bytes", "", v * 1048576.0, "Bytes written by compactions");
    } else if (line.starts_with("write amplification")) {
      if (NumberAfter(line, ": ", &v)) add("write_amplification", "", v, "Write amplification");
    } else if (line.starts_with("WAL synced writes")) {
      if (NumberAfter(line, ": ", &v)) add("wal_syncs", "", v, "Synced WAL writes");
    } else if (line.starts_with("stalls")) {
      if (NumberAfter(line, "stalls: ", &v)) add("stall_seconds", "", v, "Seconds writes stalled");
      if (NumberBefore(line, "slowdowns", &v)) add("stall_slowdowns", "", v, "Delayed writes");
      if (NumberBefore(line, "stops", &v)) add("stall_stops", "", v, "Stopped writes");
    } else if (line.starts_with("memtables")) {
      if (NumberAfter(line, "active ", &v))
        add("memtable_active_bytes", "", v * 1048576.0, "Active memtable bytes");
      if (NumberBefore(line, "immutable", &v))
        add("memtables_immutable", "", v, "Immutable memtables");
    } else if (line.starts_with("block cache")) {
      if (NumberAfter(line, "block cache: ", &v))
        add("block_cache_used_bytes", "", v * 1048576.0, "Block cache usage");
      if (NumberBefore(line, "hits", &v)) add("block_cache_hits", "", v, "Block cache hits");
      if (NumberBefore(line, "misses", &v)) add("block_cache_misses", "", v, "Block cache misses");
    } else if (line.starts_with("snapshots")) {
      if (NumberAfter(line, "snapshots: ", &v)) add("snapshots", "", v, "Open snapshots");
      if (NumberAfter(line, "last sequence: ", &v))
        add("last_sequence", "", v, "Last sequence number");
    } else {
      // Other engines (the B+tree) report "name.sub-name: number" lines.
      const size_t colon = line.find(": ");
      if (colon == std::string_view::npos || colon == 0) continue;
      std::string name;
      bool ok = true;
      for (char ch : line.substr(0, colon)) {
        if (std::isalnum(static_cast<unsigned char>(ch))) {
          name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        } else if (ch == '.' || ch == '-' || ch == '_') {
          name.push_back('_');
        } else {
          ok = false;
          break;
        }
      }
      std::string num(line.substr(colon + 2));
      char* end = nullptr;
      v = std::strtod(num.c_str(), &end);
      if (ok && end != num.c_str() && (*end == '\0' || *end == ' ' || *end == '%')) {
        add("", "", v, "Engine statistic");
        out.back().name = name;
      }
    }
  }
  return out;
}

}  // namespace jadedb::server
