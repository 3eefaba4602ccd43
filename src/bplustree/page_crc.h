// PageCrc: CRC32C of large buffers (whole pages), the same value as crc32c::Extend, computed
// faster where the CPU has the SSE4.2 crc32 instruction.
//
// Why: every buffer-pool miss checksums a whole page (16 KiB by default), and every flushed
// page is sealed. The crc32 instruction has a latency of 3 cycles but a throughput of one per
// cycle, so one dependent chain of crc32 over the buffer runs at a third of the speed the CPU
// can give. This runs three independent chains over three adjacent blocks and joins them
// with precomputed "shift by a block of zero bytes" tables (the CRC of A||B is the CRC of A
// advanced over |B| zero bytes, xor the CRC of B from a zero state), as Intel's crc_pcl and
// Linux's crc32c-intel do.
//
// Thread safety: pure functions (the tables are built once, thread-safely).
#pragma once

#include <cstddef>
#include <cstdint>

namespace jadedb::bplustree {

// crc32c::Extend(init_crc, data, n), bit for bit.
uint32_t PageCrcExtend(uint32_t init_crc, const char* data, size_t n);

}  // namespace jadedb::bplustree
