// Keys and large values shared by the value-log tests of the LSM engine.
#pragma once

#include <cstdio>
#include <string>

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

}  // namespace jadedb::test
