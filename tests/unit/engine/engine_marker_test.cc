#include "engine/engine_marker.h"

#include <gtest/gtest.h>

#include "testutil/test_util.h"

namespace jadedb {
namespace {

TEST(EngineMarkerTest, RoundTripsEachEngine) {
  test::TempDir dir;
  Env* env = Env::Default();
  for (EngineType type : {EngineType::kLsm, EngineType::kBPlusTree}) {
    ASSERT_TRUE(WriteEngineMarker(env, dir.path(), type).ok());
    EngineType read;
    Status s = ReadEngineMarker(env, dir.path(), &read);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(read, type);
  }
  EXPECT_FALSE(env->FileExists(dir.Join("ENGINE.tmp")));
}

TEST(EngineMarkerTest, AbsentIsNotFound) {
  test::TempDir dir;
  EngineType read;
  EXPECT_TRUE(ReadEngineMarker(Env::Default(), dir.path(), &read).IsNotFound());
}

TEST(EngineMarkerTest, EveryFlippedByteIsDetected) {
  test::TempDir dir;
  Env* env = Env::Default();
  ASSERT_TRUE(WriteEngineMarker(env, dir.path(), EngineType::kLsm).ok());
  std::string good;
  ASSERT_TRUE(ReadFileToString(env, EngineMarkerPath(dir.path()), &good).ok());
  for (size_t i = 0; i < good.size(); i++) {
    std::string bad = good;
    bad[i] ^= 0x01;
    ASSERT_TRUE(WriteStringToFile(env, bad, EngineMarkerPath(dir.path()), false).ok());
    EngineType read;
    Status s = ReadEngineMarker(env, dir.path(), &read);
    EXPECT_FALSE(s.ok()) << "flipped byte " << i << " went unnoticed";
    EXPECT_FALSE(s.IsNotFound());
  }
}

TEST(EngineMarkerTest, GarbageAndTruncationAreCorruption) {
  test::TempDir dir;
  Env* env = Env::Default();
  for (std::string contents : {std::string(""), std::string("\n"), std::string("jadedb-engine"),
                               std::string(4096, 'x'), std::string("jadedb-engine 1 lsm\n"),
                               std::string("\0\0\0\n", 4)}) {
    ASSERT_TRUE(WriteStringToFile(env, contents, EngineMarkerPath(dir.path()), false).ok());
    EngineType read;
    Status s = ReadEngineMarker(env, dir.path(), &read);
    EXPECT_TRUE(s.IsCorruption()) << s.ToString();
    EXPECT_NE(s.ToString().find("ENGINE"), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace jadedb
