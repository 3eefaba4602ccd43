// Status: the result of an operation that can fail. Errors are values in JadeDB: every
// function that can fail returns a Status (or a Result<T>), never throws across a layer.
//
// A Status is either OK (no allocation) or a code plus a human-readable message that names
// what failed and where (file, offset, errno text). Thread safety: a const Status may be read
// from several threads; copying is cheap for OK.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace jadedb {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kNotFound = 1,
    kCorruption = 2,
    kNotSupported = 3,
    kInvalidArgument = 4,
    kIOError = 5,
    kBusy = 6,
  };

  Status() noexcept = default;
  Status(const Status& other) : state_(other.state_ ? Copy(*other.state_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) state_ = other.state_ ? Copy(*other.state_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kNotFound, msg, detail);
  }
  static Status Corruption(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kCorruption, msg, detail);
  }
  static Status NotSupported(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kNotSupported, msg, detail);
  }
  static Status InvalidArgument(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kInvalidArgument, msg, detail);
  }
  static Status IOError(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kIOError, msg, detail);
  }
  static Status Busy(std::string_view msg, std::string_view detail = {}) {
    return Status(Code::kBusy, msg, detail);
  }

  bool ok() const { return state_ == nullptr; }
  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsCorruption() const { return code() == Code::kCorruption; }
  bool IsNotSupported() const { return code() == Code::kNotSupported; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }
  bool IsIOError() const { return code() == Code::kIOError; }
  bool IsBusy() const { return code() == Code::kBusy; }

  Code code() const { return state_ ? state_->code : Code::kOk; }
  // The message without the code prefix ("" for OK).
  std::string_view message() const { return state_ ? std::string_view(state_->msg) : ""; }
  // "OK" or "<Code name>: <message>".
  std::string ToString() const;

 private:
  struct State {
    Code code;
    std::string msg;
  };
  Status(Code code, std::string_view msg, std::string_view detail);
  static std::unique_ptr<State> Copy(const State& s) { return std::make_unique<State>(s); }

  std::unique_ptr<State> state_;
};

}  // namespace jadedb
