#pragma once
// Task metrics, computed from the TaskManager at scrape time (so they are never stale
// and cost nothing between scrapes). Labels are bounded: task, table, op, state, step,
// outcome.
//   tideway_task_state{task,state}                  1 for the current state
//   tideway_replication_lag_seconds{task}           source commit time -> target commit
//   tideway_replication_lag_bytes{task}             source head - checkpointed position
//   tideway_source_head_position{task}              positions as numbers (PostgreSQL LSN;
//                                                   MySQL binlog file number * 2^32 + offset)
//   tideway_applied_position{task}, tideway_checkpointed_position{task}
//   tideway_changes_applied_total{task}, tideway_transactions_applied_total{task}
//   tideway_stream_reconnects_total{task}
//   tideway_stream_spool_bytes{task}                PostgreSQL 14+: in-progress transactions
//                                                   spooled to local disk now
//   tideway_streamed_transactions_total{task,outcome}  ... and how they ended: committed,
//                                                   aborted
//   tideway_table_changes_applied_total{task,table,op}   committed row changes, op one of
//                                                   insert, update, delete, truncate
//   tideway_apply_batch_changes{task}               histogram: row changes per target commit
//   tideway_apply_batch_duration_seconds{task}      histogram: first change to target commit
//   tideway_full_load_rows_copied{task,table}, tideway_full_load_rows_estimated{task,table}
//   tideway_full_load_bytes_copied{task,table}
//   tideway_validation_mismatched_tables{task}
//   tideway_cutover_step_duration_seconds{task,step}
//   tideway_cutover_aborted{task}                   1 if the last cutover was aborted
//   tideway_task_failed{task}                       1 while the task is failed
//   tideway_checkpoint_age_seconds{task}            while streaming: since the checkpoint moved
//   tideway_task_errors_total{task,kind}            journal errors since start, kind = step
//   tideway_slot_retained_wal_bytes{task}           log the source keeps for us: WAL of the
//                                                   slot, or binlog bytes after our checkpoint
//   tideway_binlog_files_behind{task}               MySQL: binlog files after our checkpoint's
//   tideway_slot_safe_wal_bytes{task}               WAL left before the source drops it
//   tideway_slot_retention_risk{task}               0 ok, 1 warning, 2 critical

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "daemon/task_manager.h"

namespace tideway::daemon {

class TaskMetrics : public prometheus::Collectable {
 public:
  explicit TaskMetrics(const TaskManager& tasks) : tasks_(tasks) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const TaskManager& tasks_;
};

}  // namespace tideway::daemon
