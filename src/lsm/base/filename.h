// Names of the files in an LSM DB directory:
//   NNNNNN.log        write-ahead log (one per memtable)
//   NNNNNN.sst        table
//   MANIFEST-NNNNNN   version edits (the file list of every level)
//   CURRENT           name of the live manifest, newline-terminated
//   LOG, LOG.old      informational log
//   NNNNNN.dbtmp      temporary file (e.g. a CURRENT being written)
//   NNNNNN.vlog       value-log segment (docs/formats/vlog.md)
//   VLOGGARBAGE       value-log garbage counts, and VLOGGARBAGE.tmp while it is rewritten
// File numbers come from one counter kept in the manifest.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "jadedb/env.h"

namespace jadedb::lsm {

enum class FileType {
  kLogFile,
  kTableFile,
  kManifestFile,
  kCurrentFile,
  kInfoLogFile,
  kTempFile,
  kValueLogFile,
  kValueLogGarbageFile
};

std::string LogFileName(const std::string& dbname, uint64_t number);
std::string TableFileName(const std::string& dbname, uint64_t number);
std::string ManifestFileName(const std::string& dbname, uint64_t number);
std::string CurrentFileName(const std::string& dbname);
std::string InfoLogFileName(const std::string& dbname);
std::string OldInfoLogFileName(const std::string& dbname);
std::string TempFileName(const std::string& dbname, uint64_t number);
std::string ValueLogFileName(const std::string& dbname, uint64_t number);

// Parses a file name (not a path). False when it is not one of ours.
bool ParseFileName(std::string_view filename, uint64_t* number, FileType* type);

// Points CURRENT at MANIFEST-<manifest_number> atomically and durably (temp file, fsync,
// rename, fsync of the directory).
Status SetCurrentFile(Env* env, const std::string& dbname, uint64_t manifest_number);

}  // namespace jadedb::lsm
