#include "workloads.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <thread>

#include "histogram.h"
#include "keygen.h"

namespace jadedb::bench {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t NanosSince(Clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
}

void AddNote(Result* r, const std::string& note) {
  if (!r->note.empty()) r->note += "; ";
  r->note += note;
}

// CPU time of the calling thread (user + system), in nanoseconds.
uint64_t ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// Runs op(i) for i in [0, n), timing each call into *hist and the whole loop into *result.
// The note gets the loop thread's CPU time per op: unlike wall time it does not count the
// time the thread waited for a core, so it compares engines fairly on a busy machine (it does
// not count background threads, nor time blocked in I/O or on locks).
template <typename Op>
Status TimedLoop(uint64_t n, Result* result, Op op) {
  Histogram hist;
  const uint64_t cpu_start = ThreadCpuNanos();
  Clock::time_point start = Clock::now();
  Status s;
  uint64_t done = 0;
  for (; done < n; done++) {
    Clock::time_point t0 = Clock::now();
    s = op(done);
    hist.Add(NanosSince(t0));
    if (!s.ok()) break;
  }
  result->seconds = static_cast<double>(NanosSince(start)) / 1e9;
  result->ops = done;
  if (done > 0) {
    char cpu[48];
    std::snprintf(
        cpu, sizeof(cpu), "fg-cpu %.2f us/op",
        static_cast<double>(ThreadCpuNanos() - cpu_start) / 1e3 / static_cast<double>(done));
    AddNote(result, cpu);
  }
  result->p50_us = hist.Percentile(50) / 1000.0;
  result->p99_us = hist.Percentile(99) / 1000.0;
  return s;
}

struct WorkloadInfo {
  const char* name;
  const char* help;
};

const WorkloadInfo kWorkloads[] = {
    {"fillseq", "num puts in key order into a fresh DB"},
    {"fillrandom", "num puts in random order (each key once) into a fresh DB"},
    {"overwrite", "num puts of uniformly random existing keys"},
    {"readrandom", "num gets of uniformly random existing keys (all hits)"},
    {"readmissing", "num gets of absent keys that sort between present ones"},
    {"seekrandom", "num seeks to random existing keys, each followed by 10 nexts"},
    {"readseq", "one full scan from the first key (ops = entries read)"},
    {"deleterandom", "num deletes, each existing key once in random order"},
    {"fillsync", "num/100 puts in random order into a fresh DB, each durable (sync)"},
    {"ycsb-a", "num ops, zipfian keys: 50% read, 50% update"},
    {"ycsb-b", "num ops, zipfian keys: 95% read, 5% update"},
    {"ycsb-c", "num ops, zipfian keys: 100% read"},
    {"ycsb-d", "num ops: 95% read of latest-skewed keys, 5% insert of new keys"},
    {"ycsb-e", "num/10 ops, zipfian start keys: 95% scan of 1..100 entries, 5% insert"},
    {"ycsb-f", "num ops, zipfian keys: 50% read, 50% read-modify-write"},
    {"readwhilewriting",
     "--threads readers do num gets in total while one writer overwrites random keys; "
     "reports reader ops/s"},
    {"fill16k", "num/50 puts of 16 KiB values in random order into a fresh DB"},
};

}  // namespace

const std::vector<std::string>& AllWorkloads() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& w : kWorkloads) v.push_back(w.name);
    return v;
  }();
  return names;
}

bool IsWorkload(const std::string& name) {
  for (const auto& w : kWorkloads) {
    if (name == w.name) return true;
  }
  return false;
}

std::string WorkloadHelp() {
  std::string out;
  for (const auto& w : kWorkloads) {
    std::string name = w.name;
    name.resize(18, ' ');
    out += "  " + name + w.help + "\n";
  }
  return out;
}

EngineRun::EngineRun(std::string engine, const BenchConfig& config)
    : engine_(std::move(engine)), config_(config), dir_(config.db_root + "/" + engine_) {}

EngineRun::~EngineRun() { Finish(); }

Status EngineRun::Start(std::string* why) {
  adapter_ = NewAdapter(engine_, why);
  if (!adapter_) return Status::NotSupported(engine_, *why);
  Status s = Fresh();
  if (!s.ok()) {
    *why = s.ToString();
    adapter_.reset();
  }
  return s;
}

void EngineRun::Finish() {
  if (!adapter_) return;
  adapter_->Close();
  adapter_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status EngineRun::Fresh() {
  adapter_->Close();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::IOError("create " + dir_, ec.message());
  full_ = false;
  inserted_ = 0;
  return adapter_->Open(dir_, config_.settings);
}

Status EngineRun::EnsureFull(Result* result) {
  if (full_) return Status::OK();
  Status s = Fresh();
  if (!s.ok()) return s;
  ValueGenerator values(config_.seed);
  std::vector<uint32_t> order = Permutation(static_cast<uint32_t>(config_.num), config_.seed);
  std::vector<KeyValue> batch;
  for (uint64_t i = 0; i < config_.num; i++) {
    batch.emplace_back(MakeKey(order[i]), std::string(values.Next(config_.value_size)));
    if (batch.size() == 1000 || i + 1 == config_.num) {
      s = adapter_->WriteBatch(batch, false);
      if (!s.ok()) return s;
      batch.clear();
    }
  }
  full_ = true;
  AddNote(result, "prefilled (untimed)");
  return Status::OK();
}

void EngineRun::RunWorkload(const std::string& w, Result* result) {
  result->engine = engine_;
  result->workload = w;
  run_counter_++;
  // Before the workload (and before its untimed prefill, when it has one).
  if (std::string shape = adapter_->Shape(); !shape.empty()) AddNote(result, shape);
  Status s;
  if (w == "fillseq") {
    s = Fill(result, true);
  } else if (w == "fillrandom") {
    s = Fill(result, false);
  } else if (w == "overwrite") {
    s = Overwrite(result);
  } else if (w == "readrandom") {
    s = ReadRandom(result, false);
  } else if (w == "readmissing") {
    s = ReadRandom(result, true);
  } else if (w == "seekrandom") {
    s = SeekRandom(result);
  } else if (w == "readseq") {
    s = ReadSeq(result);
  } else if (w == "deleterandom") {
    s = DeleteRandom(result);
  } else if (w == "fillsync") {
    s = FillSync(result);
  } else if (w == "fill16k") {
    s = Fill16k(result);
  } else if (w.size() == 6 && w.compare(0, 5, "ycsb-") == 0 && w[5] >= 'a' && w[5] <= 'f') {
    s = Ycsb(w[5], result);
  } else if (w == "readwhilewriting") {
    s = ReadWhileWriting(result);
  } else {
    s = Status::InvalidArgument("unknown workload", w);
  }
  if (!s.ok()) result->error = s.ToString();
  if (result->seconds > 0) result->ops_per_sec = static_cast<double>(result->ops) / result->seconds;
  result->db_bytes = DbBytes(dir_);
}

Status EngineRun::Fill(Result* result, bool sequential) {
  Status s = Fresh();
  if (!s.ok()) return s;
  ValueGenerator values(config_.seed + run_counter_);
  std::vector<uint32_t> order;
  if (!sequential) order = Permutation(static_cast<uint32_t>(config_.num), config_.seed);
  char key[kKeySize];
  s = TimedLoop(config_.num, result, [&](uint64_t i) {
    FormatKey(sequential ? i : order[i], false, key);
    return adapter_->Put(std::string_view(key, kKeySize), values.Next(config_.value_size), false);
  });
  full_ = s.ok();
  return s;
}

Status EngineRun::Overwrite(Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  ValueGenerator values(config_.seed + run_counter_);
  Random64 rng(config_.seed + run_counter_);
  char key[kKeySize];
  return TimedLoop(config_.num, result, [&](uint64_t) {
    FormatKey(rng.Uniform(config_.num), false, key);
    return adapter_->Put(std::string_view(key, kKeySize), values.Next(config_.value_size), false);
  });
}

Status EngineRun::ReadRandom(Result* result, bool missing) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  Random64 rng(config_.seed + run_counter_);
  char key[kKeySize];
  std::string value;
  uint64_t found = 0;
  s = TimedLoop(config_.num, result, [&](uint64_t) {
    FormatKey(rng.Uniform(config_.num), missing, key);
    Status g = adapter_->Get(std::string_view(key, kKeySize), &value);
    if (g.ok()) {
      found++;
      return g;
    }
    return g.IsNotFound() ? Status::OK() : g;
  });
  uint64_t expected = missing ? 0 : result->ops;
  if (s.ok() && found != expected) {
    return Status::Corruption("found " + std::to_string(found) + " of " +
                              std::to_string(result->ops) + " keys, expected " +
                              std::to_string(expected));
  }
  return s;
}

Status EngineRun::SeekRandom(Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  Random64 rng(config_.seed + run_counter_);
  char key[kKeySize];
  std::unique_ptr<Cursor> cursor = adapter_->NewCursor();
  uint64_t bytes = 0;
  s = TimedLoop(config_.num, result, [&](uint64_t) {
    FormatKey(rng.Uniform(config_.num), false, key);
    cursor->Seek(std::string_view(key, kKeySize));
    if (!cursor->Valid()) return Status::Corruption("seek found nothing");
    for (int j = 0; j < 10 && cursor->Valid(); j++) {
      bytes += cursor->key().size() + cursor->value().size();
      cursor->Next();
    }
    return Status::OK();
  });
  AddNote(result, "one cursor reused for all seeks");
  return s;
}

Status EngineRun::ReadSeq(Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  std::unique_ptr<Cursor> cursor = adapter_->NewCursor();
  cursor->Seek("");
  uint64_t bytes = 0;
  s = TimedLoop(config_.num + inserted_, result, [&](uint64_t) {
    if (!cursor->Valid()) return Status::NotFound("end");
    bytes += cursor->key().size() + cursor->value().size();
    cursor->Next();
    return Status::OK();
  });
  if (s.IsNotFound()) s = Status::OK();
  if (s.ok() && result->ops < config_.num) {
    return Status::Corruption("scan read " + std::to_string(result->ops) + " entries");
  }
  return s;
}

Status EngineRun::DeleteRandom(Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  std::vector<uint32_t> order =
      Permutation(static_cast<uint32_t>(config_.num), config_.seed + run_counter_);
  char key[kKeySize];
  full_ = false;
  return TimedLoop(config_.num, result, [&](uint64_t i) {
    FormatKey(order[i], false, key);
    return adapter_->Delete(std::string_view(key, kKeySize), false);
  });
}

Status EngineRun::FillSync(Result* result) {
  Status s = Fresh();
  if (!s.ok()) return s;
  uint64_t n = std::max<uint64_t>(1, config_.num / 100);
  ValueGenerator values(config_.seed + run_counter_);
  std::vector<uint32_t> order = Permutation(static_cast<uint32_t>(config_.num), config_.seed);
  char key[kKeySize];
  AddNote(result, "ops=num/100, every put synced");
  return TimedLoop(n, result, [&](uint64_t i) {
    FormatKey(order[i], false, key);
    return adapter_->Put(std::string_view(key, kKeySize), values.Next(config_.value_size), true);
  });
}

Status EngineRun::Fill16k(Result* result) {
  Status s = Fresh();
  if (!s.ok()) return s;
  uint64_t n = std::max<uint64_t>(1, config_.num / 50);
  ValueGenerator values(config_.seed + run_counter_);
  std::vector<uint32_t> order = Permutation(static_cast<uint32_t>(n), config_.seed);
  char key[kKeySize];
  AddNote(result, "ops=num/50, 16 KiB values");
  return TimedLoop(n, result, [&](uint64_t i) {
    FormatKey(order[i], false, key);
    return adapter_->Put(std::string_view(key, kKeySize), values.Next(16 << 10), false);
  });
}

Status EngineRun::Ycsb(char kind, Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  Random64 rng(config_.seed + run_counter_);
  ValueGenerator values(config_.seed + run_counter_);
  ScrambledZipfian zipf(config_.num);
  LatestGenerator latest(config_.num + inserted_);
  // Percent of operations that read (the rest update / insert / read-modify-write).
  int read_pct = kind == 'a' ? 50 : kind == 'b' ? 95 : kind == 'c' ? 100 : kind == 'f' ? 50 : 95;
  uint64_t ops = kind == 'e' ? std::max<uint64_t>(1, config_.num / 10) : config_.num;
  if (kind == 'e') AddNote(result, "ops=num/10, scans of 1..100 entries");
  char key[kKeySize];
  std::string value;
  auto get = [&](uint64_t index) {
    FormatKey(index, false, key);
    Status g = adapter_->Get(std::string_view(key, kKeySize), &value);
    return g.IsNotFound() ? Status::Corruption("ycsb key missing") : g;
  };
  auto put = [&](uint64_t index) {
    FormatKey(index, false, key);
    return adapter_->Put(std::string_view(key, kKeySize), values.Next(config_.value_size), false);
  };
  auto insert = [&]() {
    uint64_t index = config_.num + inserted_;
    Status p = put(index);
    if (p.ok()) {
      inserted_++;
      latest.SetItems(config_.num + inserted_);
    }
    return p;
  };
  return TimedLoop(ops, result, [&](uint64_t) -> Status {
    bool read = static_cast<int>(rng.Uniform(100)) < read_pct;
    switch (kind) {
      case 'a':
      case 'b':
      case 'c':
        return read ? get(zipf.Next(&rng)) : put(zipf.Next(&rng));
      case 'd':
        return read ? get(latest.Next(&rng)) : insert();
      case 'e': {
        if (!read) return insert();
        uint64_t length = 1 + rng.Uniform(100);
        std::unique_ptr<Cursor> cursor = adapter_->NewCursor();
        FormatKey(zipf.Next(&rng), false, key);
        cursor->Seek(std::string_view(key, kKeySize));
        for (uint64_t j = 0; j < length && cursor->Valid(); j++) {
          value.assign(cursor->value());
          cursor->Next();
        }
        return Status::OK();
      }
      default: {  // 'f'
        uint64_t index = zipf.Next(&rng);
        Status g = get(index);
        if (read || !g.ok()) return g;
        return put(index);
      }
    }
  });
}

Status EngineRun::ReadWhileWriting(Result* result) {
  Status s = EnsureFull(result);
  if (!s.ok()) return s;
  int threads = std::max(1, config_.threads);
  uint64_t per_reader = std::max<uint64_t>(1, config_.num / threads);
  std::atomic<bool> readers_done{false};
  std::atomic<uint64_t> writes{0};
  Status writer_status;
  std::thread writer([&] {
    Random64 rng(config_.seed + run_counter_ + 1000);
    ValueGenerator values(config_.seed + run_counter_);
    char key[kKeySize];
    while (!readers_done.load(std::memory_order_relaxed)) {
      FormatKey(rng.Uniform(config_.num), false, key);
      Status p =
          adapter_->Put(std::string_view(key, kKeySize), values.Next(config_.value_size), false);
      if (!p.ok()) {
        writer_status = p;
        return;
      }
      writes.fetch_add(1, std::memory_order_relaxed);
    }
  });
  std::vector<Histogram> hists(threads);
  std::vector<Status> statuses(threads);
  std::vector<std::thread> readers;
  Clock::time_point start = Clock::now();
  for (int t = 0; t < threads; t++) {
    readers.emplace_back([&, t] {
      Random64 rng(config_.seed + run_counter_ + 2000 + t);
      char key[kKeySize];
      std::string value;
      for (uint64_t i = 0; i < per_reader; i++) {
        FormatKey(rng.Uniform(config_.num), false, key);
        Clock::time_point t0 = Clock::now();
        Status g = adapter_->Get(std::string_view(key, kKeySize), &value);
        hists[t].Add(NanosSince(t0));
        if (!g.ok()) {
          statuses[t] = g.IsNotFound() ? Status::Corruption("key missing") : g;
          return;
        }
      }
    });
  }
  for (auto& r : readers) r.join();
  result->seconds = static_cast<double>(NanosSince(start)) / 1e9;
  readers_done = true;
  writer.join();
  Histogram all;
  for (const auto& h : hists) all.Merge(h);
  result->ops = all.count();
  result->p50_us = all.Percentile(50) / 1000.0;
  result->p99_us = all.Percentile(99) / 1000.0;
  AddNote(result, std::to_string(threads) + " reader(s); writer did " +
                      std::to_string(static_cast<uint64_t>(writes.load() / result->seconds)) +
                      " puts/s");
  for (const auto& st : statuses) {
    if (!st.ok()) return st;
  }
  return writer_status;
}

}  // namespace jadedb::bench
