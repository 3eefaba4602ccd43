#include "bplustree/bplustree_db.h"
#include "engine/engine.h"
#include "lsm/lsm_db.h"

namespace jadedb {

const EngineEntry* FindEngine(EngineType type) {
  static const EngineEntry kEngines[] = {
      {EngineType::kLsm, &lsm::ValidateLsmOptions, &lsm::OpenLsmDB, &lsm::IsLsmFileName},
      {EngineType::kBPlusTree, &bplustree::ValidateBPlusTreeOptions, &bplustree::OpenBPlusTreeDB,
       &bplustree::IsBPlusTreeFileName},
  };
  for (const EngineEntry& e : kEngines) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

}  // namespace jadedb
