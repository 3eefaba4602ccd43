// DB::Open and DestroyDB: the steps every engine shares. Order matters for the promise that a
// failed open touches nothing: existence checks first, then the lock, then the marker, and
// only then does the engine create or read its files.
#include "jadedb/db.h"

#include <vector>

#include "engine/checked_db.h"
#include "engine/engine.h"
#include "engine/engine_marker.h"
#include "jadedb/env.h"

namespace jadedb {
namespace {

std::string LockFilePath(const std::string& path) { return path + "/LOCK"; }

Status CheckEngineMatches(const std::string& path, EngineType on_disk, EngineType requested) {
  if (on_disk == requested) return Status::OK();
  return Status::InvalidArgument(
      path, std::string("was created by engine '") + EngineTypeName(on_disk) +
                "'; cannot open it with engine '" + EngineTypeName(requested) + "'");
}

}  // namespace

Status DB::Open(const Options& options, const std::string& path, std::unique_ptr<DB>* db) {
  db->reset();
  Env* env = options.env != nullptr ? options.env : Env::Default();
  if (path.empty()) return Status::InvalidArgument("DB::Open: empty path");

  bool exists = env->FileExists(EngineMarkerPath(path));
  if (exists) {
    // Checked first so that a directory of another engine gets the clearest error, even
    // when the requested engine is not in this build.
    EngineType on_disk;
    Status s = ReadEngineMarker(env, path, &on_disk);
    if (!s.ok()) return s;
    s = CheckEngineMatches(path, on_disk, options.engine);
    if (!s.ok()) return s;
  }

  const EngineEntry* entry = FindEngine(options.engine);
  if (entry == nullptr) {
    return Status::NotSupported(std::string("engine '") + EngineTypeName(options.engine) +
                                "' is not available in this build");
  }
  Status s = entry->validate_options(options);
  if (!s.ok()) return s;

  if (!exists && !options.create_if_missing) {
    return Status::InvalidArgument(path, "does not exist (create_if_missing is false)");
  }
  if (exists && options.error_if_exists) {
    return Status::InvalidArgument(path, "exists (error_if_exists is true)");
  }
  if (!exists) {
    s = env->CreateDirIfMissing(path);
    if (!s.ok()) return s;
  }

  std::unique_ptr<FileLock> lock;
  s = env->LockFile(LockFilePath(path), &lock);
  if (!s.ok()) return s;

  // Re-read under the lock: another process may have created the DB in the meantime.
  EngineType on_disk;
  s = ReadEngineMarker(env, path, &on_disk);
  if (s.ok()) {
    if (!exists && options.error_if_exists) {
      return Status::InvalidArgument(path, "exists (error_if_exists is true)");
    }
    s = CheckEngineMatches(path, on_disk, options.engine);
    if (!s.ok()) return s;
  } else if (s.IsNotFound()) {
    // Written before the engine creates anything, so a crash mid-creation leaves a directory
    // that is known to belong to this engine.
    s = WriteEngineMarker(env, path, options.engine);
    if (!s.ok()) return s;
  } else {
    return s;
  }

  std::unique_ptr<DB> engine;
  s = entry->open(options, path, &engine);
  if (!s.ok()) return s;
  *db = std::make_unique<CheckedDB>(std::move(engine), std::move(lock));
  return Status::OK();
}

Status ReadEngineType(const std::string& path, EngineType* engine, Env* env) {
  if (env == nullptr) env = Env::Default();
  return ReadEngineMarker(env, path, engine);
}

Status DestroyDB(const std::string& path, const Options& options) {
  Env* env = options.env != nullptr ? options.env : Env::Default();
  std::vector<std::string> names;
  Status s = env->GetChildren(path, &names);
  if (s.IsNotFound()) return Status::OK();  // nothing to destroy
  if (!s.ok()) return s;

  std::unique_ptr<FileLock> lock;
  s = env->LockFile(LockFilePath(path), &lock);
  if (!s.ok()) return s;
  EngineType engine;
  s = ReadEngineMarker(env, path, &engine);
  if (!s.ok()) return s;
  const EngineEntry* entry = FindEngine(engine);
  if (entry == nullptr) {
    return Status::NotSupported(path, std::string("made by engine '") + EngineTypeName(engine) +
                                          "', which this build does not have");
  }
  for (const std::string& name : names) {
    if (name == "LOCK" || name == "ENGINE") continue;
    if (!entry->owns_file(name)) continue;
    Status r = env->RemoveFile(path + "/" + name);
    if (!r.ok() && s.ok()) s = r;
  }
  if (!s.ok()) return s;
  // The marker goes last: a DestroyDB interrupted before this point can be repeated.
  s = env->RemoveFile(EngineMarkerPath(path));
  lock.reset();
  env->RemoveFile(LockFilePath(path));
  env->RemoveDir(path);  // fails harmlessly when foreign files remain
  return s;
}

}  // namespace jadedb
