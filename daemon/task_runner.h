#pragma once
// TaskRunner: one task's work on its own thread: the full load, then the change stream,
// until asked to stop (pause, stop, cutover, daemon shutdown) or until it fails. It owns
// the live figures (load progress, stream positions) that status, metrics and cutover
// read while it runs. The TaskManager decides what a stop means; the runner only stops
// at a consistent point (a chunk rolled back, or a target commit with its checkpoint).

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/error.h"
#include "daemon/journal.h"
#include "daemon/task_engine.h"
#include "replication/core/load_progress.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::daemon {

enum class RunPhase { kIdle, kAssessing, kLoading, kStreaming, kLoaded, kStopped, kFailed };
const char* run_phase_name(RunPhase phase);

class TaskRunner {
 public:
  /// Called on the runner thread when it ends: kLoaded, kStopped or kFailed.
  using OnExit = std::function<void(RunPhase end, const std::optional<Error>& error)>;

  /// Runs on the runner thread before the load; an error fails the task (the
  /// assessment gate). May be empty.
  using BeforeLoad = std::function<Status()>;

  TaskRunner(replication::TaskSpec spec, storage::StateStore& store, Journal& journal,
             OnExit on_exit, BeforeLoad before_load = {});
  ~TaskRunner();  // requests a stop and joins

  void start();
  void request_stop() { stop_ = true; }
  /// Waits for the thread to end.
  void join();
  bool finished() const { return finished_; }

  RunPhase phase() const { return phase_; }
  const replication::LoadProgress& progress() const { return progress_; }
  /// The stream's live figures (all zero before it starts).
  StreamFigures stream() const { return stream_ ? stream_->figures() : StreamFigures{}; }
  replication::ApplyFigures apply() const {
    return stream_ ? stream_->apply_figures() : replication::ApplyFigures{};
  }
  /// See StreamRun::reached; false when the task has no stream.
  bool reached(const std::string& point) const { return stream_ && stream_->reached(point); }

 private:
  void run();

  replication::TaskSpec spec_;
  storage::StateStore& store_;
  Journal& journal_;
  OnExit on_exit_;
  BeforeLoad before_load_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<RunPhase> phase_{RunPhase::kIdle};
  replication::LoadProgress progress_;
  std::unique_ptr<TaskEngine> engine_;     // null when the engine pair is not supported
  std::optional<Error> engine_error_;
  std::unique_ptr<StreamRun> stream_;      // made with the runner, so readers never race it
  std::thread thread_;
};

}  // namespace tideway::daemon
