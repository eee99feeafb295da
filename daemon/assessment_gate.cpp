#include "daemon/assessment_gate.h"

#include <fmt/format.h>

#include "assess/assess.h"
#include "replication/core/load_state.h"

namespace tideway::daemon {

Result<std::optional<GateOutcome>> assess_before_first_load(
    const replication::TaskSpec& spec, storage::StateStore& store,
    const std::vector<std::string>& acknowledged) {
  replication::LoadStateStore state(store, spec.id);
  auto loaded = state.load_task();
  if (!loaded.ok()) {
    return std::move(loaded).error().with_context("reading task " + spec.id +
                                                  "'s state before its assessment");
  }
  if (loaded->has_value()) return std::optional<GateOutcome>();
  auto a = assess::assess_task(spec, 0);
  if (!a.ok()) return std::move(a).error().with_context("assessing the task before its load");
  GateOutcome out;
  out.open_blockers = assess::blocking_findings(*a, acknowledged);
  out.assessment = std::move(a).value();
  return std::optional<GateOutcome>(std::move(out));
}

Error gate_refusal(const std::string& task, const std::vector<assess::Finding>& open,
                   const std::string& how_to_accept) {
  return make_error(ErrorCode::kConflict,
                    fmt::format("task {} has {} unacknowledged assessment blockers: {}; fix them, "
                                "or accept them with {}",
                                task, open.size(), assess::describe_findings(open),
                                how_to_accept));
}

std::string finding_ids(const std::vector<assess::Finding>& findings, bool quoted) {
  std::string ids;
  for (const auto& f : findings) {
    if (!ids.empty()) ids += quoted ? ", " : ",";
    ids += quoted ? "\"" + f.id + "\"" : f.id;
  }
  return ids;
}

}  // namespace tideway::daemon
