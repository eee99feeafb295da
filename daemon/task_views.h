#pragma once
// How tasks look in the API: one JSON shape for GET /v1/tasks/{id}, list entries and
// action answers, and the migration report (JSON and Markdown).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/task_manager.h"

namespace tideway::daemon {

nlohmann::json task_view_json(const TaskView& view);

/// The migration summary: steps from the journal with durations, rows per table,
/// problems met, cutover and validation.
nlohmann::json task_report_json(const TaskView& view, const std::vector<nlohmann::json>& journal);
std::string task_report_markdown(const nlohmann::json& report);

}  // namespace tideway::daemon
