#include "jadedb/status.h"

namespace jadedb {

Status::Status(Code code, std::string_view msg, std::string_view detail)
    : state_(std::make_unique<State>()) {
  state_->code = code;
  state_->msg.assign(msg);
  if (!detail.empty()) {
    state_->msg.append(": ");
    state_->msg.append(detail);
  }
}

std::string Status::ToString() const {
  if (!state_) return "OK";
  const char* name = "Unknown";
  switch (state_->code) {
    case Code::kOk: name = "OK"; break;
    case Code::kNotFound: name = "NotFound"; break;
    case Code::kCorruption: name = "Corruption"; break;
    case Code::kNotSupported: name = "NotSupported"; break;
    case Code::kInvalidArgument: name = "InvalidArgument"; break;
    case Code::kIOError: name = "IOError"; break;
    case Code::kBusy: name = "Busy"; break;
  }
  return std::string(name) + ": " + state_->msg;
}

}  // namespace jadedb
