// Helpers shared by the tests: a fresh temporary directory per test and random data.
#pragma once

#include <string>

#include "util/random.h"

namespace jadedb::test {

// A new empty directory under $TMPDIR (or /tmp), removed with its contents on destruction
// unless the environment variable JADEDB_KEEP_TEST_DIRS is set.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A string of len random bytes (all 256 values) / random printable characters.
std::string RandomBytes(Random* rnd, size_t len);
std::string RandomPrintable(Random* rnd, size_t len);

// A seed for randomized tests: $JADEDB_TEST_SEED when set, else time-based. Printed by the
// caller so a failure can be replayed.
uint64_t TestSeed();

}  // namespace jadedb::test
