#pragma once
// TaskManager: owns every task of the daemon and its state machine. API handlers only
// translate HTTP into these calls. Each call returns at once: long work (load, stream,
// cutover, validation) runs on the task's own threads and is followed through get().
//
// States shown to operators:
//   created -> loading -> streaming -> cutting_over -> cut_over
//                 |  \-> loaded (mode full_load)
//   loading/streaming -> paused -> (resume) -> loading/streaming
//   any running state -> stopped -> (start) ; failure -> failed -> (start)
// What is stored (state store, tasks family): spec/<id> the spec, control/<id> the
// operator's intent (created, running, paused, stopped, loaded, cut_over, failed) and
// the last error, so a daemon restart resumes running tasks and leaves paused ones
// paused.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "daemon/journal.h"
#include "daemon/task_engine.h"
#include "daemon/task_runner.h"
#include "replication/core/apply_stats.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::daemon {

struct CutoverOptions {
  std::string fence = "none";       // "none" | "read_only"
  double max_lag_seconds = 30;      // precondition: the stream is this close
  int timeout_seconds = 300;        // to drain to the cutover point
  bool dry_run = false;
};

/// A point-in-time view of one task, for status, metrics and tests.
struct TaskView {
  std::string id;
  std::string state;
  replication::TaskSpec spec;
  std::string last_error;
  std::vector<replication::TableProgressView> tables;
  StreamFigures stream;       // positions, counters; from the state store when not running
  replication::ApplyFigures apply;  // per table and operation, batch histograms
  std::map<std::string, std::uint64_t> errors;  // journal errors since start, per step
  nlohmann::json cutover;     // last cutover: steps, durations, outcome
  nlohmann::json validation;  // last validation result
  nlohmann::json retention;   // slot WAL retention: retained_bytes, safe_wal_bytes, risk
  nlohmann::json assessment;  // the pre-start assessment: verdict, findings, acknowledged
};

/// Replication lag: now minus the source commit time of the oldest transaction the
/// stream has taken but not yet committed on the target; 0 when caught up. (Not "now
/// minus the last applied commit", which reads hours after an idle night.)
double lag_seconds(const TaskView& view);
/// Source head minus checkpointed position, in bytes (0 when the head is unknown).
std::uint64_t lag_bytes(const TaskView& view);

class TaskManager {
 public:
  /// `retention_interval`: how often the source's slot retention is checked for running
  /// and paused tasks (a paused task's slot keeps WAL, and the source may purge it).
  TaskManager(storage::StateStore& store, Journal& journal,
              std::chrono::seconds retention_interval = std::chrono::seconds(15));
  ~TaskManager();

  /// Loads stored tasks; restarts those that were running when the daemon stopped.
  Status restore();
  /// Stops every runner at a consistent point, keeping each task's stored intent.
  void shutdown();

  /// Creates a task from a spec document (JSON or YAML). kAlreadyExists if the id is taken.
  Result<TaskView> create(const std::string& body, const std::string& origin);
  std::vector<TaskView> list() const;
  Result<TaskView> get(const std::string& id) const;
  /// start | pause | resume | stop | validate. Idempotent; kConflict names the state.
  /// `acknowledge` (start, resume): assessment blockers the operator accepts, added to
  /// those accepted before.
  Result<TaskView> act(const std::string& id, const std::string& action,
                       const std::vector<std::string>& acknowledge = {});
  Result<TaskView> cutover(const std::string& id, const CutoverOptions& options);
  /// Refused while running; optionally drops what the task made on the source (the
  /// slot; not the publication, which the operator created).
  Status remove(const std::string& id, bool drop_source_objects);

  /// Actions allowed in `state`, for 409 answers and for the API's own documentation.
  static std::vector<std::string> allowed_actions(const std::string& state);

 private:
  struct Task;
  Task* find(const std::string& id) const;
  void start_runner(Task& task);
  void on_runner_exit(const std::string& id, RunPhase end, const std::optional<Error>& error);
  Status persist(const Task& task);
  TaskView view(const Task& task) const;
  void run_cutover(const std::string& id, CutoverOptions options);
  void run_validation(const std::string& id);
  /// Before a task's first load: its assessment (see task_assessment.cpp). Fails with
  /// the unacknowledged blockers; ok once none is left.
  Status assess_before_load(const std::string& id, const replication::TaskSpec& spec);
  void run_assessment_job(const std::string& id);
  void monitor_retention();

  storage::StateStore& store_;
  Journal& journal_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Task>> tasks_;
  std::vector<std::thread> jobs_;  // cutover and validation threads
  bool shutting_down_ = false;
  std::chrono::seconds retention_interval_;
  std::condition_variable wake_monitor_;
  std::thread monitor_;
};

}  // namespace tideway::daemon
