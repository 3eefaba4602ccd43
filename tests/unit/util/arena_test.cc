#include "util/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "util/random.h"

namespace jadedb {
namespace {

TEST(ArenaTest, AllocationsKeepTheirContents) {
  Arena arena;
  Random rnd(301);
  std::vector<std::pair<size_t, char*>> allocated;
  size_t total = 0;
  for (int i = 0; i < 10000; i++) {
    size_t n = i % 500 == 0 ? 6000 : 1 + rnd.Uniform(i % 10 == 0 ? 3000 : 20);
    char* p = rnd.OneIn(2) ? arena.AllocateAligned(n) : arena.Allocate(n);
    std::memset(p, i % 256, n);
    allocated.emplace_back(n, p);
    total += n;
    EXPECT_GE(arena.MemoryUsage(), total);
  }
  for (size_t i = 0; i < allocated.size(); i++) {
    for (size_t b = 0; b < allocated[i].first; b++) {
      ASSERT_EQ(static_cast<unsigned char>(allocated[i].second[b]), i % 256);
    }
  }
}

TEST(ArenaTest, AlignedAllocationsAreAligned) {
  Arena arena;
  arena.Allocate(1);
  for (int i = 0; i < 100; i++) {
    char* p = arena.AllocateAligned(static_cast<size_t>(1 + i % 13));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
    arena.Allocate(static_cast<size_t>(i % 7));
  }
}

}  // namespace
}  // namespace jadedb
