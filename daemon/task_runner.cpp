#include "daemon/task_runner.h"

#include <fmt/format.h>


namespace tideway::daemon {

const char* run_phase_name(RunPhase phase) {
  switch (phase) {
    case RunPhase::kIdle: return "idle";
    case RunPhase::kAssessing: return "assessing";
    case RunPhase::kLoading: return "loading";
    case RunPhase::kStreaming: return "streaming";
    case RunPhase::kLoaded: return "loaded";
    case RunPhase::kStopped: return "stopped";
    case RunPhase::kFailed: return "failed";
  }
  return "idle";
}

TaskRunner::TaskRunner(replication::TaskSpec spec, storage::StateStore& store, Journal& journal,
                       OnExit on_exit, BeforeLoad before_load)
    : spec_(std::move(spec)),
      store_(store),
      journal_(journal),
      on_exit_(std::move(on_exit)),
      before_load_(std::move(before_load)) {
  auto engine = make_task_engine(spec_, store_);
  if (engine.ok()) {
    engine_ = std::move(engine).value();
    if (spec_.mode != replication::TaskMode::kFullLoad) {
      stream_ = engine_->new_stream();
      // In the journal too, so GET /events and the migration report show each outage.
      stream_->on_interruption([this](bool interrupted, const std::string& error) {
        if (interrupted) {
          journal_.record(spec_.id, log::Level::kWarn, "stream",
                          "change stream interrupted; reconnecting from the last checkpoint",
                          {{"error", error}});
        } else {
          journal_.record(spec_.id, log::Level::kInfo, "stream",
                          "change stream resumed after an interruption");
        }
      });
    }
  } else {
    engine_error_ = std::move(engine).error();
  }
}

TaskRunner::~TaskRunner() {
  request_stop();
  join();
}

void TaskRunner::start() {
  stop_ = false;
  finished_ = false;
  thread_ = std::thread([this] { run(); });
}

void TaskRunner::join() {
  if (thread_.joinable()) thread_.join();
}

void TaskRunner::run() {
  // finished_ is set after on_exit_ returns, so whoever sees finished() may join the
  // thread without waiting on the callback (which takes the manager's lock).
  auto end = [&](RunPhase phase, std::optional<Error> error) {
    phase_ = phase;
    if (on_exit_) on_exit_(phase, error);
    finished_ = true;
  };
  if (!engine_) return end(RunPhase::kFailed, engine_error_);
  if (before_load_) {
    phase_ = RunPhase::kAssessing;
    if (Status s = before_load_(); !s.ok()) return end(RunPhase::kFailed, std::move(s).error());
    if (stop_) return end(RunPhase::kStopped, std::nullopt);
  }
  phase_ = RunPhase::kLoading;
  journal_.record(spec_.id, log::Level::kInfo, "full_load", "snapshot and full load started");
  auto loaded = engine_->full_load(progress_, stop_);
  if (!loaded.ok()) {
    if (stop_ && loaded.error().code == ErrorCode::kUnavailable) {
      journal_.record(spec_.id, log::Level::kInfo, "full_load", "full load stopped at a chunk "
                      "boundary; it resumes with the unfinished chunks");
      return end(RunPhase::kStopped, std::nullopt);
    }
    return end(RunPhase::kFailed, std::move(loaded).error());
  }
  for (const auto& w : loaded->warnings) {
    journal_.record(spec_.id, log::Level::kWarn, "full_load", w);
  }
  journal_.record(spec_.id, log::Level::kInfo, "full_load", "full load finished",
                  {{"tables", std::to_string(loaded->tables)},
                   {"rows_this_run", std::to_string(loaded->rows)},
                   {"chunks_this_run", std::to_string(loaded->chunks_copied)},
                   {"chunks_from_earlier_runs", std::to_string(loaded->chunks_skipped)},
                   {"stream_start", loaded->start_position}});
  if (!stream_) return end(RunPhase::kLoaded, std::nullopt);

  phase_ = RunPhase::kStreaming;
  journal_.record(spec_.id, log::Level::kInfo, "stream", "change stream started");
  Status streamed = stream_->run(stop_);
  if (!streamed.ok()) return end(RunPhase::kFailed, std::move(streamed).error());
  journal_.record(spec_.id, log::Level::kInfo, "stream", "change stream stopped at a checkpoint",
                  {{"checkpoint", stream_->figures().checkpointed}});
  end(RunPhase::kStopped, std::nullopt);
}

}  // namespace tideway::daemon
