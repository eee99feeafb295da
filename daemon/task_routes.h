#pragma once
// REST API v1 for tasks: HTTP in, TaskManager calls, JSON out. No logic of its own
// beyond validating request shapes and choosing status codes.

#include "api/router.h"
#include "daemon/journal.h"
#include "daemon/task_manager.h"

namespace tideway::daemon {

void add_task_routes(api::Router& router, TaskManager& tasks, Journal& journal);

}  // namespace tideway::daemon
