#pragma once
// TaskEngine: what the daemon needs from one migration path (a source and target engine
// pair), so the task manager, runner, cutover and status code never name an engine.
// Implementations: pg_task_engine.cpp (postgresql -> postgresql) and my_task_engine.cpp
// (mysql/mariadb -> mysql/mariadb). An engine object holds the task's spec and the state
// store; it is cheap, stateless between calls, and safe to call from any thread.
//
// Positions are shown to operators in each engine's own notation (a PostgreSQL LSN
// "16/B374D848", a binlog position "mariadb-bin.000031:1879;gtid=0-1-1042"), and as one
// monotonic number for metrics and arithmetic:
//   PostgreSQL  the LSN itself;
//   MySQL       binlog file sequence * 2^32 + offset (a binlog file stays far below
//               4 GiB, max_binlog_size is at most 1 GiB).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "replication/core/apply_stats.h"
#include "replication/core/stream_interruption.h"
#include "replication/core/load_progress.h"
#include "replication/core/task_spec.h"
#include "replication/core/validation_report.h"
#include "storage/state_store.h"

namespace tideway::daemon {

/// A change stream's live figures, read at any time by status, metrics and cutover.
struct StreamFigures {
  std::string source_head, received, applied, checkpointed;  // engine notation; "" unknown
  std::uint64_t source_head_number = 0, applied_number = 0, checkpointed_number = 0;
  std::uint64_t lag_bytes = 0;                 // source head minus checkpoint, when known
  std::int64_t last_commit_time_us = 0;        // source commit time of the last applied txn
  std::int64_t oldest_pending_commit_us = 0;   // 0: nothing taken from the stream unapplied
  std::int64_t changes_applied = 0, transactions_applied = 0;
  int reconnects = 0;
  /// Why the stream is reconnecting now, or last was (replication/core/stream_interruption.h).
  replication::StreamInterruption::View interruption;
  /// PostgreSQL 14+: transactions the source streams while in progress (protocol 2),
  /// spooled to local disk until they commit. All zero/false otherwise.
  bool streaming_in_progress = false;
  std::uint64_t spool_bytes = 0;
  std::int64_t streamed_open = 0, streamed_committed = 0, streamed_aborted = 0;
  /// Seconds since the durable position was last seen to move (the checkpoint, or on a
  /// binlog source that is idle, the point read through); -1 when no stream runs.
  double checkpoint_age_seconds = -1;
};

/// Tracks when a monotonic position last moved, as seen by whoever reads it (status,
/// metrics): good to the reading interval, which is all a staleness alarm needs.
class MovementClock {
 public:
  double age_seconds(std::uint64_t position) const;

 private:
  mutable std::mutex mutex_;
  mutable std::uint64_t last_ = 0;
  mutable std::int64_t moved_at_us_ = 0;
};

/// One run of a task's change stream (created per runner start, so counters restart).
class StreamRun {
 public:
  virtual ~StreamRun() = default;
  /// Streams until `stop` is set (ok) or an error that retrying cannot fix.
  virtual Status run(const std::atomic<bool>& stop) = 0;
  virtual StreamFigures figures() const = 0;
  /// Changes per table and operation, batch sizes and durations (since this run began).
  virtual replication::ApplyFigures apply_figures() const = 0;
  /// True once every source transaction committed before `point` (from
  /// TaskEngine::mark_cutover_point) is applied on the target and checkpointed.
  virtual bool reached(const std::string& point) const = 0;
  /// Called on the stream's thread when a session fails and the stream reconnects
  /// (interrupted = true, with the error), and when it streams again (false). Set before
  /// run().
  virtual void on_interruption(replication::StreamInterruption::Listener listener) = 0;
};

struct LoadSummary {
  std::string start_position;  // where the stream starts, engine notation
  int tables = 0;
  std::int64_t rows = 0;       // copied by this run
  int chunks_copied = 0;       // by this run
  int chunks_skipped = 0;      // done by earlier runs
  std::vector<std::string> warnings;
};

struct FenceResult {
  std::string detail;    // what was done, for the journal and the cutover report
  bool changed = false;  // false: the source already was as asked; lifting must not undo it
};

class TaskEngine {
 public:
  virtual ~TaskEngine() = default;

  /// Snapshot and full load (or its resumption); kUnavailable when `stop` ended it early.
  virtual Result<LoadSummary> full_load(replication::LoadProgress& progress,
                                        const std::atomic<bool>& stop) const = 0;
  virtual std::unique_ptr<StreamRun> new_stream() const = 0;
  /// Figures from the state store alone, for a task with no stream running.
  virtual StreamFigures stored_figures() const = 0;

  /// The source's write fence for cutover ("read_only"): on, or lifted again.
  virtual Result<FenceResult> set_fence(bool on) const = 0;
  /// The source's position now, in engine notation (see StreamRun::reached).
  virtual Result<std::string> mark_cutover_point() const = 0;
  virtual Result<replication::ValidationReport> validate() const = 0;
  /// Sequences / AUTO_INCREMENT counters and the objects held back during the stream.
  virtual Result<std::string> finish_target() const = 0;
  /// Drops what the task created on the source (replication slot); says what it did.
  virtual Result<std::string> drop_source_objects() const = 0;
  /// How close the source is to dropping what the stream still needs: a JSON object with
  /// at least "risk" (ok|warning|critical) and "detail"; "retained_bytes" when known.
  virtual nlohmann::json probe_retention() const = 0;
};

/// Ok when this build runs the spec's source and target pair; otherwise kInvalidArgument
/// naming the pair and the pairs it runs.
Status check_engine_pair(const replication::TaskSpec& spec);

/// The engine for the spec's source and target pair; kInvalidArgument naming the pair
/// and what this build supports when there is none.
Result<std::unique_ptr<TaskEngine>> make_task_engine(const replication::TaskSpec& spec,
                                                     storage::StateStore& store);

}  // namespace tideway::daemon
