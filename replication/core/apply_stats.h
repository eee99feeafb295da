#pragma once
// What a change stream applied, for metrics: row changes per table and operation, source
// transactions, and the size and duration of each target commit (a group of source
// transactions). Labels stay bounded: tables are the task's replicated tables, operations
// are four, and batch figures go into fixed histogram buckets, never per row.
//
// The stream's apply thread notes each change as it hands it to the applier
// (note_change, no lock: it only touches the pending counts of that thread), and moves
// the pending counts into the published ones when the target commit succeeded
// (commit_batch), so the figures only ever count what is durable on the target. A batch
// that failed is dropped (drop_batch): the stream replays it after reconnecting.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "replication/core/change.h"

namespace tideway::replication {

/// Cumulative histogram figures, as Prometheus wants them.
struct HistogramFigures {
  std::vector<double> bounds;          // upper bounds, ascending; +Inf implied
  std::vector<std::uint64_t> counts;   // cumulative count per bound, then +Inf last
  double sum = 0;
  std::uint64_t count = 0;
};

struct ApplyFigures {
  std::map<std::pair<std::string, std::string>, std::int64_t> changes;  // (table, op) -> rows
  HistogramFigures batch_changes;   // row changes per target commit
  HistogramFigures batch_seconds;   // first change of a batch to its target commit
};

class ApplyStats {
 public:
  ApplyStats();

  /// Apply thread: one change handed to the applier.
  void note_change(const Change& change);
  /// Apply thread: the target committed everything noted since the last batch.
  void commit_batch();
  /// Apply thread: the batch did not commit (it is replayed later).
  void drop_batch();

  ApplyFigures figures() const;

 private:
  static void observe(HistogramFigures& h, double value);

  /// Moves the current run of changes into pending_.
  void end_run();

  // Apply thread only. Consecutive changes of one table and operation (the common case:
  // a bulk insert, a large transaction) are counted in a run without building the
  // table's name or looking up a map per row; a run ends in pending_.
  std::shared_ptr<const TableDesc> run_table_;
  ChangeKind run_kind_ = ChangeKind::kInsert;
  std::int64_t run_count_ = 0;
  std::map<std::pair<std::string, std::string>, std::int64_t> pending_;
  std::int64_t pending_total_ = 0;
  std::chrono::steady_clock::time_point batch_started_{};

  mutable std::mutex mutex_;
  ApplyFigures published_;
};

const char* change_kind_name(ChangeKind kind);

}  // namespace tideway::replication
