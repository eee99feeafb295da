#include "daemon/task_runner.h"

#include <fmt/format.h>

#include "replication/core/lsn.h"
#include "replication/postgres/pg_full_load.h"

namespace tideway::daemon {

const char* run_phase_name(RunPhase phase) {
  switch (phase) {
    case RunPhase::kIdle: return "idle";
    case RunPhase::kLoading: return "loading";
    case RunPhase::kStreaming: return "streaming";
    case RunPhase::kLoaded: return "loaded";
    case RunPhase::kStopped: return "stopped";
    case RunPhase::kFailed: return "failed";
  }
  return "idle";
}

TaskRunner::TaskRunner(replication::TaskSpec spec, storage::StateStore& store, Journal& journal,
                       OnExit on_exit)
    : spec_(std::move(spec)), store_(store), journal_(journal), on_exit_(std::move(on_exit)) {}

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
  using replication::Engine;
  // finished_ is set after on_exit_ returns, so whoever sees finished() may join the
  // thread without waiting on the callback (which takes the manager's lock).
  auto end = [&](RunPhase phase, std::optional<Error> error) {
    phase_ = phase;
    if (on_exit_) on_exit_(phase, error);
    finished_ = true;
  };
  if (spec_.source.engine != Engine::kPostgresql || spec_.target.engine != Engine::kPostgresql) {
    return end(RunPhase::kFailed,
               make_error(ErrorCode::kInvalidArgument,
                          fmt::format("{} -> {} tasks cannot run in the daemon yet; this build "
                                      "runs postgresql -> postgresql",
                                      replication::engine_name(spec_.source.engine),
                                      replication::engine_name(spec_.target.engine))));
  }
  phase_ = RunPhase::kLoading;
  journal_.record(spec_.id, log::Level::kInfo, "full_load", "snapshot and full load started");
  auto loaded = replication::postgres::run_full_load(spec_, store_, progress_, stop_);
  if (!loaded.ok()) {
    if (stop_ && loaded.error().code == ErrorCode::kUnavailable) {
      journal_.record(spec_.id, log::Level::kInfo, "full_load", "full load stopped at a chunk "
                      "boundary; it resumes with the unfinished chunks");
      return end(RunPhase::kStopped, std::nullopt);
    }
    return end(RunPhase::kFailed, std::move(loaded).error());
  }
  std::int64_t rows = 0;
  for (const auto& v : progress_.snapshot()) rows += v.rows_done;
  journal_.record(spec_.id, log::Level::kInfo, "full_load", "full load finished",
                  {{"tables", std::to_string(loaded->tables)},
                   {"rows_this_run", std::to_string(loaded->rows)},
                   {"chunks_this_run", std::to_string(loaded->chunks_copied)},
                   {"stream_start", loaded->start_position}});
  if (spec_.mode == replication::TaskMode::kFullLoad) return end(RunPhase::kLoaded, std::nullopt);

  phase_ = RunPhase::kStreaming;
  journal_.record(spec_.id, log::Level::kInfo, "stream", "change stream started");
  Status streamed = replication::postgres::run_stream(spec_, store_, stream_, stop_);
  if (!streamed.ok()) return end(RunPhase::kFailed, std::move(streamed).error());
  journal_.record(spec_.id, log::Level::kInfo, "stream", "change stream stopped at a checkpoint",
                  {{"checkpoint",
                    replication::Lsn{stream_.checkpointed_lsn.load()}.to_string()}});
  end(RunPhase::kStopped, std::nullopt);
}

}  // namespace tideway::daemon
