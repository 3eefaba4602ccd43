// RandomRWFile: a file read and written at arbitrary offsets (the data segment files).
//
// jadedb::Env offers only append-only writable files, so the storage layer reaches random
// writes through this small extension: an Env that also implements RandomRWEnv (test envs
// that simulate crashes do) supplies the files; any other Env gets POSIX pread/pwrite files.
// All other I/O (WAL, double-write, directory operations) goes through the Env itself.
// TODO(lead): fold NewRandomRWFile into jadedb::Env and drop this shim.
//
// Thread safety: Read and Write may be called concurrently on distinct ranges.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "jadedb/env.h"
#include "jadedb/status.h"

namespace jadedb::bplustree {

class RandomRWFile {
 public:
  virtual ~RandomRWFile() = default;
  // Reads up to n bytes at offset into buf; *read is how many were read (fewer at EOF).
  virtual Status Read(uint64_t offset, size_t n, char* buf, size_t* read) const = 0;
  virtual Status Write(uint64_t offset, const char* data, size_t n) = 0;
  virtual Status Sync() = 0;
  virtual Status Size(uint64_t* size) const = 0;
};

// Mix-in for Envs that provide their own random read-write files.
class RandomRWEnv {
 public:
  virtual ~RandomRWEnv() = default;
  // Opens path for reading and writing, creating it when absent.
  virtual Status NewRandomRWFile(const std::string& path,
                                 std::unique_ptr<RandomRWFile>* result) = 0;
};

// Uses env's RandomRWEnv when it has one, POSIX files otherwise.
Status NewRandomRWFile(Env* env, const std::string& path, std::unique_ptr<RandomRWFile>* result);

}  // namespace jadedb::bplustree
