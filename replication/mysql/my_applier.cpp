#include "replication/mysql/my_applier.h"

#include <fmt/format.h>
#include <mysql.h>

#include <cstdlib>
#include <set>

#include "common/failpoint.h"
#include "common/log.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.apply"};

/// "Rows matched: N" from mysql_info() of an UPDATE: matched rows, whether or not the
/// new values differ (affected_rows counts only changed rows).
std::optional<std::uint64_t> rows_matched(MyConnection& conn) {
  const char* info = mysql_info(conn.raw());
  if (info == nullptr) return std::nullopt;
  const std::string_view text(info);
  const auto at = text.find("matched: ");
  if (at == std::string_view::npos) return std::nullopt;
  return std::strtoull(info + at + 9, nullptr, 10);
}

std::string table_sql(const TableDesc& t) { return qualified_name(t.schema, t.name); }

std::string key_text(const Change& change) {
  std::string key;
  const replication::RowImage* image = change.before  ? &*change.before
                                       : change.after ? &*change.after
                                                      : nullptr;
  if (image == nullptr) return key;
  for (std::size_t i = 0; i < change.table->columns.size(); ++i) {
    if (!change.table->columns[i].key || i >= image->columns.size()) continue;
    const Datum& d = image->columns[i];
    key += fmt::format("{}{}={}", key.empty() ? "" : ", ", change.table->columns[i].name,
                       d.state == Datum::State::kValue ? d.value.to_string() : "NULL");
  }
  return key;
}

}  // namespace

Result<std::unique_ptr<MyApplier>> MyApplier::open(
    const Endpoint& target, std::string task_id, std::map<std::string, BinlogHandoffWindow> handoff,
    MyApplierOptions options) {
  MyConnectOptions connect;
  connect.session = SessionKind::kTarget;
  connect.select_database = false;
  auto conn = MyConnection::connect(target, connect);
  if (!conn.ok()) return std::move(conn).error();
  std::unique_ptr<MyApplier> a(
      new MyApplier(std::move(conn).value(), std::move(task_id), std::move(handoff), options));
  // The target session of a full load turns foreign key checks off; the stream needs them
  // on, for the cascades the source's binlog does not contain.
  if (Status s = a->execute("SET foreign_key_checks = 1", "setting up the session"); !s.ok()) {
    return std::move(s).error();
  }
  if (Status s = a->conn_->execute("SET SESSION sql_log_bin = 0"); s.ok()) {
    a->binlog_disabled_ = true;
    a->binlog_note_ = "sql_log_bin = 0: applied changes are not written to the target's binlog";
  } else {
    a->binlog_note_ = "sql_log_bin = 0 was refused (" + s.message() +
                      "); applied changes go to the target's binlog, if it has one";
    kLog.warn("target binlog stays on for applied changes", {{"reason", s.message()}});
  }
  for (const char* sql : {"CREATE DATABASE IF NOT EXISTS `_tideway` CHARACTER SET utf8mb4",
                          "CREATE TABLE IF NOT EXISTS `_tideway`.`apply_position` ("
                          " task_id VARCHAR(64) NOT NULL PRIMARY KEY,"
                          // TEXT: a MySQL GTID set can outgrow any VARCHAR we would pick.
                          " position TEXT NOT NULL,"
                          " ddl_pending VARCHAR(4096) NULL,"
                          " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
                          ") ENGINE=InnoDB"}) {
    if (Status s = a->execute(sql, "creating _tideway.apply_position on the target"); !s.ok()) {
      return std::move(s).error();
    }
  }
  auto literals = LiteralWriter::load(*a->conn_);
  if (!literals.ok()) return std::move(literals).error();
  a->literals_ = std::move(literals).value();
  a->target_schema_ = std::make_unique<StreamSchemaCache>(*a->conn_);
  auto pos = a->conn_->query(
      "SELECT position, ddl_pending FROM `_tideway`.`apply_position` WHERE task_id = " +
      a->conn_->quote(a->task_id_));
  if (!pos.ok()) return std::move(pos).error();
  if (!pos->empty()) {
    a->applied_ = BinlogPosition::parse(pos->text(0, 0));
    if (!a->applied_) {
      return make_error(ErrorCode::kCorruption,
                        fmt::format("_tideway.apply_position on the target holds '{}' for task "
                                    "{}, which is not a binlog position",
                                    pos->text(0, 0), a->task_id_));
    }
    if (!pos->is_null(0, 1)) a->ddl_pending_ = pos->text(0, 1);
  }
  return a;
}

MyApplier::~MyApplier() {
  if (target_txn_open_) (void)conn_->execute("ROLLBACK").ok();
}

Status MyApplier::execute(const std::string& sql, const std::string& what) {
  if (Status s = conn_->execute(sql); !s.ok()) return std::move(s).error().with_context(what);
  return {};
}

std::string MyApplier::where_am_i() const {
  return "the transaction at " + (current_begin_.empty() ? std::string("?") : current_begin_);
}

Error MyApplier::diverged(const Change& change, const std::string& what) const {
  const std::string key = key_text(change);
  return make_error(ErrorCode::kConflict,
                    fmt::format("target has diverged from the source at {}: {} on {}{}; the task "
                                "stops rather than skip it",
                                where_am_i(), what, change.table->qualified(),
                                key.empty() ? "" : " (" + key + ")"));
}

Status MyApplier::begin_target_transaction() {
  if (target_txn_open_) return {};
  if (Status s = execute("START TRANSACTION", "starting a target transaction"); !s.ok()) return s;
  target_txn_open_ = true;
  batch_changes_ = 0;
  batch_started_ = std::chrono::steady_clock::now();
  return {};
}

Status MyApplier::commit_target_transaction() {
  target_txn_open_ = false;
  return execute("COMMIT", "committing applied changes");
}

Status MyApplier::set_foreign_key_checks(bool on) {
  if (foreign_key_checks_ == on) return {};
  foreign_key_checks_ = on;
  return execute(on ? "SET foreign_key_checks = 1" : "SET foreign_key_checks = 0",
                 "switching foreign key checks");
}

Result<const MyApplier::TablePlan*> MyApplier::plan(const std::shared_ptr<const TableDesc>& table) {
  if (auto it = plans_.find(table.get()); it != plans_.end()) return &it->second.second;
  auto info = target_schema_->get(table->schema, table->name);
  if (!info.ok()) return std::move(info).error();
  if (*info == nullptr) {
    return make_error(ErrorCode::kNotFound, fmt::format("table {} is not on the target (at {})",
                                                        table->qualified(), where_am_i()));
  }
  TablePlan p;
  for (std::size_t i = 0; i < table->columns.size(); ++i) {
    const StreamColumnInfo* target_column = nullptr;
    for (const auto& c : (*info)->columns) {
      if (c.name == table->columns[i].name) target_column = &c;
    }
    if (target_column == nullptr) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("column {} of {} is not on the target (at {}); the target's "
                                    "schema differs from the source's",
                                    table->columns[i].name, table->qualified(), where_am_i()));
    }
    if (!target_column->generated) p.columns.push_back(i);
    p.types.push_back(target_column->data_type);
  }
  if (!table->has_key()) {
    kLog.warn("table without a primary key: updates and deletes match all columns, one row",
              {{"table", table->qualified()}});
    p.warned_keyless = true;
  }
  auto& slot = plans_[table.get()];
  slot = {table, std::move(p)};
  return &slot.second;
}

void MyApplier::drop_passed_windows(const BinlogPosition& start) {
  for (auto it = handoff_.begin(); it != handoff_.end();) {
    if (gtid_at_or_after(start, it->second.until).value_or(false)) {
      kLog.info("handoff window already passed by GTID",
                {{"table", it->first}, {"until", it->second.until.to_string()}});
      it = handoff_.erase(it);
    } else {
      ++it;
    }
  }
}

Status MyApplier::apply(const StreamEvent& event) {
  if (const auto* b = std::get_if<BeginEvent>(&event)) {
    in_source_txn_ = true;
    current_begin_ = b->position;
    current_begin_pos_ = BinlogPosition::parse(b->position);
    txn_changes_ = 0;
    if (!current_begin_pos_) {
      return make_error(ErrorCode::kInternal,
                        "a transaction without a binlog position: '" + b->position + "'");
    }
    // The target holds every transaction that started before its applied position.
    skipping_ = skip_by_position_ && applied_ && *current_begin_pos_ < *applied_;
    return {};
  }
  if (const auto* c = std::get_if<CommitEvent>(&event)) {
    if (c->position_only) return {};
    in_source_txn_ = false;
    if (!skipping_) {
      // Inserts stay pending across source commits: consecutive single-row transactions
      // into one table go out as one multi-row INSERT of the group (one round trip
      // instead of one per transaction). flush() sends them before it records the
      // position, so the group still commits all or nothing.
      pending_position_ = c->position;
      ++transactions_applied_;
    }
    skipping_ = false;
    return {};
  }
  if (skipping_) return {};
  if (const auto* d = std::get_if<DdlEvent>(&event)) return apply_ddl(*d);
  if (std::get_if<AddColumnsEvent>(&event) != nullptr) {
    return make_error(ErrorCode::kInvalidArgument,
                      "columns added by a PostgreSQL source cannot be applied to a MySQL target "
                      "without a type mapping");
  }
  const auto& change = std::get<Change>(event);
  if (Status s = begin_target_transaction(); !s.ok()) return s;
  if (Status s = apply_change(change); !s.ok()) return s;
  failpoint("my_apply.mid_batch");
  ++batch_changes_;
  ++changes_applied_;
  ++txn_changes_;
  return {};
}

Status MyApplier::apply_change(const Change& change) {
  bool idempotent = false;
  if (change.kind != ChangeKind::kTruncate) {
    auto w = handoff_.find(change.table->qualified());
    if (w != handoff_.end() && *current_begin_pos_ < w->second.until) {
      if (w->second.skip) return {};  // the table's copy already includes this change
      idempotent = true;
    }
  }
  if (change.kind != ChangeKind::kInsert ||
      (insert_table_ && (insert_table_ != change.table || insert_idempotent_ != idempotent))) {
    if (Status s = flush_inserts(); !s.ok()) return s;
  }
  // In a handoff window foreign keys are not checked (a child's copy may be newer than
  // its parent's), except for deletes: InnoDB does not log cascaded changes, so a
  // parent's delete must cascade on the target's children (by the foreign key when the
  // parent's copy still has the row, by hand, cascade_delete_by_hand(), when it has
  // not). Key changes in a window are cascaded by hand (cascade_update_by_hand()).
  const bool check_keys = !idempotent || change.kind == ChangeKind::kDelete;
  if (Status s = set_foreign_key_checks(check_keys); !s.ok()) return s;
  switch (change.kind) {
    case ChangeKind::kInsert:
      return apply_insert(change, idempotent);
    case ChangeKind::kUpdate:
      return apply_update(change, idempotent);
    case ChangeKind::kDelete:
      return apply_delete(change, idempotent);
    case ChangeKind::kTruncate:
      return apply_truncate(change);
  }
  return {};
}

Status MyApplier::apply_insert(const Change& change, bool idempotent) {
  auto p = plan(change.table);
  if (!p.ok()) return std::move(p).error();
  const replication::RowImage& row = *change.after;
  std::vector<bool> present(row.columns.size());
  for (std::size_t i = 0; i < row.columns.size(); ++i) {
    present[i] = row.columns[i].state != Datum::State::kUnchanged;
  }
  if (insert_table_ && present != insert_present_) {
    if (Status s = flush_inserts(); !s.ok()) return s;
  }
  if (!insert_table_) {
    insert_table_ = change.table;
    insert_present_ = present;
    insert_idempotent_ = idempotent;
    std::string cols;
    for (std::size_t i : (*p)->columns) {
      if (!present[i]) continue;
      cols += (cols.empty() ? "" : ", ") + quote_identifier(change.table->columns[i].name);
    }
    insert_sql_ = fmt::format("INSERT INTO {} ({}) VALUES ", table_sql(*change.table), cols);
  }
  insert_sql_ += insert_rows_ == 0 ? "(" : ", (";
  bool first = true;
  for (std::size_t i : (*p)->columns) {
    if (!present[i]) continue;
    if (!first) insert_sql_ += ", ";
    first = false;
    if (Status s = literals_.append(insert_sql_, row.columns[i], (*p)->types[i]); !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("column {} of {} at {}", change.table->columns[i].name,
                      change.table->qualified(), where_am_i()));
    }
  }
  insert_sql_ += ")";
  ++insert_rows_;
  if (insert_rows_ >= options_.insert_rows_per_statement ||
      insert_sql_.size() >= options_.max_statement_bytes) {
    return flush_inserts();
  }
  return {};
}

Status MyApplier::flush_inserts() {
  if (!insert_table_ || insert_rows_ == 0) return {};
  const auto table = insert_table_;
  const std::size_t rows = insert_rows_;
  std::string sql = std::move(insert_sql_);
  if (insert_idempotent_) {
    std::string sets;
    auto p = plan(table);
    if (!p.ok()) return std::move(p).error();
    for (std::size_t i : (*p)->columns) {
      if (!insert_present_[i]) continue;
      const std::string q = quote_identifier(table->columns[i].name);
      sets += fmt::format("{}{} = VALUES({})", sets.empty() ? "" : ", ", q, q);
    }
    sql += " ON DUPLICATE KEY UPDATE " + sets;
  }
  insert_table_.reset();
  insert_sql_.clear();
  insert_rows_ = 0;
  if (Status s = conn_->execute(sql); !s.ok()) {
    if (s.message().find("MySQL error 1062") != std::string::npos) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("target has diverged from the source at {}: inserting {} "
                                    "rows into {} hit an existing key ({}); the task stops rather "
                                    "than skip it",
                                    where_am_i(), rows, table->qualified(), s.message()));
    }
    return std::move(s).error().with_context(
        fmt::format("applying {} inserts into {} at {}", rows, table->qualified(), where_am_i()));
  }
  return {};
}

Result<std::string> MyApplier::where_clause(const Change& change, const TablePlan& plan,
                                            const replication::RowImage& image) {
  const TableDesc& t = *change.table;
  std::string where;
  const bool keyed = t.has_key();
  for (std::size_t i : plan.columns) {
    if (keyed && !t.columns[i].key) continue;
    const Datum& d = image.columns[i];
    if (d.state == Datum::State::kUnchanged) {
      if (keyed) {
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("the row image of {} lacks key column {} (at {})",
                                      t.qualified(), t.columns[i].name, where_am_i()));
      }
      continue;
    }
    where += where.empty() ? "" : " AND ";
    where += quote_identifier(t.columns[i].name) + (keyed ? " = " : " <=> ");
    if (Status s = literals_.append(where, d, plan.types[i], true); !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("column {} of {} at {}", t.columns[i].name, t.qualified(), where_am_i()));
    }
  }
  if (where.empty()) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("no column to match a row of {} on (at {})", t.qualified(), where_am_i()));
  }
  return keyed ? where : where + " LIMIT 1";
}

Status MyApplier::upsert(const Change& change, const TablePlan& plan,
                         const replication::RowImage& image) {
  std::string cols, values, sets;
  for (std::size_t i : plan.columns) {
    if (image.columns[i].state == Datum::State::kUnchanged) continue;
    const std::string q = quote_identifier(change.table->columns[i].name);
    cols += (cols.empty() ? "" : ", ") + q;
    values += values.empty() ? "" : ", ";
    if (Status s = literals_.append(values, image.columns[i], plan.types[i]); !s.ok()) return s;
    sets += fmt::format("{}{} = VALUES({})", sets.empty() ? "" : ", ", q, q);
  }
  return execute(
      fmt::format("INSERT INTO {} ({}) VALUES ({}) ON DUPLICATE KEY UPDATE {}",
                  table_sql(*change.table), cols, values, sets),
      fmt::format("applying an update to {} at {}", change.table->qualified(), where_am_i()));
}

Status MyApplier::apply_update(const Change& change, bool idempotent) {
  auto p = plan(change.table);
  if (!p.ok()) return std::move(p).error();
  const TableDesc& t = *change.table;
  const replication::RowImage& before = change.before ? *change.before : *change.after;
  auto where = where_clause(change, **p, before);
  if (!where.ok()) return std::move(where).error();
  if (idempotent && t.has_key() && change.before) {
    // Handoff window: the row may sit under its old key, its new key, both (the chunks
    // holding them were read at different moments) or neither. A key update is therefore
    // replayed as "delete the old key, upsert the after image", which ends in the after
    // image whatever the target held; an UPDATE could hit the new key's copy. The
    // children that referenced the old key then follow by hand, as the source's cascade
    // moved them.
    auto new_key = where_clause(change, **p, *change.after);
    if (!new_key.ok()) return std::move(new_key).error();
    if (*new_key != *where) {
      if (Status s = execute(fmt::format("DELETE FROM {} WHERE {}", table_sql(t), *where),
                             fmt::format("applying a key update to {} at {}", t.qualified(),
                                         where_am_i()));
          !s.ok()) {
        return s;
      }
      if (Status s = upsert(change, **p, *change.after); !s.ok()) return s;
      // The children the source's ON UPDATE CASCADE moved are not in the binlog either.
      return cascade_update_by_hand(change, **p);
    }
  }
  std::string sets;
  for (std::size_t i : (*p)->columns) {
    const Datum& d = change.after->columns[i];
    if (d.state == Datum::State::kUnchanged) continue;
    sets += (sets.empty() ? "" : ", ") + quote_identifier(t.columns[i].name) + " = ";
    if (Status s = literals_.append(sets, d, (*p)->types[i]); !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("column {} of {} at {}", t.columns[i].name, t.qualified(), where_am_i()));
    }
  }
  if (sets.empty()) return {};  // only generated columns changed
  const std::string what =
      fmt::format("applying an update to {} at {}", t.qualified(), where_am_i());
  if (Status s =
          execute(fmt::format("UPDATE {} SET {} WHERE {}", table_sql(t), sets, *where), what);
      !s.ok()) {
    return s;
  }
  const auto matched = rows_matched(*conn_);
  if (matched.value_or(conn_->affected_rows()) >= 1) {
    return idempotent ? cascade_update_by_hand(change, **p) : Status{};
  }
  if (!idempotent) return diverged(change, "update matched no row");
  // Handoff window: the row's copy predates it or misses it; the after image is the truth.
  if (Status s = upsert(change, **p, *change.after); !s.ok()) return s;
  return cascade_update_by_hand(change, **p);
}

Status MyApplier::apply_delete(const Change& change, bool idempotent) {
  auto p = plan(change.table);
  if (!p.ok()) return std::move(p).error();
  auto where = where_clause(change, **p, *change.before);
  if (!where.ok()) return std::move(where).error();
  const std::string sql = fmt::format("DELETE FROM {} WHERE {}", table_sql(*change.table), *where);
  const std::string what =
      fmt::format("applying a delete to {} at {}", change.table->qualified(), where_am_i());
  Status s = conn_->execute(sql);
  if (!s.ok() && idempotent && s.message().find("MySQL error 1451") != std::string::npos) {
    // A RESTRICT child on the target refers to the row: a copy read later than this
    // change holds a child the source added afterwards, and the stream reconciles it.
    if (Status off = set_foreign_key_checks(false); !off.ok()) return off;
    s = conn_->execute(sql);
  }
  if (!s.ok()) return std::move(s).error().with_context(what);
  if (conn_->affected_rows() >= 1) return {};
  if (idempotent) return cascade_delete_by_hand(change, **p);
  return diverged(change, "delete matched no row");
}

Status MyApplier::apply_truncate(const Change& change) {
  for (const auto& t : change.truncated) {
    if (Status s = execute("TRUNCATE TABLE " + table_sql(*t), "applying a truncate"); !s.ok()) {
      return s;
    }
  }
  return {};
}

bool MyApplier::batch_due() const {
  if (!target_txn_open_ || in_source_txn_) return false;
  return batch_changes_ >= options_.max_batch_changes ||
         std::chrono::steady_clock::now() - batch_started_ >= options_.max_batch_delay;
}

Result<std::optional<std::string>> MyApplier::flush() {
  if (in_source_txn_ || !pending_position_) return std::optional<std::string>();
  // Only transactions of other tables since the last commit: the position may wait a
  // little, so a source busy with other databases does not cost a target commit each.
  const auto now = std::chrono::steady_clock::now();
  if (!target_txn_open_ && now - last_flush_ < options_.max_batch_delay) {
    return std::optional<std::string>();
  }
  last_flush_ = now;
  if (Status s = flush_inserts(); !s.ok()) return std::move(s).error();
  if (Status s = begin_target_transaction(); !s.ok()) return std::move(s).error();
  if (Status s = record_position(*pending_position_); !s.ok()) return std::move(s).error();
  if (Status s = commit_target_transaction(); !s.ok()) return std::move(s).error();
  failpoint("my_apply.after_target_commit");
  applied_ = BinlogPosition::parse(*pending_position_);
  ddl_pending_.reset();
  std::optional<std::string> done = std::move(pending_position_);
  pending_position_.reset();
  return done;
}

std::optional<std::string> MyApplier::take_durable() {
  std::optional<std::string> d = std::move(durable_);
  durable_.reset();
  return d;
}

}  // namespace tideway::replication::mysql
