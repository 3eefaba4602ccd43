#include "lsm/base/filename.h"

#include <charconv>
#include <cstdio>

namespace jadedb::lsm {
namespace {

std::string NumberedName(const std::string& dbname, uint64_t number, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%06llu.%s", static_cast<unsigned long long>(number), suffix);
  return dbname + buf;
}

bool ParseNumber(std::string_view s, uint64_t* number) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *number);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string LogFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "log");
}
std::string TableFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "sst");
}
std::string TempFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "dbtmp");
}
std::string ValueLogFileName(const std::string& dbname, uint64_t number) {
  return NumberedName(dbname, number, "vlog");
}
std::string ManifestFileName(const std::string& dbname, uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/MANIFEST-%06llu", static_cast<unsigned long long>(number));
  return dbname + buf;
}
std::string CurrentFileName(const std::string& dbname) { return dbname + "/CURRENT"; }
std::string InfoLogFileName(const std::string& dbname) { return dbname + "/LOG"; }
std::string OldInfoLogFileName(const std::string& dbname) { return dbname + "/LOG.old"; }

bool ParseFileName(std::string_view name, uint64_t* number, FileType* type) {
  if (name == "CURRENT") {
    *number = 0;
    *type = FileType::kCurrentFile;
    return true;
  }
  if (name == "VLOGGARBAGE" || name == "VLOGGARBAGE.tmp") {
    *number = 0;
    *type = FileType::kValueLogGarbageFile;
    return true;
  }
  if (name == "LOG" || name == "LOG.old") {
    *number = 0;
    *type = FileType::kInfoLogFile;
    return true;
  }
  constexpr std::string_view kManifest = "MANIFEST-";
  if (name.starts_with(kManifest)) {
    *type = FileType::kManifestFile;
    return ParseNumber(name.substr(kManifest.size()), number);
  }
  size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view suffix = name.substr(dot + 1);
  if (suffix == "log") {
    *type = FileType::kLogFile;
  } else if (suffix == "sst") {
    *type = FileType::kTableFile;
  } else if (suffix == "dbtmp") {
    *type = FileType::kTempFile;
  } else if (suffix == "vlog") {
    *type = FileType::kValueLogFile;
  } else {
    return false;
  }
  return ParseNumber(name.substr(0, dot), number);
}

Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number) {
  std::string manifest = ManifestFileName(dbname, manifest_number);
  std::string contents = manifest.substr(dbname.size() + 1) + "\n";
  std::string tmp = TempFileName(dbname, manifest_number);
  Status s = WriteStringToFile(env, contents, tmp, /*sync=*/true);
  if (s.ok()) s = env->RenameFile(tmp, CurrentFileName(dbname));
  if (s.ok()) s = env->SyncDir(dbname);
  if (!s.ok()) env->RemoveFile(tmp);
  return s;
}

}  // namespace jadedb::lsm
