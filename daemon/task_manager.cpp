#include "daemon/task_manager.h"
#include "daemon/task_manager_task.h"

#include <chrono>

#include <fmt/format.h>

#include "daemon/task_spec_json.h"
#include "daemon/task_spec_parser.h"
#include "replication/core/load_state.h"

namespace tideway::daemon {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kSpecPrefix = "spec/";
const std::string kControlPrefix = "control/";

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace


namespace {

/// Rows, bytes and chunks per table from the load's stored plans and finished chunks.
std::vector<replication::TableProgressView> stored_table_progress(storage::StateStore& store,
                                                                  const std::string& task) {
  std::vector<replication::TableProgressView> out;
  replication::LoadStateStore state(store, task);
  auto plans = state.load_plans();
  if (!plans.ok()) return out;
  for (const auto& [table, plan] : *plans) {
    replication::TableProgressView t;
    t.table = table;
    t.estimated_rows = plan.estimated_rows;
    t.chunks_total = static_cast<int>(plan.chunks.size());
    if (auto done = state.load_done(table); done.ok()) {
      for (const auto& [n, d] : *done) {
        t.rows_done += d.rows;
        t.bytes_done += d.bytes;
        ++t.chunks_done;
      }
    }
    t.eta_seconds = t.finished() ? 0 : -1;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

double lag_seconds(const TaskView& v) {
  if (v.stream.oldest_pending_commit_us == 0) return 0.0;
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  return std::max(0.0, static_cast<double>(now_us - v.stream.oldest_pending_commit_us) / 1e6);
}

std::uint64_t lag_bytes(const TaskView& v) { return v.stream.lag_bytes; }

TaskManager::TaskManager(storage::StateStore& store, Journal& journal,
                         std::chrono::seconds retention_interval)
    : store_(store), journal_(journal), retention_interval_(retention_interval) {
  monitor_ = std::thread([this] { monitor_retention(); });
}

TaskManager::~TaskManager() { shutdown(); }

std::vector<std::string> TaskManager::allowed_actions(const std::string& state) {
  if (state == "created") return {"start", "stop", "delete"};
  if (state == "assessing" || state == "loading") return {"pause", "stop"};
  if (state == "streaming") return {"pause", "stop", "cutover", "validate"};
  if (state == "paused") return {"resume", "stop", "validate", "delete"};
  if (state == "stopped") return {"start", "validate", "delete"};
  if (state == "loaded") return {"validate", "delete"};
  if (state == "failed") return {"start", "stop", "delete"};
  if (state == "cut_over") return {"validate", "delete"};
  return {};  // transient: starting, pausing, stopping, cutting_over
}

TaskManager::Task* TaskManager::find(const std::string& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : it->second.get();
}

Status TaskManager::persist(const Task& task) {
  nlohmann::json control = {{"intent", task.intent},
                            {"last_error", task.last_error},
                            {"cutover", task.cutover},
                            {"validation", task.validation},
                            {"assessment", task.assessment},
                            {"acknowledged", task.acknowledged}};
  storage::WriteSet w;
  w.put(storage::Family::kTasks, kSpecPrefix + task.id, task_spec_to_json(task.spec).dump());
  w.put(storage::Family::kTasks, kControlPrefix + task.id, control.dump());
  return store_.write(w);
}

TaskView TaskManager::view(const Task& t) const {
  TaskView v;
  v.id = t.id;
  v.spec = t.spec;
  v.last_error = t.last_error;
  v.cutover = t.cutover;
  v.validation = t.validation;
  v.retention = t.retention;
  v.assessment = t.assessment;
  if (!t.acknowledged.empty()) v.assessment["acknowledged"] = t.acknowledged;
  const bool running = t.runner && !t.runner->finished();
  if (t.cutting_over) {
    v.state = "cutting_over";
  } else if (running) {
    if (t.stop_reason == "pause") v.state = "pausing";
    else if (t.stop_reason == "stop") v.state = "stopping";
    else if (t.runner->phase() == RunPhase::kIdle) v.state = "starting";
    else v.state = run_phase_name(t.runner->phase());
  } else {
    v.state = t.intent == "running" ? "starting" : t.intent;
  }
  if (t.runner) v.tables = t.runner->progress().snapshot();
  v.errors = journal_.error_counts(t.id);
  if (t.runner) {  // kept after it ends, for the counters
    v.stream = t.runner->stream();
    v.apply = t.runner->apply();
  }
  if (v.tables.empty() && t.intent != "created") {
    if (!t.stored_tables) t.stored_tables = stored_table_progress(store_, t.id);
    v.tables = *t.stored_tables;
  }
  if (v.stream.checkpointed_number == 0) {
    const StreamFigures stored = t.engine->stored_figures();
    v.stream.checkpointed = v.stream.applied = stored.checkpointed;
    v.stream.checkpointed_number = v.stream.applied_number = stored.checkpointed_number;
    if (v.stream.source_head.empty()) v.stream.source_head = stored.source_head;
    if (v.stream.received.empty()) v.stream.received = stored.received;
  }
  // A binlog stream does not learn the source's head while it is busy; the retention
  // probe reads it (and the bytes between it and our checkpoint) every few seconds.
  if (v.stream.source_head.empty() && t.retention.contains("source_head")) {
    v.stream.source_head = t.retention.value("source_head", "");
    v.stream.lag_bytes = t.retention.value("retained_bytes", std::uint64_t{0});
  }
  return v;
}

Status TaskManager::restore() {
  std::vector<std::string> ids;
  Status s = store_.scan_prefix(storage::Family::kTasks, kSpecPrefix,
                                [&](std::string_view key, std::string_view) {
                                  ids.emplace_back(key.substr(kSpecPrefix.size()));
                                  return true;
                                });
  if (!s.ok()) return s;
  std::lock_guard lock(mutex_);
  for (const auto& id : ids) {
    auto spec_text = store_.get(storage::Family::kTasks, kSpecPrefix + id);
    auto control_text = store_.get(storage::Family::kTasks, kControlPrefix + id);
    if (!spec_text.ok() || !spec_text->has_value()) continue;
    auto spec = parse_task_spec(**spec_text, "stored task " + id);
    if (!spec.ok()) {
      log::write(log::Level::kError, "tasks", "stored task spec is not valid; task skipped",
                 {{"task", id}, {"error", spec.error().message}});
      continue;
    }
    auto engine = make_task_engine(*spec, store_);
    if (!engine.ok()) {
      log::write(log::Level::kError, "tasks", "stored task cannot run in this build; skipped",
                 {{"task", id}, {"error", engine.error().message}});
      continue;
    }
    auto task = std::make_unique<Task>();
    task->id = id;
    task->spec = std::move(spec).value();
    task->engine = std::move(engine).value();
    if (control_text.ok() && control_text->has_value()) {
      auto c = nlohmann::json::parse(**control_text, nullptr, false);
      if (!c.is_discarded()) {
        task->intent = c.value("intent", "created");
        task->last_error = c.value("last_error", "");
        task->cutover = c.value("cutover", nlohmann::json::object());
        task->validation = c.value("validation", nlohmann::json::object());
        task->assessment = c.value("assessment", nlohmann::json::object());
        task->acknowledged = c.value("acknowledged", std::vector<std::string>{});
      }
    }
    Task& t = *task;
    tasks_[id] = std::move(task);
    if (t.intent == "running") {
      journal_.record(id, log::Level::kInfo, "restore", "resuming after a daemon restart");
      start_runner(t);
    }
  }
  return {};
}

void TaskManager::shutdown() {
  std::vector<TaskRunner*> runners;
  std::vector<std::thread> jobs;
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (auto& [id, t] : tasks_) {
      if (t->runner && !t->runner->finished()) {
        t->stop_reason = "shutdown";
        t->runner->request_stop();
        runners.push_back(t->runner.get());
      }
    }
    jobs = std::move(jobs_);
  }
  wake_monitor_.notify_all();
  for (auto* r : runners) r->join();
  for (auto& j : jobs) j.join();
  if (monitor_.joinable()) monitor_.join();
}

void TaskManager::start_runner(Task& t) {
  if (t.runner) t.runner->join();  // a finished runner: its callback already ran
  t.stored_tables.reset();  // read again once this runner has moved the load on
  t.stop_reason.clear();
  const std::string id = t.id;
  const replication::TaskSpec spec = t.spec;
  t.runner = std::make_unique<TaskRunner>(
      t.spec, store_, journal_,
      [this, id](RunPhase end, const std::optional<Error>& error) { on_runner_exit(id, end, error); },
      [this, id, spec] { return assess_before_load(id, spec); });
  t.runner->start();
}

void TaskManager::on_runner_exit(const std::string& id, RunPhase end,
                                 const std::optional<Error>& error) {
  std::lock_guard lock(mutex_);
  Task* t = find(id);
  if (t == nullptr) return;
  if (error) {
    t->intent = "failed";
    t->last_error = error->message;
    journal_.record(id, log::Level::kError, "failed", error->message,
                    {{"code", error_code_name(error->code)}});
  } else if (end == RunPhase::kLoaded) {
    t->intent = "loaded";
  } else if (t->stop_reason == "pause") {
    t->intent = "paused";
    journal_.record(id, log::Level::kInfo, "pause", "paused; the slot keeps the position");
  } else if (t->stop_reason == "stop") {
    t->intent = "stopped";
    journal_.record(id, log::Level::kInfo, "stop", "stopped");
  }
  // "shutdown" and "cutover" keep the intent: restore resumes, cutover decides.
  (void)persist(*t).ok();
}

Result<TaskView> TaskManager::create(const std::string& body, const std::string& origin) {
  auto spec = parse_task_spec(body, origin);
  if (!spec.ok()) return std::move(spec).error();
  std::lock_guard lock(mutex_);
  if (find(spec->id) != nullptr) {
    return make_error(ErrorCode::kAlreadyExists,
                      fmt::format("task {} already exists; DELETE it first or choose another id",
                                  spec->id));
  }
  auto engine = make_task_engine(*spec, store_);
  if (!engine.ok()) return std::move(engine).error();
  auto task = std::make_unique<Task>();
  task->id = spec->id;
  task->spec = std::move(spec).value();
  task->engine = std::move(engine).value();
  if (Status s = persist(*task); !s.ok()) return std::move(s).error();
  journal_.record(task->id, log::Level::kInfo, "create", "task created",
                  {{"source", task->spec.source.describe()},
                   {"target", task->spec.target.describe()},
                   {"mode", replication::task_mode_name(task->spec.mode)}});
  task->assessment = {{"status", "running"}};
  TaskView v = view(*task);
  const std::string id = task->id;
  tasks_[id] = std::move(task);
  jobs_.emplace_back([this, id] { run_assessment_job(id); });
  return v;
}

std::vector<TaskView> TaskManager::list() const {
  std::lock_guard lock(mutex_);
  std::vector<TaskView> out;
  for (const auto& [id, t] : tasks_) out.push_back(view(*t));
  return out;
}

Result<TaskView> TaskManager::get(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const Task* t = find(id);
  if (t == nullptr) return make_error(ErrorCode::kNotFound, "no task " + id);
  return view(*t);
}

Result<TaskView> TaskManager::act(const std::string& id, const std::string& action,
                                  const std::vector<std::string>& acknowledge) {
  TaskRunner* wait_for = nullptr;
  {
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return make_error(ErrorCode::kNotFound, "no task " + id);
    if (shutting_down_) return make_error(ErrorCode::kUnavailable, "the daemon is stopping");
    const std::string state = view(*t).state;
    const bool running = state == "loading" || state == "streaming" || state == "starting";
    // Idempotent repeats answer with the current state.
    if (action == "start" || action == "resume") {
      for (const auto& a : acknowledge) {
        if (std::find(t->acknowledged.begin(), t->acknowledged.end(), a) == t->acknowledged.end()) {
          t->acknowledged.push_back(a);
        }
      }
    }
    if ((action == "start" || action == "resume") && running) return view(*t);
    if (action == "pause" && (state == "paused" || state == "pausing")) return view(*t);
    if (action == "stop" && (state == "stopped" || state == "stopping")) return view(*t);
    if (action == "validate" && t->validating) return view(*t);
    const auto allowed = allowed_actions(state);
    if (std::find(allowed.begin(), allowed.end(), action) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return make_error(ErrorCode::kConflict,
                        fmt::format("cannot {} task {} in state {}; allowed: {}", action, id,
                                    state, list.empty() ? "none until this step ends" : list));
    }
    if (action == "start" || action == "resume") {
      t->intent = "running";
      t->last_error.clear();
      if (Status s = persist(*t); !s.ok()) return std::move(s).error();
      journal_.record(id, log::Level::kInfo, action, action == "start" ? "started" : "resumed");
      start_runner(*t);
      return view(*t);
    }
    if (action == "pause" || action == "stop") {
      if (running && t->runner) {
        t->stop_reason = action;
        t->runner->request_stop();
        wait_for = t->runner.get();
      } else {
        t->intent = action == "pause" ? "paused" : "stopped";
        if (Status s = persist(*t); !s.ok()) return std::move(s).error();
        journal_.record(id, log::Level::kInfo, action, action == "pause" ? "paused" : "stopped");
        return view(*t);
      }
    }
    if (action == "validate") {
      t->validating = true;
      t->validation = {{"status", "running"}};
      jobs_.emplace_back([this, id] { run_validation(id); });
      return view(*t);
    }
  }
  // Wait (without the lock) for the runner to reach its consistent point.
  for (int i = 0; wait_for != nullptr && i < 300 && !wait_for->finished(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return get(id);
}

Status TaskManager::remove(const std::string& id, bool drop_source_objects) {
  std::unique_ptr<Task> removed;
  {
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return make_error(ErrorCode::kNotFound, "no task " + id);
    const std::string state = view(*t).state;
    const auto allowed = allowed_actions(state);
    if (std::find(allowed.begin(), allowed.end(), "delete") == allowed.end()) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("cannot delete task {} in state {}; stop it first", id, state));
    }
    if (t->validating) return make_error(ErrorCode::kConflict, "a validation is running");
    removed = std::move(tasks_[id]);
    tasks_.erase(id);
  }
  if (removed->runner) removed->runner->join();
  if (drop_source_objects) {
    auto dropped = removed->engine->drop_source_objects();
    if (!dropped.ok()) {
      // The task stays deleted from our side only when the source agreed: put it back.
      std::lock_guard lock(mutex_);
      tasks_[id] = std::move(removed);
      return std::move(dropped).error();
    }
    log::write(log::Level::kInfo, "tasks", "source objects dropped",
               {{"task", id}, {"detail", *dropped}});
  }
  storage::WriteSet w;
  w.remove(storage::Family::kTasks, kSpecPrefix + id);
  w.remove(storage::Family::kTasks, kControlPrefix + id);
  w.remove(storage::Family::kTasks, replication::kTaskStatePrefix + id);
  w.remove(storage::Family::kCheckpoints, id);
  std::vector<std::string> progress_keys;
  (void)store_.scan_prefix(storage::Family::kProgress, id + "/",
                           [&](std::string_view k, std::string_view) {
                             progress_keys.emplace_back(k);
                             return true;
                           }).ok();
  for (const auto& k : progress_keys) w.remove(storage::Family::kProgress, k);
  if (Status s = store_.write(w); !s.ok()) return s;
  return journal_.erase(id);
}

void TaskManager::monitor_retention() {
  std::unique_lock lock(mutex_);
  while (!shutting_down_) {
    wake_monitor_.wait_for(lock, retention_interval_, [&] { return shutting_down_; });
    if (shutting_down_) break;
    std::vector<std::pair<std::string, replication::TaskSpec>> watched;
    for (const auto& [id, t] : tasks_) {
      const bool has_stream = t->spec.mode != replication::TaskMode::kFullLoad;
      // Every task whose slot may exist: a stopped, failed or cut-over task's slot keeps
      // WAL just the same until the task is deleted with drop_source_objects.
      if (has_stream && t->intent != "created") {
        watched.emplace_back(id, t->spec);
      }
    }
    lock.unlock();
    std::vector<std::pair<std::string, nlohmann::json>> results;
    // A fresh engine per probe: the task may be deleted while the lock is released.
    for (const auto& [id, spec] : watched) {
      auto engine = make_task_engine(spec, store_);
      if (engine.ok()) results.emplace_back(id, (*engine)->probe_retention());
    }
    lock.lock();
    for (auto& [id, r] : results) {
      Task* t = find(id);
      if (t == nullptr) continue;
      const std::string before = t->retention.value("risk", "ok");
      const std::string now = r.value("risk", before);
      if (now != before && now != "ok") {
        journal_.record(id, now == "critical" ? log::Level::kError : log::Level::kWarn,
                        "retention", r.value("detail", "slot retention at risk"),
                        {{"retained_bytes", std::to_string(r.value("retained_bytes", 0LL))}});
      }
      t->retention = std::move(r);
    }
  }
}

void TaskManager::run_validation(const std::string& id) {
  replication::TaskSpec spec;
  {
    std::lock_guard lock(mutex_);
    Task* t = find(id);
    if (t == nullptr) return;
    spec = t->spec;
  }
  journal_.record(id, log::Level::kInfo, "validate", "validation started");
  const auto started = Clock::now();
  auto engine = make_task_engine(spec, store_);
  auto report = engine.ok() ? (*engine)->validate()
                            : Result<replication::ValidationReport>(std::move(engine).error());
  nlohmann::json result;
  if (!report.ok()) {
    result = {{"status", "error"}, {"error", report.error().message}};
  } else {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& tv : report->tables) {
      tables.push_back({{"table", tv.table}, {"source_rows", tv.source_rows},
                        {"target_rows", tv.target_rows}, {"chunks", tv.chunks},
                        {"mismatched_chunks", tv.mismatched_chunks}, {"ok", tv.ok()}});
    }
    result = {{"status", report->ok() ? "match" : "mismatch"}, {"tables", tables}};
  }
  result["seconds"] = seconds_since(started);
  journal_.record(id, report.ok() && report->ok() ? log::Level::kInfo : log::Level::kWarn,
                  "validate", "validation finished: " + result.value("status", std::string()));
  std::lock_guard lock(mutex_);
  if (Task* t = find(id)) {
    t->validating = false;
    t->validation = result;
    (void)persist(*t).ok();
  }
}

}  // namespace tideway::daemon
