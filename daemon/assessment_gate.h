#pragma once
// The assessment gate before a task's first load, shared by the daemon's task runner
// (acknowledgements from POST /v1/tasks/{id}/start) and `tideway run` (from
// --acknowledge): blockers nobody acknowledged stop the task before any data moves. A
// task that has loaded before (a restart, a resume) is not assessed again: what it found
// then was dealt with, and the source may since be fenced or busy with the migration.

#include <optional>
#include <string>
#include <vector>

#include "assess/assessment.h"
#include "common/error.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::daemon {

struct GateOutcome {
  assess::Assessment assessment;
  std::vector<assess::Finding> open_blockers;  // not acknowledged: the task must not load
};

/// Assesses `spec` unless its task has load state in `store` already (then none).
Result<std::optional<GateOutcome>> assess_before_first_load(
    const replication::TaskSpec& spec, storage::StateStore& store,
    const std::vector<std::string>& acknowledged);

/// The refusal for open blockers: which, and `how_to_accept` them (the API call or the
/// command-line option, each listing the ids to acknowledge).
Error gate_refusal(const std::string& task, const std::vector<assess::Finding>& open,
                   const std::string& how_to_accept);

/// The ids of `findings` joined for a how-to-accept text: `"a", "b"` for the API's JSON
/// body (quoted, ", "), `a,b` for --acknowledge.
std::string finding_ids(const std::vector<assess::Finding>& findings, bool quoted);

}  // namespace tideway::daemon
