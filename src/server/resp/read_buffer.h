// ReadBuffer: the bytes a connection has received and not yet consumed. Unlike std::string,
// making room to read into does not zero the room first: a connection asks for 64 KiB before
// every read, and zero-filling that cost more than parsing the requests it received.
//
// Not thread-safe: one per connection (inside its RespParser).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace jadedb::server {

class ReadBuffer {
 public:
  ReadBuffer() = default;
  ReadBuffer(const ReadBuffer&) = delete;
  ReadBuffer& operator=(const ReadBuffer&) = delete;

  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  char operator[](size_t i) const { return data_[i]; }
  std::string_view view() const { return std::string_view(data_.get(), size_); }

  // Room for n more bytes at the end (contents unspecified); Commit says how many were filled.
  char* Prepare(size_t n) {
    Reserve(size_ + n);
    return data_.get() + size_;
  }
  void Commit(size_t n) { size_ += n; }
  void Append(std::string_view s) {
    if (s.empty()) return;  // data_ may be null, and memcpy's arguments must not be
    std::memcpy(Prepare(s.size()), s.data(), s.size());
    Commit(s.size());
  }

  // Drops the first n bytes. Gives memory back once a large request has been consumed, so an
  // idle connection that once received a big value does not keep its buffer.
  void Consume(size_t n) {
    if (n == 0) return;
    size_ -= n;
    if (size_ > 0) std::memmove(data_.get(), data_.get() + n, size_);
    if (capacity_ > kShrinkAbove && size_ * 4 < capacity_) Reallocate(std::max(size_, kKeep));
  }

 private:
  static constexpr size_t kShrinkAbove = 1 << 20;
  static constexpr size_t kKeep = 128 << 10;

  void Reserve(size_t need) {
    if (need <= capacity_) return;
    Reallocate(std::max(need, capacity_ * 2));
  }
  void Reallocate(size_t capacity) {
    // new char[] default-initializes: no zero fill.
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace jadedb::server
