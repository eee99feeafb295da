#pragma once
// The MySQL/MariaDB snapshot and full load of one task, resumable; the counterpart of
// postgres::run_full_load with the same state records (LoadStateStore):
//   1. check the source's prerequisites (binlog settings and grants for a stream, SELECT
//      on every table, readable views/triggers/routines for schema creation) and the
//      target's (triggers/functions under a binlog), all problems at once;
//   2. create the databases and tables with their primary keys on the target (resumable
//      per statement, see my_schema_steps.h), or check the operator's tables;
//   3. plan chunks per table (stored, so a restart resumes the same chunks);
//   4. open one consistent-snapshot session per worker, each with its binlog position
//      (my_snapshot.h explains why per worker and how the stream uses the positions);
//      on the first run the earliest is stored as TaskState::start_position. With the
//      watermark method (MySQL 8 / Aurora, or mysql.snapshot: watermark) workers hold
//      plain sessions instead, the start is the binlog position before any chunk, and
//      each chunk is read between its own watermarks (my_watermark.h);
//   5. copy the chunks with `workers` threads, each chunk in one target transaction with
//      its marker row, recorded with the position it was read at;
//   6. create the other indexes, routines and views; foreign keys and triggers too when
//      no stream follows (otherwise at cutover); set AUTO_INCREMENT counters.
// After a restart only unfinished chunks are copied, at new snapshots, which the stream
// accounts for through the per-chunk positions.
//
// Modes: full_load copies and finishes. full_load_and_cdc does the same and leaves
// start_position for the binlog stream (not part of this file). cdc copies nothing (the
// operator's target already holds the data) and only records where the stream starts.
//
// start_position format (BinlogPosition::to_string, my_position.h):
//   "<binlog file>:<offset>[;gtid=<GTID list>]", e.g. "mariadb-bin.000019:344;gtid=0-1-3".

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/load_progress.h"
#include "replication/core/task_spec.h"
#include "storage/state_store.h"

namespace tideway::replication::mysql {

struct MyFullLoadResult {
  std::string start_position;  // where the stream starts (see above); "" for full_load
  int tables = 0;
  std::int64_t rows = 0;        // copied by this run (not counting earlier runs)
  int chunks_copied = 0;        // by this run
  int chunks_skipped = 0;       // already done by an earlier run
  std::vector<std::string> warnings;            // tables without a key, writes during a
                                                // full_load-only copy, ...
  std::vector<std::string> definers_rewritten;  // views/routines/triggers now CURRENT_USER
};

/// Runs (or resumes) the snapshot and full load. Returns kUnavailable with "stopped" in
/// the message when `stop` was set; state is then consistent and a later run resumes.
Result<MyFullLoadResult> run_mysql_full_load(const TaskSpec& spec, storage::StateStore& store,
                                             LoadProgress& progress,
                                             const std::atomic<bool>& stop);

}  // namespace tideway::replication::mysql
