// StripeLock: the mutex of one key stripe (Keyspace). A connection may hold hundreds of them at
// once (a pipelined burst of writes to many keys holds a stripe per key until its commit;
// FLUSHDB holds all 1024), which pthread mutexes allow but ThreadSanitizer's deadlock detector
// does not (it tracks at most 64 held mutexes per thread and aborts). An atomic int with C++20
// wait/notify is as cheap uncontended (one exchange to lock, one store to unlock) and four
// bytes instead of forty. Deadlock freedom comes from the acquisition order documented in
// keyspace.h, not from this class.
//
// Thread-safe; satisfies Lockable (lock, try_lock, unlock), so std::lock_guard works.
#pragma once

#include <atomic>

namespace jadedb::server {

class StripeLock {
 public:
  void lock() {
    while (state_.exchange(1, std::memory_order_acquire) != 0) {
      state_.wait(1, std::memory_order_relaxed);  // spins briefly, then sleeps in the kernel
    }
  }
  bool try_lock() { return state_.exchange(1, std::memory_order_acquire) == 0; }
  void unlock() {
    state_.store(0, std::memory_order_release);
    state_.notify_one();  // a load of the waiter count when nobody waits
  }

 private:
  std::atomic<int> state_{0};
};

}  // namespace jadedb::server
