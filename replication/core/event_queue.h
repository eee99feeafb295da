#pragma once
// A blocking FIFO between one producer thread (a stream reader) and one consumer (an
// applier), bounded in bytes rather than items: a burst of 16 MB rows and a burst of
// tiny rows both stop the reader at the same memory use. A single item larger than the
// bound is still admitted when the queue is empty, so a huge row cannot deadlock it.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace tideway::replication {

template <typename T>
class ByteBoundedQueue {
 public:
  explicit ByteBoundedQueue(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// Blocks while full. Returns false if the queue was closed.
  bool push(T item, std::size_t bytes) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return closed_ || items_.empty() || bytes_ + bytes <= max_bytes_; });
    if (closed_) return false;
    bytes_ += bytes;
    items_.emplace_back(std::move(item), bytes);
    not_empty_.notify_one();
    return true;
  }

  /// Waits up to `timeout` for an item; nullopt on timeout or when closed and drained.
  std::optional<T> pop(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); })) {
      return std::nullopt;
    }
    if (items_.empty()) return std::nullopt;
    auto [item, bytes] = std::move(items_.front());
    items_.pop_front();
    bytes_ -= bytes;
    not_full_.notify_one();
    return std::move(item);
  }

  /// Wakes both sides; pushes fail from now on, pops drain what is left.
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  std::size_t bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
  }
  bool empty() const {
    std::lock_guard lock(mutex_);
    return items_.empty();
  }

 private:
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::pair<T, std::size_t>> items_;
  std::size_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace tideway::replication
