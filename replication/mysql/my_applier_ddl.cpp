// MyApplier's schema changes and its position row: the part of applying that must
// survive a crash between two statements that cannot share a transaction.
#include <fmt/format.h>

#include <cstdlib>
#include <set>

#include "common/failpoint.h"
#include "common/log.h"
#include "replication/mysql/my_applier.h"
#include "replication/mysql/my_stream_statement.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.apply"};

// Errors a DDL replayed after a crash may meet because it already ran: its effect is
// there, which is what the replay wants.
const std::set<unsigned> kAlreadyApplied = {
    1007,  // ER_DB_CREATE_EXISTS
    1050,  // ER_TABLE_EXISTS_ERROR
    1051,  // ER_BAD_TABLE_ERROR (DROP of a dropped table)
    1054,  // ER_BAD_FIELD_ERROR (a column renamed or dropped already)
    1060,  // ER_DUP_FIELDNAME
    1061,  // ER_DUP_KEYNAME
    1091,  // ER_CANT_DROP_FIELD_OR_KEY
    1146,  // ER_NO_SUCH_TABLE (RENAME/ALTER of a renamed table)
    1826,  // ER_FK_DUP_NAME
};

}  // namespace

Status MyApplier::apply_ddl(const DdlEvent& ddl) {
  // The implicit commit of a DDL would split a source transaction that already changed
  // rows; the servers never log that, so it is a malformed stream, not a case to handle.
  if (txn_changes_ > 0) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("a schema change after {} row changes inside one source "
                                  "transaction at {}: '{}'",
                                  txn_changes_, where_am_i(), statement_head(ddl.statement)));
  }
  if (Status s = flush_inserts(); !s.ok()) return s;
  // DDL commits implicitly: first commit the group before it, with its position.
  if (target_txn_open_) {
    if (pending_position_) {
      if (Status s = record_position(*pending_position_); !s.ok()) return s;
    }
    if (Status s = commit_target_transaction(); !s.ok()) return s;
    if (pending_position_) {
      applied_ = BinlogPosition::parse(*pending_position_);
      durable_ = pending_position_;
      pending_position_.reset();
    }
  }
  // A crash after the DDL but before its position is recorded replays it; the mark says
  // which DDL may already have run.
  const auto pending = ddl_pending_ ? BinlogPosition::parse(*ddl_pending_) : std::nullopt;
  const bool replay = pending && *pending == *current_begin_pos_;
  if (!replay) {
    const std::string position = applied_ ? applied_->to_string() : current_begin_;
    if (Status s = execute(fmt::format("INSERT INTO `_tideway`.`apply_position` (task_id, "
                                       "position, ddl_pending) VALUES ({0}, {1}, {2}) ON DUPLICATE "
                                       "KEY UPDATE ddl_pending = VALUES(ddl_pending)",
                                       conn_->quote(task_id_), conn_->quote(position),
                                       conn_->quote(current_begin_)),
                           "marking a schema change in _tideway.apply_position");
        !s.ok()) {
      return s;
    }
    ddl_pending_ = current_begin_;
  }
  std::string setup;
  if (!ddl.schema.empty()) {
    if (Status s = execute("USE " + quote_identifier(ddl.schema),
                           "selecting database " + ddl.schema + " for a schema change");
        !s.ok()) {
      return s;
    }
  }
  for (const auto& [name, value] : ddl.session) {
    setup += fmt::format("{}{} = {}", setup.empty() ? "SET " : ", ", name, value);
  }
  if (!setup.empty()) {
    if (Status s = execute(setup, "setting the schema change's session"); !s.ok()) return s;
  }
  Status result = conn_->execute(ddl.statement);
  failpoint("my_apply.after_ddl");
  // Back to the applier's own session, whatever the statement did.
  if (Status s = execute(
          fmt::format("SET NAMES utf8mb4, foreign_key_checks = {}", foreign_key_checks_ ? 1 : 0),
          "restoring the session after a schema change");
      !s.ok()) {
    return s;
  }
  if (!result.ok()) {
    const auto at = result.message().rfind("MySQL error ");
    const unsigned code =
        at == std::string::npos
            ? 0
            : static_cast<unsigned>(std::strtoul(result.message().c_str() + at + 12, nullptr, 10));
    // CREATE DATABASE of a database the target already has (the operator made it, or
    // the full load did): what the statement wanted is there.
    const bool create_database =
        code == 1007 && classify_statement(ddl.statement, "").verb == "CREATE DATABASE";
    if (!create_database && !(replay && kAlreadyApplied.count(code) > 0)) {
      return std::move(result).error().with_context(fmt::format(
          "applying the schema change '{}' at {}", statement_head(ddl.statement), where_am_i()));
    }
    kLog.info("schema change was already applied before a restart",
              {{"statement", statement_head(ddl.statement)}, {"error", result.message()}});
  }
  kLog.info("schema change applied",
            {{"statement", statement_head(ddl.statement)}, {"at", current_begin_}});
  // Every table named may look different on the target now.
  plans_.clear();
  incoming_keys_.clear();
  target_schema_->forget_all();
  return {};
}

Status MyApplier::record_position(const std::string& position) {
  return execute(fmt::format("INSERT INTO `_tideway`.`apply_position` (task_id, position) VALUES "
                             "({0}, {1}) ON DUPLICATE KEY UPDATE position = VALUES(position), "
                             "ddl_pending = NULL, applied_at = CURRENT_TIMESTAMP(6)",
                             conn_->quote(task_id_), conn_->quote(position)),
                 "recording the applied position");
}

}  // namespace tideway::replication::mysql
