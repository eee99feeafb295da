#pragma once
// Applies a change stream to a PostgreSQL target in source commit order. Consecutive
// source transactions are grouped into one target transaction (bounded by change count
// and time), consecutive inserts into one table into one COPY FROM STDIN that is fed
// while the rows arrive (so the target works on them while the next ones are decoded
// and formatted), and the source position of
// the last grouped commit is written to _tideway.apply_position in that same target
// transaction. So the target itself knows exactly what it has applied: after any crash,
// transactions at or before that position are skipped, and nothing is applied twice.
//
// With ApplierOptions::replica_role the session runs with session_replication_role =
// replica, as PostgreSQL's own apply workers do, so the target's triggers and foreign
// keys (created right after the load in that case) leave applied rows alone.
//
// Updates and deletes are matched by the replica identity: the key columns, or with
// REPLICA IDENTITY FULL every column (one row, by ctid). A change that matches no row,
// or an insert that hits an existing key, means the target has diverged: the applier
// fails with the table, the key and the LSN instead of skipping it. The one exception is
// the handoff window after a resumed full load, where a table's chunks were read at a
// later snapshot than the stream's start: there changes are applied idempotently (upsert,
// delete-if-present), or skipped for tables copied whole at that later snapshot.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/core/task_spec.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct ApplierOptions {
  std::size_t max_batch_changes = 20000;  // Default: changes per target transaction.
  std::chrono::milliseconds max_batch_delay{200};  // Default: commit at least this often.
  std::size_t insert_rows_per_statement = 500;     // Default: rows per multi-row INSERT
                                                   // (idempotent handoff inserts only).
  std::size_t copy_rows = 100000;                  // Default: rows per COPY statement.
  /// Run the session with session_replication_role = replica: target triggers and
  /// foreign keys do not act on applied rows (the task found the privilege at its start).
  bool replica_role = false;
};

/// Per table (schema.table): changes committed at or before this LSN are already in the
/// table's copy, entirely (skip) or partly (apply idempotently).
struct HandoffWindow {
  Lsn until;
  bool skip = false;  // table copied whole at `until`
};

class PgApplier {
 public:
  static Result<std::unique_ptr<PgApplier>> open(const Endpoint& target, std::string task_id,
                                                 std::map<std::string, HandoffWindow> handoff,
                                                 ApplierOptions options = {});
  ~PgApplier();

  /// The position the target has durably applied (0/0 if none yet).
  Lsn applied_position() const { return applied_; }

  /// Applies one event. Events must come in stream order.
  Status apply(const StreamEvent& event);

  /// True at a source commit boundary with a batch that reached its size or time bound.
  bool batch_due() const;
  /// Commits the open target transaction if one is open at a commit boundary. Returns the
  /// newly durable position, or nullopt if nothing was pending.
  Result<std::optional<Lsn>> flush();
  /// True when applied source transactions wait in the open target transaction.
  bool has_uncommitted() const { return pending_position_.has_value(); }
  /// A position-only advance (idle source) with nothing pending: records it durably.
  Result<std::optional<Lsn>> advance_idle(Lsn position);

  std::int64_t changes_applied() const { return changes_applied_; }
  std::int64_t transactions_applied() const { return transactions_applied_; }

 private:
  PgApplier(std::unique_ptr<PgConnection> conn, std::string task_id,
            std::map<std::string, HandoffWindow> handoff, ApplierOptions options)
      : conn_(std::move(conn)), task_id_(std::move(task_id)), handoff_(std::move(handoff)),
        options_(options) {}

  Status begin_target_transaction();
  Status apply_change(const Change& change);
  Status apply_insert(const Change& change, bool idempotent);
  /// Sends what is buffered: ends an open COPY, or runs the multi-row INSERT.
  Status flush_inserts();
  /// Runs of plain inserts go through COPY FROM STDIN (no per-statement parse and plan);
  /// the values are the source's text output, which COPY's text format reads back. The
  /// COPY starts at a run's first row and is fed in 256 KiB pieces as rows arrive.
  Status copy_insert(const Change& change);
  Status end_copy();
  Status apply_update(const Change& change, bool idempotent);
  Status apply_delete(const Change& change, bool idempotent);
  Status apply_truncate(const Change& change);
  Status apply_add_columns(const AddColumnsEvent& event);
  Status record_position(Lsn position);
  Error diverged(const Change& change, const std::string& what) const;
  /// WHERE clause matching the change's old row, appending its parameters.
  Result<std::string> where_clause(const Change& change,
                                   std::vector<std::optional<std::string>>& params) const;

  std::unique_ptr<PgConnection> conn_;
  std::string task_id_;
  std::map<std::string, HandoffWindow> handoff_;
  ApplierOptions options_;

  Lsn applied_;                 // durable on the target
  bool target_txn_open_ = false;
  bool in_source_txn_ = false;
  bool skipping_ = false;       // this source transaction is already applied
  Lsn current_final_lsn_;       // commit LSN of the source transaction being applied
  std::optional<Lsn> pending_position_;  // last commit grouped into the open target txn
  std::size_t batch_changes_ = 0;
  std::chrono::steady_clock::time_point batch_started_;

  // Consecutive inserts into one table with the same columns, not yet finished: an open
  // COPY (copy_open_, rows not yet sent in copy_buffer_), or the parameters of an
  // idempotent multi-row INSERT.
  std::shared_ptr<const TableDesc> insert_table_;
  bool copy_open_ = false;
  std::string copy_buffer_;
  bool insert_idempotent_ = false;
  std::vector<std::optional<std::string>> insert_params_;
  std::size_t insert_rows_ = 0;
  std::size_t insert_bytes_ = 0;

  std::int64_t changes_applied_ = 0;
  std::int64_t transactions_applied_ = 0;
};

}  // namespace tideway::replication::postgres
