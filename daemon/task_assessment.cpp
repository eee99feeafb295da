// TaskManager's assessment of a task: run once when the task is created (for the
// operator to read in GET /v1/tasks/{id}), and again on the runner thread before the
// task's first load, where blockers the operator has not acknowledged stop it
// (assessment_gate.h).
#include <fmt/format.h>

#include "assess/assess.h"
#include "daemon/assessment_gate.h"
#include "daemon/task_manager.h"
#include "daemon/task_manager_task.h"
#include "replication/core/load_state.h"

namespace tideway::daemon {
namespace {

nlohmann::json summary(const assess::Assessment& a) {
  nlohmann::json findings = nlohmann::json::array();
  int blockers = 0, warnings = 0;
  for (const auto& f : a.findings) {
    if (f.severity == assess::Severity::kBlocker) ++blockers;
    if (f.severity == assess::Severity::kWarning) ++warnings;
    findings.push_back({{"id", f.id},
                        {"severity", assess::severity_name(f.severity)},
                        {"object", f.object},
                        {"why", f.why},
                        {"remediation", f.remediation}});
  }
  return {{"status", "done"},      {"verdict", a.verdict()}, {"generated_at", a.generated_at},
          {"blockers", blockers},  {"warnings", warnings},   {"findings", findings}};
}

}  // namespace

void TaskManager::run_assessment_job(const std::string& id) {
  replication::TaskSpec spec;
  {
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return;
    spec = t->spec;
  }
  auto a = assess::assess_task(spec, 0);
  nlohmann::json result = a.ok() ? summary(*a)
                                 : nlohmann::json{{"status", "error"}, {"error", a.error().message}};
  journal_.record(id, a.ok() && a->verdict() != "blocked" ? log::Level::kInfo : log::Level::kWarn,
                  "assess",
                  a.ok() ? fmt::format("assessment: {} ({} blockers, {} warnings)",
                                       a->verdict(), result.value("blockers", 0),
                                       result.value("warnings", 0))
                         : "assessment could not run: " + a.error().message);
  std::lock_guard lock(mutex_);
  if (Task* t = find(id); t != nullptr && t->assessment.value("status", "") != "done") {
    t->assessment = std::move(result);
    (void)persist(*t).ok();
  }
}

Status TaskManager::assess_before_load(const std::string& id, const replication::TaskSpec& spec) {
  std::vector<std::string> acknowledged;
  {
    std::lock_guard lock(mutex_);
    if (Task* t = find(id)) acknowledged = t->acknowledged;
  }
  auto gate = assess_before_first_load(spec, store_, acknowledged);
  if (!gate.ok()) return std::move(gate).error();
  if (!gate->has_value()) return {};  // loaded before: not assessed again
  const GateOutcome& outcome = **gate;
  {
    std::lock_guard lock(mutex_);
    if (Task* t = find(id)) {
      t->assessment = summary(outcome.assessment);
      (void)persist(*t).ok();
    }
  }
  if (outcome.open_blockers.empty()) {
    journal_.record(id, log::Level::kInfo, "assess",
                    fmt::format("assessment before the load: {}{}", outcome.assessment.verdict(),
                                acknowledged.empty() ? std::string()
                                                     : fmt::format(" ({} acknowledged)",
                                                                   acknowledged.size())));
    return {};
  }
  return gate_refusal(id, outcome.open_blockers,
                      fmt::format("POST /v1/tasks/{}/start and body {{\"acknowledge\": [{}]}}", id,
                                  finding_ids(outcome.open_blockers, true)));
}

}  // namespace tideway::daemon
