#include "bplustree/overflow.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "bplustree/storage_engine.h"
#include "jadedb/env.h"
#include "testutil/test_util.h"
#include "util/random.h"

namespace jadedb::bplustree {
namespace {

class OverflowTest : public testing::Test {
 protected:
  OverflowTest() {
    BPlusTreeOptions o;
    o.env = Env::Default();
    o.page_size = 4096;
    o.buffer_pool_bytes = 1 << 20;
    o.flusher_interval_ms = 0;
    o.checkpoint_interval_ms = 0;
    Status s = StorageEngine::Open(o, dir_.path(), &engine_);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  test::TempDir dir_;
  std::unique_ptr<StorageEngine> engine_;
};

TEST_F(OverflowTest, RoundTripAcrossSizesAndFreeReusesPages) {
  Random rnd(3);
  BufferPool* pool = engine_->buffer_pool();
  const size_t cap = OverflowCapacity(4096);
  for (size_t len : {size_t{0}, size_t{1}, cap - 1, cap, cap + 1, 3 * cap, size_t{100000}}) {
    std::string data = test::RandomBytes(&rnd, len);
    OverflowRef ref;
    MiniTxn mtr = engine_->Begin();
    ASSERT_TRUE(WriteOverflow(pool, &mtr, data, &ref).ok());
    std::string back;
    // Readable through the mtr that wrote it (its pages are still latched by it).
    ASSERT_TRUE(ReadOverflow(pool, &mtr, ref, &back).ok());
    EXPECT_EQ(back, data);
    ASSERT_TRUE(mtr.Commit(false).ok());
    ASSERT_TRUE(ReadOverflow(pool, nullptr, ref, &back).ok());
    EXPECT_EQ(back, data) << len;
    uint64_t pages = engine_->PageCount();
    MiniTxn del = engine_->Begin();
    ASSERT_TRUE(FreeOverflow(pool, &del, ref).ok());
    ASSERT_TRUE(del.Commit(false).ok());
    // Writing the same size again reuses the freed pages.
    MiniTxn again = engine_->Begin();
    ASSERT_TRUE(WriteOverflow(pool, &again, data, &ref).ok());
    ASSERT_TRUE(again.Commit(false).ok());
    EXPECT_EQ(engine_->PageCount(), pages) << len;
  }
}

TEST_F(OverflowTest, BadReferencesAreCorruption) {
  BufferPool* pool = engine_->buffer_pool();
  OverflowRef ref;
  MiniTxn mtr = engine_->Begin();
  ASSERT_TRUE(WriteOverflow(pool, &mtr, std::string(10000, 'x'), &ref).ok());
  ASSERT_TRUE(mtr.Commit(false).ok());
  std::string out;
  OverflowRef too_long = ref;
  too_long.length = 50000;  // the chain ends early
  EXPECT_TRUE(ReadOverflow(pool, nullptr, too_long, &out).IsCorruption());
  OverflowRef meta{kMetaPageId0, 10};  // not an overflow page
  EXPECT_TRUE(ReadOverflow(pool, nullptr, meta, &out).IsCorruption());
}

}  // namespace
}  // namespace jadedb::bplustree
