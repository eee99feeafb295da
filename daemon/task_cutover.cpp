// TaskManager::cutover: the orchestrated switch from source to target, one journaled
// step at a time. Any failure before the final step lifts the fence and leaves the task
// streaming, reported as an aborted cutover.
#include <chrono>

#include <fmt/format.h>

#include "daemon/task_manager.h"
#include "daemon/task_manager_task.h"

namespace tideway::daemon {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<TaskView> TaskManager::cutover(const std::string& id, const CutoverOptions& options) {
  std::lock_guard lock(mutex_);
  Task* t = find(id);
  if (t == nullptr) return make_error(ErrorCode::kNotFound, "no task " + id);
  const TaskView v = view(*t);
  if (v.state == "cutting_over") return v;  // idempotent
  if (v.state != "streaming") {
    return make_error(ErrorCode::kConflict,
                      fmt::format("cannot cutover task {} in state {}; cutover needs a streaming "
                                  "task", id, v.state));
  }
  if (options.fence != "none" && options.fence != "read_only") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("fence '{}' is not valid; expected \"none\" or \"read_only\"",
                                  options.fence));
  }
  const double lag = lag_seconds(v);
  nlohmann::json plan = {
      {"preconditions", {{"state", v.state}, {"lag_seconds", lag},
                         {"max_lag_seconds", options.max_lag_seconds}}},
      {"steps", {"preconditions", "fence: " + options.fence, "cutover point and drain",
                 "stop the stream", "final validation", "sequences, foreign keys, triggers",
                 "cut_over"}},
      {"timeout_seconds", options.timeout_seconds}};
  if (lag > options.max_lag_seconds) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("cannot cutover task {}: replication lag is {:.1f} s, above "
                                  "max_lag_seconds {:.1f}; wait for the stream to catch up",
                                  id, lag, options.max_lag_seconds));
  }
  if (options.dry_run) {
    TaskView out = v;
    out.cutover = {{"dry_run", true}, {"plan", plan}, {"outcome", "not started (dry run)"}};
    return out;
  }
  t->cutting_over = true;
  t->cutover = {{"started_at_unix_us", now_unix_us()}, {"options", {{"fence", options.fence},
               {"max_lag_seconds", options.max_lag_seconds},
               {"timeout_seconds", options.timeout_seconds}}},
               {"steps", nlohmann::json::array()}, {"outcome", "running"}};
  (void)persist(*t).ok();
  jobs_.emplace_back([this, id, options] { run_cutover(id, options); });
  return view(*t);
}

void TaskManager::run_cutover(const std::string& id, CutoverOptions options) {
  TaskRunner* runner = nullptr;
  const TaskEngine* engine = nullptr;  // lives as long as the task, which cannot be
                                       // deleted while cutting_over
  {
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return;
    runner = t->runner.get();
    engine = t->engine.get();
  }
  auto step = [&](const std::string& name, const std::string& detail, double seconds,
                  bool ok) {
    journal_.record(id, ok ? log::Level::kInfo : log::Level::kError, "cutover",
                    fmt::format("{}: {}", name, detail),
                    {{"seconds", fmt::format("{:.3f}", seconds)}});
    std::lock_guard lock(mutex_);
    if (Task* t = find(id)) {
      t->cutover["steps"].push_back(
          {{"step", name}, {"detail", detail}, {"seconds", seconds}, {"ok", ok}});
      (void)persist(*t).ok();
    }
  };
  bool fenced = false;
  auto abort = [&](const std::string& why, bool restart_stream) {
    if (fenced) {
      auto lifted = engine->set_fence(false);
      step("lift fence", lifted.ok() ? lifted->detail : lifted.error().message, 0, lifted.ok());
    }
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return;
    t->cutting_over = false;
    t->cutover["outcome"] = "aborted: " + why;
    journal_.record(id, log::Level::kWarn, "cutover", "cutover aborted: " + why);
    if (restart_stream) {
      t->intent = "running";
      start_runner(*t);
    }
    (void)persist(*t).ok();
  };

  step("preconditions", "task streaming, lag within bound", 0, true);
  auto started = Clock::now();
  if (options.fence == "read_only") {
    auto fence = engine->set_fence(true);
    if (!fence.ok()) {
      step("fence", fence.error().message, seconds_since(started), false);
      return abort("the fence could not be set", false);
    }
    fenced = fence->changed;  // a source that already was read-only stays so
    step("fence", fence->detail, seconds_since(started), true);
  } else {
    step("fence", "none: the operator stopped the application's writes", 0, true);
  }

  started = Clock::now();
  auto point = engine->mark_cutover_point();
  if (!point.ok()) {
    step("cutover point", point.error().message, seconds_since(started), false);
    return abort("no cutover point", false);
  }
  const auto deadline = Clock::now() + std::chrono::seconds(options.timeout_seconds);
  while (!runner->reached(*point) && Clock::now() < deadline && !runner->finished()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!runner->reached(*point)) {
    step("drain", fmt::format("applied position {} did not reach the cutover point {} within "
                              "{} s", runner->stream().checkpointed, *point,
                              options.timeout_seconds),
         seconds_since(started), false);
    return abort("lag did not drain in time", false);
  }
  step("drain", fmt::format("applied through the cutover point {}", *point),
       seconds_since(started), true);

  started = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (Task* t = find(id)) {
      t->stop_reason = "cutover";
      t->runner->request_stop();
    }
  }
  runner->join();
  step("stop stream", fmt::format("stopped at checkpoint {}", engine->stored_figures().checkpointed),
       seconds_since(started), true);

  started = Clock::now();
  auto report = engine->validate();
  if (!report.ok()) {
    step("validation", report.error().message, seconds_since(started), false);
    return abort("validation could not run", true);
  }
  std::string mismatches;
  std::int64_t rows = 0;
  for (const auto& tv : report->tables) {
    rows += tv.source_rows;
    if (tv.ok()) continue;
    std::string chunks;
    for (const auto& c : tv.mismatched_chunks) chunks += (chunks.empty() ? "" : "; ") + c;
    mismatches += fmt::format("{}{} (source {} rows, target {} rows; chunks: {})",
                              mismatches.empty() ? "" : ", ", tv.table, tv.source_rows,
                              tv.target_rows, chunks);
  }
  if (!mismatches.empty()) {
    step("validation", "mismatch: " + mismatches, seconds_since(started), false);
    return abort("validation mismatch in " + mismatches, true);
  }
  step("validation", fmt::format("{} tables, {} rows identical (counts and chunk checksums)",
                                 report->tables.size(), rows),
       seconds_since(started), true);

  started = Clock::now();
  auto finished = engine->finish_target();
  if (!finished.ok()) {
    step("finish target", finished.error().message, seconds_since(started), false);
    return abort("finishing the target failed", true);
  }
  step("finish target", *finished, seconds_since(started), true);

  std::lock_guard lock(mutex_);
  if (Task* t = find(id)) {
    t->cutting_over = false;
    t->intent = "cut_over";
    t->cutover["outcome"] = "cut_over";
    (void)persist(*t).ok();
  }
  journal_.record(id, log::Level::kInfo, "cutover",
                  "cut over: the target has every change; the source is left running" +
                      std::string(fenced ? " (read-only fence kept for fallback)" : ""));
}

}  // namespace tideway::daemon
