#include "jadedb/options.h"

#include <string_view>

namespace jadedb {

const char* EngineTypeName(EngineType type) {
  switch (type) {
    case EngineType::kLsm:
      return "lsm";
    case EngineType::kBPlusTree:
      return "bplustree";
  }
  return "unknown";
}

bool ParseEngineType(std::string_view name, EngineType* type) {
  if (name == "lsm") {
    *type = EngineType::kLsm;
    return true;
  }
  if (name == "bplustree") {
    *type = EngineType::kBPlusTree;
    return true;
  }
  return false;
}

}  // namespace jadedb
