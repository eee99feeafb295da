#pragma once
// Reads a task spec from YAML (a file, or a document string) into a TaskSpec, with the
// same one-line errors as the daemon config: file:line:column, key path, expected.

#include <string>

#include "common/error.h"
#include "replication/core/task_spec.h"

namespace tideway::daemon {

Result<replication::TaskSpec> load_task_spec(const std::string& file);

/// Parses YAML text; `origin` names it in messages (a file name, or "request body").
Result<replication::TaskSpec> parse_task_spec(const std::string& yaml_text,
                                              const std::string& origin);

}  // namespace tideway::daemon
