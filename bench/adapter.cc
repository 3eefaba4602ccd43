#include "adapter.h"

#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace jadedb::bench {

// Factories of the adapters, one per file; a peer's is only compiled when its library was
// found (bench/CMakeLists.txt defines JADEDB_BENCH_HAVE_<PEER>).
std::unique_ptr<Adapter> NewJadeDbAdapter(const std::string& engine);
#ifdef JADEDB_BENCH_HAVE_ROCKSDB
std::unique_ptr<Adapter> NewRocksDbAdapter();
#endif
#ifdef JADEDB_BENCH_HAVE_LEVELDB
std::unique_ptr<Adapter> NewLevelDbAdapter();
#endif
#ifdef JADEDB_BENCH_HAVE_LMDB
std::unique_ptr<Adapter> NewLmdbAdapter();
#endif
#ifdef JADEDB_BENCH_HAVE_WIREDTIGER
std::unique_ptr<Adapter> NewWiredTigerAdapter();
#endif
#ifdef JADEDB_BENCH_HAVE_SQLITE
std::unique_ptr<Adapter> NewSqliteAdapter();
#endif

uint64_t DbBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

std::vector<std::string> AllEngineNames() {
  return {"lsm", "bplustree", "rocksdb", "leveldb", "lmdb", "wiredtiger", "sqlite"};
}

std::unique_ptr<Adapter> NewAdapter(const std::string& name, std::string* why) {
  [[maybe_unused]] const char* kNotBuilt = "library not found when jadedb-bench was built";
  if (name == "lsm" || name == "bplustree") return NewJadeDbAdapter(name);
  if (name == "rocksdb") {
#ifdef JADEDB_BENCH_HAVE_ROCKSDB
    return NewRocksDbAdapter();
#else
    *why = kNotBuilt;
    return nullptr;
#endif
  }
  if (name == "leveldb") {
#ifdef JADEDB_BENCH_HAVE_LEVELDB
    return NewLevelDbAdapter();
#else
    *why = kNotBuilt;
    return nullptr;
#endif
  }
  if (name == "lmdb") {
#ifdef JADEDB_BENCH_HAVE_LMDB
    return NewLmdbAdapter();
#else
    *why = kNotBuilt;
    return nullptr;
#endif
  }
  if (name == "wiredtiger") {
#ifdef JADEDB_BENCH_HAVE_WIREDTIGER
    return NewWiredTigerAdapter();
#else
    *why = kNotBuilt;
    return nullptr;
#endif
  }
  if (name == "sqlite") {
#ifdef JADEDB_BENCH_HAVE_SQLITE
    return NewSqliteAdapter();
#else
    *why = kNotBuilt;
    return nullptr;
#endif
  }
  *why = "unknown engine";
  return nullptr;
}

}  // namespace jadedb::bench
