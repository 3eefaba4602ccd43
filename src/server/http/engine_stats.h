// ParseEngineStats: turns the engine's text report (DB::GetProperty("jadedb.stats")) into
// named numbers for INFO and Prometheus: files and bytes per level, memtables, block cache
// hits/misses, flushes, compaction bytes, stalls, WAL syncs. Lines it does not recognise are
// skipped, so a change of the report loses figures but never fails.
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jadedb::server {

struct EngineMetric {
  std::string name;   // Prometheus-style, without the jadedb_engine_ prefix
  std::string label;  // "" or e.g. level="0"
  double value = 0;
  std::string help;
};

std::vector<EngineMetric> ParseEngineStats(std::string_view text);

}  // namespace jadedb::server
