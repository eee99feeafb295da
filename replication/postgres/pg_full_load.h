#pragma once
// The PostgreSQL snapshot and full load of one task, resumable:
//   1. check the source's replication prerequisites (all problems at once);
//   2. create the target schema's tables and primary keys (once, atomically with a marker
//      on the target);
//   3. create the task's slot with an exported snapshot (its consistent point is where
//      the change stream starts), or reuse a new snapshot after a restart;
//   4. plan chunks per table (stored, so a restart resumes the same chunks) and copy them
//      with `workers` threads, each chunk in one target transaction with its marker;
//   5. create indexes, constraints, functions, views and triggers; set sequences.
// After a restart only unfinished chunks are copied. They are read at a newer snapshot
// than the finished ones, which the stream's handoff accounts for (each chunk records
// the snapshot it was read at); a table without a primary key has no stable chunk
// boundaries across snapshots, so an unfinished one is emptied and copied whole again.

#include <atomic>
#include <string>

#include "common/error.h"
#include "replication/core/load_progress.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::replication::postgres {

struct FullLoadResult {
  std::string start_position;  // the slot's consistent point (LSN text); "" for full_load
  int tables = 0;
  std::int64_t rows = 0;        // copied by this run (not counting earlier runs)
  int chunks_copied = 0;        // by this run
  int chunks_skipped = 0;       // already done by an earlier run
};

/// Runs (or resumes) the snapshot and full load. Returns kUnavailable with "stopped" in
/// the message when `stop` was set; state is then consistent and a later run resumes.
Result<FullLoadResult> run_full_load(const TaskSpec& spec, storage::StateStore& store,
                                     LoadProgress& progress, const std::atomic<bool>& stop);

/// After the last change is applied (cutover): sequences set to the source's values,
/// and the foreign keys and triggers held back during the stream created. Idempotent.
Status finish_after_stream(const TaskSpec& spec);

}  // namespace tideway::replication::postgres
