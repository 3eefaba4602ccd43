#include "report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

namespace jadedb::bench {
namespace {

bool IsJadeDb(const std::string& engine) { return engine == "lsm" || engine == "bplustree"; }

std::string FirstMatch(const char* file, const std::string& prefix) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, prefix.size(), prefix) == 0) {
      size_t colon = line.find(':');
      std::string v = colon == std::string::npos ? line : line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "unknown";
}

// The mount (from /proc/mounts) with the longest mount point that is a prefix of `dir`.
std::string FilesystemOf(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(dir, ec);
  std::string path = ec ? dir : p.string();
  std::ifstream in("/proc/mounts");
  std::string device, mount, type, rest, best = "unknown";
  size_t best_len = 0;
  while (in >> device >> mount >> type && std::getline(in, rest)) {
    bool prefix = path.compare(0, mount.size(), mount) == 0 &&
                  (path.size() == mount.size() || mount == "/" || path[mount.size()] == '/');
    if (prefix && mount.size() >= best_len) {
      best_len = mount.size();
      best = type + " on " + device + " (mounted at " + mount + ")";
    }
  }
  return best;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

// "1,234,567"
std::string Thousands(double v) {
  auto n = static_cast<uint64_t>(v + 0.5);
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

void Row(FILE* out, const std::vector<std::string>& cells) {
  std::fputs("|", out);
  for (const auto& c : cells) std::fprintf(out, " %s |", c.c_str());
  std::fputs("\n", out);
}

void Header(FILE* out, const std::vector<std::string>& cells) {
  Row(out, cells);
  std::vector<std::string> sep(cells.size(), "---");
  sep[0] = ":--";
  for (size_t i = 1; i < sep.size(); i++) sep[i] = "--:";
  Row(out, sep);
}

}  // namespace

std::string MachineDescription(const std::string& db_dir) {
  std::ostringstream out;
  out << "nproc: " << std::thread::hardware_concurrency() << "\n";
  out << "CPU: " << FirstMatch("/proc/cpuinfo", "model name") << "\n";
  out << "memory: " << FirstMatch("/proc/meminfo", "MemTotal") << "\n";
  struct utsname u;
  if (uname(&u) == 0) out << "kernel: " << u.sysname << " " << u.release << "\n";
  std::ifstream load("/proc/loadavg");
  std::string l1, l5, l15;
  if (load >> l1 >> l5 >> l15)
    out << "load average at start: " << l1 << " " << l5 << " " << l15 << "\n";
  out << "filesystem of --db: " << FilesystemOf(db_dir) << "\n";
  return out.str();
}

std::string ToJson(const Result& r) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "{\"engine\":\"%s\",\"workload\":\"%s\",\"ops\":%llu,\"seconds\":%.6f,"
                "\"ops_per_sec\":%.1f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"db_bytes\":%llu",
                JsonEscape(r.engine).c_str(), JsonEscape(r.workload).c_str(),
                static_cast<unsigned long long>(r.ops), r.seconds, r.ops_per_sec, r.p50_us,
                r.p99_us, static_cast<unsigned long long>(r.db_bytes));
  std::string s = buf;
  if (!r.note.empty()) s += ",\"note\":\"" + JsonEscape(r.note) + "\"";
  if (!r.error.empty()) s += ",\"error\":\"" + JsonEscape(r.error) + "\"";
  return s + "}";
}

void PrintTables(FILE* out, const std::vector<std::string>& engines,
                 const std::vector<std::string>& workloads, const std::vector<Result>& results) {
  std::map<std::pair<std::string, std::string>, const Result*> by;
  for (const auto& r : results) by[{r.engine, r.workload}] = &r;
  auto find = [&](const std::string& e, const std::string& w) -> const Result* {
    auto it = by.find({e, w});
    return it == by.end() || !it->second->error.empty() ? nullptr : it->second;
  };

  std::fputs("\nThroughput (ops/s; higher is better):\n\n", out);
  std::vector<std::string> head = {"workload"};
  head.insert(head.end(), engines.begin(), engines.end());
  Header(out, head);
  for (const auto& w : workloads) {
    std::vector<std::string> row = {w};
    for (const auto& e : engines) {
      const Result* r = find(e, w);
      row.push_back(r ? Thousands(r->ops_per_sec) : "-");
    }
    Row(out, row);
  }

  std::fputs(
      "\nRatio to the best peer (engine ops/s / best of rocksdb, leveldb, lmdb, "
      "wiredtiger, sqlite; 1.00 = as fast as the best peer):\n\n",
      out);
  head.push_back("best peer");
  head.push_back("lsm/rocksdb");
  head.push_back("lsm/leveldb");
  Header(out, head);
  for (const auto& w : workloads) {
    double best = 0;
    std::string best_name = "-";
    for (const auto& e : engines) {
      const Result* r = find(e, w);
      if (r && !IsJadeDb(e) && r->ops_per_sec > best) {
        best = r->ops_per_sec;
        best_name = e;
      }
    }
    std::vector<std::string> row = {w};
    for (const auto& e : engines) {
      const Result* r = find(e, w);
      row.push_back(r && best > 0 ? Fmt("%.2f", r->ops_per_sec / best) : "-");
    }
    row.push_back(best_name);
    const Result* lsm = find("lsm", w);
    for (const char* peer : {"rocksdb", "leveldb"}) {
      const Result* p = find(peer, w);
      row.push_back(lsm && p && p->ops_per_sec > 0 ? Fmt("%.2f", lsm->ops_per_sec / p->ops_per_sec)
                                                   : "-");
    }
    Row(out, row);
  }

  std::fputs("\nLatency per operation, p50 / p99 (microseconds):\n\n", out);
  head.resize(engines.size() + 1);
  Header(out, head);
  for (const auto& w : workloads) {
    std::vector<std::string> row = {w};
    for (const auto& e : engines) {
      const Result* r = find(e, w);
      row.push_back(r ? Fmt("%.1f", r->p50_us) + " / " + Fmt("%.1f", r->p99_us) : "-");
    }
    Row(out, row);
  }

  std::fputs("\nOn-disk size of the DB directory (MiB) after the workload:\n\n", out);
  Header(out, head);
  for (const auto& w : workloads) {
    if (w != "overwrite" && w != "fillrandom" && w != "fill16k") continue;
    std::vector<std::string> row = {w};
    for (const auto& e : engines) {
      const Result* r = find(e, w);
      row.push_back(r ? Fmt("%.1f", static_cast<double>(r->db_bytes) / (1 << 20)) : "-");
    }
    Row(out, row);
  }

  // Each distinct note once per workload, with the engines it applies to.
  std::map<std::pair<std::string, std::string>, std::string> notes;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& r : results) {
    for (const std::string& text : {r.note, r.error.empty() ? "" : "ERROR " + r.error}) {
      if (text.empty()) continue;
      auto key = std::make_pair(r.workload, text);
      auto [it, added] = notes.emplace(key, r.engine);
      if (added) {
        order.push_back(key);
      } else {
        it->second += ", " + r.engine;
      }
    }
  }
  if (!order.empty()) std::fputs("\nNotes:\n\n", out);
  for (const auto& key : order) {
    std::fprintf(out, "- %s (%s): %s\n", key.first.c_str(), notes[key].c_str(), key.second.c_str());
  }
}

}  // namespace jadedb::bench
