#include "daemon/run_command.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <functional>
#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/log.h"
#include "daemon/assessment_gate.h"
#include "daemon/daemon.h"
#include "daemon/exit_codes.h"
#include "daemon/progress_display.h"
#include "daemon/stream_lag_display.h"
#include "daemon/task_engine.h"
#include "daemon/task_spec_parser.h"
#include "replication/core/load_state.h"
#include "storage/state_store.h"

namespace tideway::daemon {
namespace {

const log::Logger kLog{"run"};

int fail_usage(const std::string& message) {
  std::fprintf(stderr, "tideway: %s; see 'tideway --help'\n", message.c_str());
  return kExitUsage;
}

/// Waits for SIGINT/SIGTERM on its own thread and raises `stop`.
class StopOnSignal {
 public:
  explicit StopOnSignal(std::atomic<bool>& stop) {
    thread_ = std::thread([&stop, this] {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      while (!done_) {
        timespec t{0, 200 * 1000 * 1000};
        const int sig = sigtimedwait(&set, nullptr, &t);
        if (sig == SIGINT || sig == SIGTERM) {
          kLog.info("stop requested; stopping at a consistent point",
                    {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
          stop = true;
        }
      }
    });
  }
  ~StopOnSignal() {
    done_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> done_{false};
  std::thread thread_;
};


/// The change stream until stop; returns the final checkpointed position.
Result<std::string> run_stream_until_stop(const TaskEngine& engine, const std::string& task,
                                          const std::atomic<bool>& stop) {
  auto stream = engine.new_stream();
  const StreamRun& live = *stream;
  StreamLagDisplay display(
      [&live] {
        const StreamFigures f = live.figures();
        const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
        const double lag = f.oldest_pending_commit_us > 0
                               ? static_cast<double>(now_us - f.oldest_pending_commit_us) / 1e6
                               : 0.0;
        return fmt::format("applied {}  {} txns  {} changes  behind {} bytes  lag {:.1f}s",
                           f.checkpointed, f.transactions_applied, f.changes_applied,
                           f.lag_bytes, std::max(0.0, lag));
      },
      task);
  Status s = stream->run(stop);
  display.stop();
  if (!s.ok()) return std::move(s).error();
  return stream->figures().checkpointed;
}

/// "a,b" into `out`; false when an id is empty.
bool split_acknowledgements(const std::string& value, std::vector<std::string>& out) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = value.find(',', start);
    std::string id = value.substr(start, comma == std::string::npos ? comma : comma - start);
    if (id.empty()) return false;
    out.push_back(std::move(id));
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

/// The daemon's assessment gate before a task's first load (assessment_gate.h). Returns
/// the exit code when the run must end here, -1 to go on.
int gate_first_load(const replication::TaskSpec& spec, storage::StateStore& store,
                    const std::vector<std::string>& acknowledged) {
  auto gate = assess_before_first_load(spec, store, acknowledged);
  if (!gate.ok()) {
    kLog.error("task failed", {{"task", spec.id}, {"error", gate.error().message}});
    return gate.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (!gate->has_value()) return -1;  // loaded before: not assessed again
  const GateOutcome& outcome = **gate;
  for (const auto& f : outcome.assessment.findings) {
    if (f.severity != assess::Severity::kWarning) continue;
    kLog.warn("assessment warning", {{"task", spec.id}, {"finding", f.id}, {"object", f.object},
                                     {"why", f.why}, {"remediation", f.remediation}});
  }
  if (!outcome.open_blockers.empty()) {
    const Error refusal = gate_refusal(
        spec.id, outcome.open_blockers,
        fmt::format("--acknowledge {} (or ID:OBJECT for one object)",
                    finding_ids(outcome.open_blockers, false)));
    kLog.error("task refused before its load", {{"task", spec.id}, {"error", refusal.message}});
    return kExitBlocked;
  }
  kLog.info("assessment before the load", {{"task", spec.id},
                                          {"verdict", outcome.assessment.verdict()},
                                          {"acknowledged", acknowledged.size()}});
  return -1;
}

}  // namespace

int cmd_run(const std::vector<std::string>& args) {
  std::string task_file, data_dir;
  std::vector<std::string> acknowledged;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--task" || args[i] == "--data-dir" || args[i] == "--acknowledge") &&
        i + 1 >= args.size()) {
      return fail_usage(args[i] + " needs a value");
    }
    if (args[i] == "--task") task_file = args[++i];
    else if (args[i] == "--data-dir") data_dir = args[++i];
    else if (args[i] == "--acknowledge") {
      if (!split_acknowledgements(args[++i], acknowledged)) {
        return fail_usage("--acknowledge needs finding ids (ID or ID:OBJECT, comma-separated)");
      }
    }
    else return fail_usage(fmt::format("run: unknown option '{}'", args[i]));
  }
  if (task_file.empty() || data_dir.empty()) return fail_usage("run needs --task FILE --data-dir DIR");

  auto spec = load_task_spec(task_file);
  if (!spec.ok()) {
    std::fprintf(stderr, "tideway: task error: %s\n", spec.error().message.c_str());
    return kExitUsage;
  }
  if (Status s = check_engine_pair(*spec); !s.ok()) {
    std::fprintf(stderr, "tideway: task error: %s: %s\n", task_file.c_str(), s.message().c_str());
    return kExitUsage;
  }
  // Before any thread exists (RocksDB starts its own when the store opens): every
  // thread inherits the mask, so only StopOnSignal receives SIGINT/SIGTERM.
  block_lifecycle_signals();
  auto store = storage::StateStore::open(data_dir);
  if (!store.ok()) {
    kLog.error("cannot open state store", {{"data_dir", data_dir}, {"error", store.error().message}});
    return store.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitStateStore;
  }
  std::atomic<bool> stop{false};
  StopOnSignal signals(stop);
  auto engine = make_task_engine(*spec, **store);
  if (!engine.ok()) {
    std::fprintf(stderr, "tideway: task error: %s: %s\n", task_file.c_str(),
                 engine.error().message.c_str());
    return kExitUsage;
  }
  if (const int refused = gate_first_load(*spec, **store, acknowledged); refused >= 0) {
    return refused;
  }
  replication::LoadProgress progress;
  kLog.info("task starting", {{"task", spec->id}, {"mode", replication::task_mode_name(spec->mode)},
                              {"source", spec->source.describe()},
                              {"target", spec->target.describe()}});
  Result<LoadSummary> result = make_error(ErrorCode::kInternal, "");
  {
    ProgressDisplay display(progress, spec->id);
    result = (*engine)->full_load(progress, stop);
  }
  if (!result.ok()) {
    const bool stopped = stop && result.error().code == ErrorCode::kUnavailable;
    if (stopped) {
      kLog.info("task stopped; the next run resumes", {{"task", spec->id},
                                                       {"detail", result.error().message}});
      return kExitOk;
    }
    replication::LoadStateStore state(**store, spec->id);
    if (auto s = state.load_task(); s.ok() && s->has_value()) {
      auto failed = **s;
      failed.last_error = result.error().message;
      (void)state.save_task(failed).ok();
    }
    kLog.error("task failed", {{"task", spec->id}, {"error", result.error().message}});
    return result.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  for (const auto& w : result->warnings) {
    kLog.warn("full load warning", {{"task", spec->id}, {"warning", w}});
  }
  if (result->tables == 0) {
    kLog.info("full load was finished by an earlier run", {{"task", spec->id}});
  } else {
    kLog.info("full load complete", {{"task", spec->id}, {"tables", result->tables},
                                   {"rows_copied", result->rows},
                                   {"chunks_copied", result->chunks_copied},
                                   {"chunks_from_earlier_runs", result->chunks_skipped}});
  }
  if (spec->mode == replication::TaskMode::kFullLoad) return kExitOk;

  auto streamed = run_stream_until_stop(**engine, spec->id, stop);
  if (!streamed.ok()) {
    replication::LoadStateStore state(**store, spec->id);
    if (auto s = state.load_task(); s.ok() && s->has_value()) {
      auto failed = **s;
      failed.phase = replication::TaskPhase::kFailed;
      failed.last_error = streamed.error().message;
      (void)state.save_task(failed).ok();
    }
    kLog.error("task failed", {{"task", spec->id}, {"error", streamed.error().message}});
    return kExitFailure;
  }
  kLog.info("task stopped; the next run resumes from the checkpoint",
            {{"task", spec->id}, {"checkpoint", *streamed}});
  return kExitOk;
}

int cmd_status(const std::vector<std::string>& args) {
  std::string data_dir;
  bool json_output = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--data-dir" && i + 1 < args.size()) data_dir = args[++i];
    else if (args[i] == "--json") json_output = true;
    else return fail_usage(fmt::format("status: unknown option '{}'", args[i]));
  }
  if (data_dir.empty()) return fail_usage("status needs --data-dir DIR");
  auto store = storage::StateStore::open_read_only(data_dir);
  if (!store.ok()) {
    std::fprintf(stderr, "tideway: %s\n", store.error().message.c_str());
    return store.error().code == ErrorCode::kNotFound ? kExitUsage : kExitStateStore;
  }
  std::vector<std::string> task_ids;
  const std::string& prefix = replication::kTaskStatePrefix;
  Status scan = (*store)->scan_prefix(storage::Family::kTasks, prefix,
                                      [&](std::string_view key, std::string_view) {
                                        task_ids.emplace_back(key.substr(prefix.size()));
                                        return true;
                                      });
  if (!scan.ok()) {
    std::fprintf(stderr, "tideway: %s\n", scan.message().c_str());
    return kExitStateStore;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& id : task_ids) {
    replication::LoadStateStore state(**store, id);
    auto task = state.load_task();
    auto plans = state.load_plans();
    if (!task.ok() || !task->has_value() || !plans.ok()) continue;
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& [name, plan] : *plans) {
      auto done = state.load_done(name);
      std::int64_t rows = 0;
      if (done.ok()) {
        for (const auto& [index, d] : *done) rows += d.rows;
      }
      tables.push_back({{"table", name}, {"method", plan.method},
                        {"chunks_total", plan.chunks.size()},
                        {"chunks_done", done.ok() ? done->size() : 0},
                        {"rows_done", rows}, {"rows_estimated", plan.estimated_rows}});
    }
    const auto& t = **task;
    auto checkpoint = state.load_checkpoint();
    const std::string applied =
        checkpoint.ok() && checkpoint->has_value() ? **checkpoint : std::string();
    out.push_back({{"task", id}, {"phase", replication::task_phase_name(t.phase)},
                   {"checkpoint", applied},
                   {"slot", t.slot_name}, {"start_position", t.start_position},
                   {"last_error", t.last_error}, {"tables", tables}});
  }
  if (json_output) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  if (out.empty()) std::printf("no tasks in %s\n", data_dir.c_str());
  for (const auto& t : out) {
    std::printf("task %s  phase %s  checkpoint %s  slot %s  start %s\n",
                t["task"].get<std::string>().c_str(), t["phase"].get<std::string>().c_str(),
                t["checkpoint"].get<std::string>().empty()
                    ? "-" : t["checkpoint"].get<std::string>().c_str(),
                t["slot"].get<std::string>().empty() ? "-" : t["slot"].get<std::string>().c_str(),
                t["start_position"].get<std::string>().empty()
                    ? "-" : t["start_position"].get<std::string>().c_str());
    if (!t["last_error"].get<std::string>().empty()) {
      std::printf("  last error: %s\n", t["last_error"].get<std::string>().c_str());
    }
    for (const auto& tb : t["tables"]) {
      const int chunks_done = tb["chunks_done"].get<int>();
      const int chunks_total = tb["chunks_total"].get<int>();
      const auto rows_done = tb["rows_done"].get<std::int64_t>();
      const auto estimated = tb["rows_estimated"].get<std::int64_t>();
      // The estimate is the planner's when the load began (0 for a table never analyzed):
      // once every chunk is done the count is exact and the estimate says nothing more.
      const std::string rows =
          chunks_done == chunks_total ? fmt::format("{} rows, all copied", rows_done)
          : estimated > 0             ? fmt::format("{} of ~{} rows", rows_done, estimated)
                                      : fmt::format("{} rows so far", rows_done);
      std::printf("  %-40s %4d/%-4d chunks  %s  (%s)\n", tb["table"].get<std::string>().c_str(),
                  chunks_done, chunks_total, rows.c_str(), tb["method"].get<std::string>().c_str());
    }
  }
  return kExitOk;
}

}  // namespace tideway::daemon
