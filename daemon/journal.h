#pragma once
// A task's journal: every step, warning and error, time-ordered, in the state store's
// journal family (key <task>/<16-digit sequence>). The API pages through it and the
// migration report is rendered from it, so a 3 a.m. page can be explained afterwards.
// Thread-safe.

#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "storage/state_store.h"

namespace tideway::daemon {

class Journal {
 public:
  explicit Journal(storage::StateStore& store) : store_(store) {}

  /// Appends an entry and logs it as one line (component "task").
  void record(const std::string& task, log::Level level, const std::string& step,
              const std::string& message,
              std::vector<std::pair<std::string, std::string>> context = {});

  /// Entries after sequence `after` (0: from the start), at most `limit`.
  Result<std::vector<nlohmann::json>> page(const std::string& task, std::uint64_t after,
                                           std::size_t limit) const;
  /// Every entry (for reports).
  Result<std::vector<nlohmann::json>> all(const std::string& task) const;
  /// Removes a task's entries.
  Status erase(const std::string& task);

  /// A task's error entries recorded since the daemon started, per step: the "errors by
  /// kind" metric. Steps are a fixed set (full_load, stream, cutover, validate, ...).
  std::map<std::string, std::uint64_t> error_counts(const std::string& task) const;

 private:
  Result<std::uint64_t> next_sequence(const std::string& task);

  storage::StateStore& store_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> last_;
  std::map<std::string, std::map<std::string, std::uint64_t>> errors_;  // task -> step -> n
};

}  // namespace tideway::daemon
