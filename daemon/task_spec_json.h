#pragma once
// TaskSpec as JSON: how the API shows a spec and how the daemon stores it. Secrets are
// never part of it (only where to read them), so a spec can be shown as it is stored.
// Reading goes through parse_task_spec (YAML is a superset of JSON), so a spec sent as
// JSON is validated by exactly the same rules, with the same error messages.

#include <nlohmann/json.hpp>

#include "replication/core/task_spec.h"

namespace tideway::daemon {

nlohmann::json task_spec_to_json(const replication::TaskSpec& spec);

}  // namespace tideway::daemon
