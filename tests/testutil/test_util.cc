#include "testutil/test_util.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace jadedb::test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/jadedb-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed: " + tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (std::getenv("JADEDB_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string RandomBytes(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(rnd->Uniform(256));
  return s;
}

std::string RandomPrintable(Random* rnd, size_t len) {
  std::string s(len, '\0');
  for (auto& c : s) c = static_cast<char>(' ' + rnd->Uniform(95));
  return s;
}

uint64_t TestSeed() {
  if (const char* env = std::getenv("JADEDB_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  return static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
}

}  // namespace jadedb::test
