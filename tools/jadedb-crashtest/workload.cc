#include "jadedb-crashtest/workload.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "util/coding.h"
#include "util/random.h"

namespace jadedb::crashtest {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string StampString(uint64_t stamp) {
  if (stamp == kAbsent) return "absent";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "e%u/t%u/s%u", StampEpoch(stamp), StampThread(stamp),
                StampSeq(stamp));
  return buf;
}

std::string KeyOf(uint32_t index) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key%08u", index);
  return buf;
}

bool ParseKey(std::string_view key, uint32_t* index) {
  if (key.size() != 11 || key.substr(0, 3) != "key") return false;
  uint32_t v = 0;
  for (char c : key.substr(3)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  *index = v;
  return true;
}

namespace {

size_t ValueLength(uint64_t stamp, uint32_t index) {
  uint64_t h = Mix64(stamp * 31 + index);
  if (h % 60 == 0) return 4096 + (h >> 8) % (kMaxLargeValue - 4096 + 1);
  return 12 + (h >> 8) % 289;
}

void FillValue(uint64_t stamp, uint32_t index, size_t len, std::string* out) {
  out->clear();
  out->reserve(len);
  PutFixed64(out, stamp);
  PutFixed32(out, index);
  uint64_t x = Mix64(stamp ^ (uint64_t{index} << 32) ^ 0x5bd1e995);
  while (out->size() + 8 <= len) {
    x = Mix64(x);
    PutFixed64(out, x);
  }
  x = Mix64(x);
  while (out->size() < len) {
    out->push_back(static_cast<char>(x & 0xff));
    x >>= 8;
  }
}

}  // namespace

std::string Value(uint64_t stamp, uint32_t index) {
  std::string v;
  FillValue(stamp, index, ValueLength(stamp, index), &v);
  return v;
}

bool CheckValue(std::string_view value, uint32_t index, uint64_t* stamp, std::string* why) {
  if (value.size() < 12) {
    *why = "value of " + std::to_string(value.size()) + " bytes is shorter than its header";
    return false;
  }
  *stamp = DecodeFixed64(value.data());
  const uint32_t stored_index = DecodeFixed32(value.data() + 8);
  if (stored_index != index) {
    *why = "value belongs to key index " + std::to_string(stored_index);
    return false;
  }
  const size_t want = ValueLength(*stamp, index);
  if (*stamp == kAbsent || value.size() != want) {
    *why = "value of stamp " + StampString(*stamp) + " has " + std::to_string(value.size()) +
           " bytes, expected " + std::to_string(want);
    return false;
  }
  std::string expected;
  FillValue(*stamp, index, want, &expected);
  if (value != expected) {
    size_t i = 0;
    while (value[i] == expected[i]) i++;
    *why = "value of stamp " + StampString(*stamp) + " differs at byte " + std::to_string(i);
    return false;
  }
  return true;
}

IterationParams MakeIterationParams(uint64_t seed, uint32_t epoch, uint32_t key_space,
                                    int max_threads) {
  Random rnd(Mix64(seed));
  IterationParams p;
  p.seed = seed;
  p.epoch = epoch;
  p.key_space = key_space;
  if (max_threads < 1) max_threads = 1;
  if (max_threads > kMaxThreads) max_threads = kMaxThreads;
  p.threads = 1 + static_cast<int>(rnd.Uniform(max_threads));
  static const int kSync[] = {0, 5, 20, 50, 100};
  p.sync_percent = kSync[rnd.Uniform(5)];
  p.delete_percent = static_cast<int>(rnd.Uniform(40));
  p.flush_per_mille = static_cast<int>(rnd.Uniform(6));
  p.lsm.write_buffer_size = (64 + rnd.Uniform(193)) << 10;  // 64..256 KiB
  p.lsm.max_immutable_memtables = 1 + static_cast<int>(rnd.Uniform(2));
  p.lsm.target_file_size = 64 << 10;
  p.lsm.level0_file_num_compaction_trigger = 2 + static_cast<int>(rnd.Uniform(3));
  p.lsm.level0_slowdown_writes_trigger = 8;
  p.lsm.level0_stop_writes_trigger = 12;
  p.lsm.max_bytes_for_level_base = 256 << 10;
  p.lsm.max_bytes_for_level_multiplier = 4;
  p.lsm.block_size = rnd.OneIn(2) ? 1024 : 4096;
  p.lsm.block_cache_size = 1 << 20;
  p.lsm.max_background_jobs = 1 + static_cast<int>(rnd.Uniform(2));
  return p;
}

Options CrashTestOptions(const IterationParams& params, EngineType engine) {
  Options options;
  options.engine = engine;
  options.create_if_missing = true;
  options.lsm = params.lsm;
  return options;
}

std::string ParamsString(const IterationParams& p) {
  char buf[512];
  std::snprintf(buf, sizeof(buf),
                "epoch=%u threads=%d keys=%u sync=%d%% delete=%d%% "
                "flush=%d/1000 write_buffer=%zuKiB l0_trigger=%d imm=%d bg_jobs=%d block=%zu",
                p.epoch, p.threads, p.key_space, p.sync_percent, p.delete_percent,
                p.flush_per_mille, p.lsm.write_buffer_size >> 10,
                p.lsm.level0_file_num_compaction_trigger, p.lsm.max_immutable_memtables,
                p.lsm.max_background_jobs, p.lsm.block_size);
  return buf;
}

Batch GenerateBatch(const IterationParams& params, int thread, uint32_t seq) {
  Batch b;
  b.stamp = MakeStamp(params.epoch, seq, static_cast<uint32_t>(thread));
  Random rnd(Mix64(params.seed ^ Mix64(b.stamp)));
  b.sync = rnd.Uniform(100) < static_cast<uint64_t>(params.sync_percent);
  const uint32_t begin = params.Begin(thread);
  const uint32_t size = params.End(thread) - begin;
  if (size == 0) return b;
  // Mostly small batches, sometimes up to 32 operations.
  const int n = 1 + static_cast<int>(rnd.Skewed(5));
  for (int i = 0; i < n; i++) {
    BatchOp op;
    op.key = begin + static_cast<uint32_t>(rnd.Uniform(size));
    op.key_end = op.key + 1;
    const uint64_t r = rnd.Uniform(100);
    if (params.range_deletes && r < 3) {
      op.kind = BatchOp::kDeleteRange;
      op.key_end =
          std::min(params.End(thread), op.key + 1 + static_cast<uint32_t>(rnd.Uniform(16)));
    } else if (r < static_cast<uint64_t>(params.delete_percent)) {
      op.kind = BatchOp::kDelete;
    } else {
      op.kind = BatchOp::kPut;
    }
    b.ops.push_back(op);
  }
  return b;
}

}  // namespace jadedb::crashtest
