#pragma once
// Durable state of a task's snapshot and full load, in the state store:
//   tasks       state/<task>                   TaskState (phase, slot, start position)
//   progress    <task>/plan/<schema.table>     TablePlan (chunking method, chunks)
//   progress    <task>/done/<schema.table>/<n> ChunkDone (rows, bytes, snapshot)
// Records are JSON so `tideway status` and operators can read them. Writes are synced:
// a restart must never redo a chunk the target already has, nor skip one it lacks.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "storage/state_store.h"

namespace tideway::replication {

/// Key prefix of TaskState records in the tasks family (the daemon keeps task specs and
/// control state beside them under other prefixes).
inline const std::string kTaskStatePrefix = "state/";

enum class TaskPhase { kCreated, kLoading, kLoaded, kStreaming, kStopped, kFailed };
const char* task_phase_name(TaskPhase phase);

struct TaskState {
  TaskPhase phase = TaskPhase::kCreated;
  std::string slot_name;        // the task's replication slot, once created
  std::string start_position;   // where the stream starts (PG: the slot's consistent LSN)
  bool schema_before_load = false;  // tables created on the target
  bool schema_after_load = false;   // indexes, constraints, views, triggers created
  /// The target's apply sessions run with session_replication_role = replica (PostgreSQL:
  /// decided when the task starts; foreign keys and triggers then follow the load).
  bool replica_role = false;
  /// Why it is on, or why not and the grant that would allow it.
  std::string replica_role_note;
  std::string last_error;
};

struct PlannedChunk {
  int index = 0;
  std::string where_sql;
  std::string description;
};

struct TablePlan {
  std::string table;  // schema.table
  std::string method;
  std::int64_t estimated_rows = 0;
  std::vector<PlannedChunk> chunks;
};

struct ChunkDone {
  std::int64_t rows = 0;
  std::int64_t bytes = 0;
  std::string snapshot;  // the snapshot position the chunk was read at
};

class LoadStateStore {
 public:
  LoadStateStore(storage::StateStore& store, std::string task_id)
      : store_(store), task_(std::move(task_id)) {}

  Result<std::optional<TaskState>> load_task() const;
  Status save_task(const TaskState& state);

  Result<std::optional<TablePlan>> load_plan(const std::string& table) const;
  Status save_plan(const TablePlan& plan);
  /// Every stored plan of this task, by table.
  Result<std::map<std::string, TablePlan>> load_plans() const;
  /// The stored plan of `table`, or the one `make` returns, stored first: a restart must
  /// copy the same chunks, whatever the table holds by then.
  Result<TablePlan> plan_once(const std::string& table,
                              const std::function<Result<TablePlan>()>& make);

  /// The stream position durably applied on the target (checkpoints family; synced).
  Result<std::optional<std::string>> load_checkpoint() const;
  Status save_checkpoint(const std::string& position);

  /// Completed chunks of `table`, by index.
  Result<std::map<int, ChunkDone>> load_done(const std::string& table) const;
  Status mark_done(const std::string& table, int chunk, const ChunkDone& done);
  /// Forgets every completed chunk of `table` (it is copied whole again).
  Status forget_done(const std::string& table);

 private:
  storage::StateStore& store_;
  std::string task_;
};

}  // namespace tideway::replication
