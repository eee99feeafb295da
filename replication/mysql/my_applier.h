#pragma once
// Applies a change stream to a MySQL-family target (MariaDB, MySQL, Aurora MySQL) in
// source commit order; the counterpart of postgres::PgApplier:
//   - consecutive source transactions share one target transaction (bounded by change
//     count and time), never split one; consecutive inserts into one table become one
//     multi-row INSERT;
//   - the position after the last grouped commit is written to _tideway.apply_position
//     in that same target transaction, so after a crash transactions starting before it
//     are skipped and nothing is applied twice;
//   - updates and deletes match the primary key; a table without one is matched on all
//     columns, one row (LIMIT 1), and logged once as such;
//   - an update or delete that matches no row, or an insert that hits an existing key,
//     stops the stream with table, key and position (the target has diverged);
//   - DDL runs in stream order: the group before it is committed first (MySQL commits
//     implicitly around DDL), and the statement is marked in apply_position before it
//     runs, so a crash between the DDL and its position is replayed tolerating "already
//     done" errors, and only then;
//   - foreign keys stay checked (foreign_key_checks = 1): InnoDB does not binlog the rows
//     an ON DELETE/UPDATE CASCADE changes, so the target's own foreign keys must do it.
//     Changes in a handoff window are applied with checks off (their parents may be
//     missing until the window closes);
//   - sql_log_bin = 0 is tried (so a target with a binlog does not replicate our writes
//     onward twice) and reported when not permitted; it is never assumed;
//   - session: utf8mb4, time_zone '+00:00', kTargetSqlMode (my_connection.h).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/change.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_applier_sql.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_handoff.h"
#include "replication/mysql/my_position.h"
#include "replication/mysql/my_stream_schema.h"

namespace tideway::replication::mysql {

struct MyApplierOptions {
  std::size_t max_batch_changes = 20000;           // Default: changes per target transaction.
  std::chrono::milliseconds max_batch_delay{200};  // Default: commit at least this often.
  std::size_t insert_rows_per_statement = 1000;    // Default: rows per multi-row INSERT.
  std::size_t max_statement_bytes = 4 << 20;       // Default: 4 MiB (under max_allowed_packet).
};

/// Handoff windows (my_handoff.h) are keyed by database.table; a transaction lies in a
/// window when it starts before `until` (equivalently, ends at or before it: both are
/// transaction boundaries).
class MyApplier {
 public:
  static Result<std::unique_ptr<MyApplier>> open(const Endpoint& target, std::string task_id,
                                                 std::map<std::string, BinlogHandoffWindow> handoff,
                                                 MyApplierOptions options = {});
  ~MyApplier();

  /// The position the target has durably applied, if any.
  const std::optional<BinlogPosition>& applied_position() const { return applied_; }
  /// The stream was started after the GTIDs the target holds (resume by GTID): the source
  /// sends no transaction the target already has, and its file positions may be another
  /// server's (after a failover, not comparable with the recorded ones), so transactions
  /// are not skipped by comparing file positions.
  void started_after_gtids() { skip_by_position_ = false; }
  /// Drops the handoff windows `start` has passed by GTID (every transaction up to their
  /// `until` is in its GTIDs): after a failover their file positions are the old
  /// server's and must not be compared with the new one's.
  void drop_passed_windows(const BinlogPosition& start);
  /// Whether sql_log_bin = 0 took effect, and what happened when trying.
  bool target_binlog_disabled() const { return binlog_disabled_; }
  const std::string& target_binlog_note() const { return binlog_note_; }

  /// Applies one event. Events must come in stream order.
  Status apply(const StreamEvent& event);
  /// True at a source commit boundary with a batch that reached its size or time bound.
  bool batch_due() const;
  /// Commits what is pending at a commit boundary; returns the newly durable position.
  Result<std::optional<std::string>> flush();
  /// A position made durable inside apply() (the group committed before a DDL).
  std::optional<std::string> take_durable();

  std::int64_t changes_applied() const { return changes_applied_; }
  std::int64_t transactions_applied() const { return transactions_applied_; }

 private:
  /// Columns of a table the applier writes: present on the target and not generated.
  struct TablePlan {
    std::vector<std::size_t> columns;  // indexes into TableDesc::columns
    std::vector<std::string> types;    // target DATA_TYPE, by TableDesc column
    bool warned_keyless = false;
  };

  MyApplier(std::unique_ptr<MyConnection> conn, std::string task_id,
            std::map<std::string, BinlogHandoffWindow> handoff, MyApplierOptions options)
      : conn_(std::move(conn)),
        task_id_(std::move(task_id)),
        handoff_(std::move(handoff)),
        options_(options) {}

  Status execute(const std::string& sql, const std::string& what);
  Status begin_target_transaction();
  Status commit_target_transaction();
  Result<const TablePlan*> plan(const std::shared_ptr<const TableDesc>& table);
  Status set_foreign_key_checks(bool on);
  Status apply_change(const Change& change);
  Status apply_insert(const Change& change, bool idempotent);
  Status flush_inserts();
  Status apply_update(const Change& change, bool idempotent);
  Status apply_delete(const Change& change, bool idempotent);
  /// A foreign key on the target that refers to a table and moves its children on a
  /// delete or a key change (CASCADE or SET NULL); rules as information_schema spells them.
  struct IncomingKey {
    std::string schema, table, constraint;
    std::vector<std::string> columns;     // in the child, in key order
    std::vector<std::string> referenced;  // in the parent, in key order
    std::string on_delete, on_update;
  };
  // Cascades by hand for changes applied in a handoff window (my_applier_cascade.cpp).
  Result<const std::vector<IncomingKey>*> incoming_keys(const TableDesc& parent);
  Result<std::optional<std::vector<std::string>>> referenced_literals(
      const IncomingKey& key, const Change& change, const TablePlan& plan,
      const replication::RowImage& image);
  Status move_children(const IncomingKey& key, const Change& change,
                       const std::vector<std::string>& from, const std::vector<std::string>* to,
                       bool remove);
  Status cascade_delete_by_hand(const Change& change, const TablePlan& plan);
  Status cascade_update_by_hand(const Change& change, const TablePlan& plan);
  Status apply_truncate(const Change& change);
  Status apply_ddl(const DdlEvent& ddl);
  Status record_position(const std::string& position);
  Result<std::string> where_clause(const Change& change, const TablePlan& plan,
                                   const replication::RowImage& image);
  Status upsert(const Change& change, const TablePlan& plan, const replication::RowImage& image);
  Error diverged(const Change& change, const std::string& what) const;
  std::string where_am_i() const;

  std::unique_ptr<MyConnection> conn_;
  std::string task_id_;
  std::map<std::string, BinlogHandoffWindow> handoff_;
  MyApplierOptions options_;
  LiteralWriter literals_;
  std::unique_ptr<StreamSchemaCache> target_schema_;
  std::map<const TableDesc*, std::pair<std::shared_ptr<const TableDesc>, TablePlan>> plans_;
  std::map<std::string, std::vector<IncomingKey>> incoming_keys_;  // by parent database.table
  bool binlog_disabled_ = false;
  std::string binlog_note_;
  bool foreign_key_checks_ = true;

  std::optional<BinlogPosition> applied_;   // durable on the target
  std::optional<std::string> ddl_pending_;  // a DDL marked but maybe not applied (restart)
  bool target_txn_open_ = false;
  bool in_source_txn_ = false;
  bool skipping_ = false;
  bool skip_by_position_ = true;  // false: started by GTID (started_after_gtids())
  std::string current_begin_;  // begin position of the source transaction
  std::optional<BinlogPosition> current_begin_pos_;
  std::size_t txn_changes_ = 0;                  // changes of the current source transaction so far
  std::optional<std::string> pending_position_;  // last commit grouped into the open txn
  std::optional<std::string> durable_;           // for take_durable()
  std::size_t batch_changes_ = 0;
  std::chrono::steady_clock::time_point batch_started_;
  std::chrono::steady_clock::time_point last_flush_{};

  // Consecutive inserts into one table with the same columns, not yet sent.
  std::shared_ptr<const TableDesc> insert_table_;
  std::vector<bool> insert_present_;
  bool insert_idempotent_ = false;
  std::string insert_sql_;
  std::size_t insert_rows_ = 0;

  std::int64_t changes_applied_ = 0;
  std::int64_t transactions_applied_ = 0;
};

}  // namespace tideway::replication::mysql
