// DumpTableFile: a human-readable listing of a table file for `jadedb dump-sst FILE` and for
// debugging: the footer, the properties, the metaindex and index entries, then every data
// block with its entries. Keys that parse as internal keys (the table was written with the
// internal key comparator) print as 'user_key' @ seq : type; bytes outside printable ASCII
// print as \xHH. Thread-safe (reads the file only).
#pragma once

#include <string>

#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::lsm {

// Appends the dump of the table at path to *out. Reads every block with checksum
// verification; on a damaged file returns Corruption naming the file and offset, with the
// dump up to the damage already appended.
Status DumpTableFile(Env* env, const std::string& path, std::string* out);

}  // namespace jadedb::lsm
