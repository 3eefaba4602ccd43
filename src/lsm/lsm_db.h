// Entry points of the LSM-tree engine for the engine registry (src/engine). Everything else
// of the engine is private to src/lsm.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "jadedb/db.h"

namespace jadedb::lsm {

// InvalidArgument naming the first bad field of options.lsm.
Status ValidateLsmOptions(const Options& options);

// Opens or creates the LSM engine's files in dbname, which exists and is locked by the caller.
Status OpenLsmDB(const Options& options, const std::string& dbname, std::unique_ptr<DB>* db);

// True for file names the LSM engine creates (logs, tables, manifests, CURRENT, LOG...).
bool IsLsmFileName(std::string_view name);

}  // namespace jadedb::lsm
