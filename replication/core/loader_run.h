#pragma once
// What the loader threads of one full load share, whatever the engine: the queue of
// chunks still to copy, the first failure (which stops the others), and counters. The
// item type is the engine's (its table type differs); the discipline is the same.

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"
#include "replication/core/load_progress.h"
#include "replication/core/load_state.h"

namespace tideway::replication {

/// One chunk to copy: the engine's table description, the stored chunk, its progress.
template <typename Table>
struct ChunkWork {
  const Table* table;
  PlannedChunk chunk;
  TableProgress* progress;
};

template <typename Item>
class LoaderRun {
 public:
  void add(Item item) { queue_.push_back(std::move(item)); }
  std::size_t pending() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }

  /// The next chunk, or nullopt when the queue is empty or a loader failed.
  std::optional<Item> next() {
    std::lock_guard lock(mutex_);
    if (queue_.empty() || abort_) return std::nullopt;
    Item w = queue_.front();
    queue_.pop_front();
    return w;
  }
  /// Records the first failure and stops handing out chunks.
  void fail(Error e) {
    std::lock_guard lock(mutex_);
    if (!failure_) failure_ = std::move(e);
    abort_ = true;
  }
  std::optional<Error> take_failure() {
    std::lock_guard lock(mutex_);
    return std::exchange(failure_, std::nullopt);
  }

  std::atomic<std::int64_t> rows{0};
  std::atomic<int> chunks{0};

 private:
  std::mutex mutex_;
  std::deque<Item> queue_;
  std::optional<Error> failure_;
  std::atomic<bool> abort_{false};
};

/// "(1) first; (2) second" — several prerequisite problems in one message.
inline std::string join_problems(const std::vector<std::string>& problems) {
  std::string out;
  for (std::size_t i = 0; i < problems.size(); ++i) {
    out += fmt::format("{}({}) {}", i == 0 ? "" : "; ", i + 1, problems[i]);
  }
  return out;
}

}  // namespace tideway::replication
