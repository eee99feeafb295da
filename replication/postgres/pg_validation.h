#pragma once
// Compares a task's tables on source and target: exact row counts and a checksum per
// chunk (the chunks of the full-load plan, so a mismatch names a key range an operator
// can look at), read on the source in one REPEATABLE READ snapshot. Meaningful when the
// source is quiet (fenced, paused, or at cutover); while writes go on it only reports
// the difference of the moment.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/core/validation_report.h"
#include "storage/state_store.h"

namespace tideway::replication::postgres {

using replication::TableValidation;
using replication::ValidationReport;

Result<ValidationReport> validate_tables(const TaskSpec& spec, storage::StateStore& store);

}  // namespace tideway::replication::postgres
