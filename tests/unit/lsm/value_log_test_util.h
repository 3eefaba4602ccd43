// Keys and large values shared by the value-log tests of the LSM engine.
#pragma once

#include <cstdio>
#include <string>

#include "jadedb/options.h"

namespace jadedb::test {

// "key%06d": fixed width, so keys sort in numeric order.
inline std::string VlogKey(int i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%06d", i);
  return buf;
}

// A value of `size` bytes (above the tests' value_threshold of 1000, so it is separated) that
// names its key and version, so a value read back under the wrong key or version is caught.
inline std::string BigValue(int i, int version, size_t size = 5000) {
  std::string v = "v" + std::to_string(i) + "/" + std::to_string(version) + ":";
  v.resize(size, static_cast<char>('a' + (i + version) % 26));
  return v;
}

// Options for value-log GC tests: values of 1000 bytes and more separated, 64 KiB segments,
// and tiny memtables, tables and levels, since pointers are small and garbage is only
// counted once flushes and compactions merge a key's versions.
inline Options SmallVlogGcOptions() {
  Options options;
  options.create_if_missing = true;
  options.lsm.value_threshold = 1000;
  options.lsm.value_log_segment_size = 64 << 10;
  options.lsm.write_buffer_size = 8 << 10;
  options.lsm.level0_file_num_compaction_trigger = 2;
  options.lsm.target_file_size = 64 << 10;
  options.lsm.max_bytes_for_level_base = 256 << 10;
  return options;
}

}  // namespace jadedb::test
