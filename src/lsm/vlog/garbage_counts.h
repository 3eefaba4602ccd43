// The VLOGGARBAGE file: the value log's per-segment garbage counts, kept across restarts so
// automatic GC does not forget what compactions dropped before a close or a crash
// (docs/formats/vlog.md, "Garbage counts file"). The counts are a hint for picking GC
// victims, never for correctness: a missing or damaged file only means counting starts over.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace jadedb::lsm::vlog {

// Segment number -> accounted garbage bytes.
using GarbageCounts = std::map<uint64_t, uint64_t>;

// Name of the file in the DB directory, and of the temporary file it is written through.
std::string GarbageCountsFileName(const std::string& dbname);
std::string GarbageCountsTempFileName(const std::string& dbname);

// Serializes counts: magic, version, count, (segment, garbage) pairs, masked CRC32C.
std::string EncodeGarbageCounts(const GarbageCounts& counts);

// Parses a file written by EncodeGarbageCounts. False, with *why set, when the contents are
// not such a file (short, wrong magic or version, wrong length, checksum mismatch).
bool DecodeGarbageCounts(std::string_view data, GarbageCounts* counts, std::string* why);

}  // namespace jadedb::lsm::vlog
