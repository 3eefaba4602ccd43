// The ENGINE marker file: records which engine created a DB directory so that opening it with
// another engine is a clear error instead of a misread (docs/formats/engine-marker.md).
#pragma once

#include <string>

#include "jadedb/env.h"
#include "jadedb/options.h"

namespace jadedb {

std::string EngineMarkerPath(const std::string& dbpath);

// Writes the marker durably (temp file, fsync, rename, fsync of the directory).
Status WriteEngineMarker(Env* env, const std::string& dbpath, EngineType engine);

// Reads the marker. NotFound when absent; Corruption (naming the file) when malformed.
Status ReadEngineMarker(Env* env, const std::string& dbpath, EngineType* engine);

}  // namespace jadedb
