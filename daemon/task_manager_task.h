#pragma once
// The TaskManager's record of one task; private to task_manager*.cpp.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/task_manager.h"
#include "daemon/task_runner.h"

namespace tideway::daemon {

struct TaskManager::Task {
  std::string id;
  replication::TaskSpec spec;
  std::unique_ptr<TaskEngine> engine;  // the spec's engine pair (never null)
  std::string intent = "created";  // stored: created running paused stopped loaded cut_over failed
  std::string last_error;
  std::unique_ptr<TaskRunner> runner;
  std::string stop_reason;  // why the runner was asked to stop: pause, stop, shutdown, cutover
  bool cutting_over = false;
  bool validating = false;
  nlohmann::json cutover = nlohmann::json::object();
  nlohmann::json validation = nlohmann::json::object();
  nlohmann::json retention = nlohmann::json::object();  // what the source keeps for us
  nlohmann::json assessment = nlohmann::json::object();  // summary, see task_assessment.cpp
  std::vector<std::string> acknowledged;  // assessment blockers the operator accepted
  // Per-table load figures read back from the state store, for a task whose runner did
  // not copy them itself (after a pause, a restart, or a finished load): read once.
  mutable std::optional<std::vector<replication::TableProgressView>> stored_tables;
};

}  // namespace tideway::daemon
