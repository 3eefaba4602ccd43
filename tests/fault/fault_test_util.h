// The fixture the fault tests share: an EngineTest (tests/conformance/engines.h, so every
// engine in AllEngines() runs each test) whose DB does its I/O through a FaultInjectionEnv.
// Not thread-safe (a test fixture).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "conformance/engines.h"
#include "util/fault_injection_env.h"

namespace jadedb::test {

// The engines this suite runs against: every engine in AllEngines(). Both do all their file
// I/O (the B+tree's page files included) through Options::env.
inline std::vector<EngineType> FaultEngines() { return AllEngines(); }

class FaultTest : public EngineTest {
 protected:
  FaultTest() : fenv_(Env::Default(), 301) {
    options_.env = &fenv_;
    fenv_.SetSkipRealSync(true);  // durability is modelled; real fsyncs only cost time
  }
  // The DB must go before the env it uses.
  ~FaultTest() override {
    db_.reset();
    // The per-kind counters, for the fault matrix in docs/reliability.md.
    if (fenv_.TotalFaults() > 0)
      std::printf("faults injected: %s\n", fenv_.FaultCountsString().c_str());
  }

  // Destroys the DB, clears every fault and opens the DB again on the plain POSIX env.
  void ReopenHealthy() {
    db_.reset();
    fenv_.ClearFaults();
    options_.env = Env::Default();
    Open();
  }

  bool IsLsm() const { return engine() == EngineType::kLsm; }
  bool IsBPlusTree() const { return engine() == EngineType::kBPlusTree; }
  // The suffix of the engine's data files: tables (LSM) or page segments (B+tree).
  std::string DataFileSuffix() const { return IsLsm() ? ".sst" : ".jdb"; }

  std::string Property(const std::string& name) {
    std::string value;
    if (!db_->GetProperty(name, &value)) return "<no property " + name + ">";
    return value;
  }

  // A value of about len bytes that encodes i, so a wrong value is recognisable.
  static std::string Value(int i, size_t len = 100) {
    std::string v = "value" + std::to_string(i) + ":";
    v.resize(len, static_cast<char>('a' + i % 26));
    return v;
  }
  static std::string Key(int i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "key%06d", i);
    return buf;
  }

  FaultInjectionEnv fenv_;
};

}  // namespace jadedb::test

// Instantiates a suite derived from FaultTest once per engine in FaultEngines().
#define JADEDB_INSTANTIATE_FOR_FAULT_ENGINES(Suite)                                                \
  INSTANTIATE_TEST_SUITE_P(FaultEngines, Suite, testing::ValuesIn(::jadedb::test::FaultEngines()), \
                           ::jadedb::test::EngineParamName)

// For tests that inject faults by the LSM engine's file names (MANIFEST, CURRENT, .sst).
#define JADEDB_SKIP_UNLESS_LSM() \
  if (!IsLsm()) GTEST_SKIP() << "tests the LSM engine's files"
// For tests of the B+tree engine's files (data-NNNNNN.jdb pages, doublewrite.jdb).
#define JADEDB_SKIP_UNLESS_BPLUSTREE() \
  if (!IsBPlusTree()) GTEST_SKIP() << "tests the B+tree engine's files"
