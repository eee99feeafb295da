#pragma once
// The engine pairs make_task_engine chooses from; private to the daemon library.

#include <memory>

#include "daemon/task_engine.h"

namespace tideway::daemon {

std::unique_ptr<TaskEngine> make_pg_task_engine(const replication::TaskSpec& spec,
                                                storage::StateStore& store);
std::unique_ptr<TaskEngine> make_my_task_engine(const replication::TaskSpec& spec,
                                                storage::StateStore& store);

}  // namespace tideway::daemon
