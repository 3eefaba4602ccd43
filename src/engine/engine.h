// The engine registry. Every storage engine implements the public jadedb::DB interface (the
// internal contract is the same as the public one) and is reached through one entry here.
// The facade in db.cc handles what is common to all engines: the directory, its lock, the
// ENGINE marker, option basics and key/value limits; engines do the rest.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jadedb/db.h"

namespace jadedb {

struct EngineEntry {
  EngineType type;
  // Validates the engine's options before anything on disk is touched.
  Status (*validate_options)(const Options& options);
  // Opens (or creates) the engine's files in an existing, locked directory.
  Status (*open)(const Options& options, const std::string& path, std::unique_ptr<DB>* db);
  // True for the names of files this engine creates in a DB directory (DestroyDB removes
  // only those, so pointing it at the wrong directory destroys nothing else).
  bool (*owns_file)(std::string_view name);
};

// The entry for type, or null when this build has no such engine.
const EngineEntry* FindEngine(EngineType type);

}  // namespace jadedb
