#include "replication/postgres/pg_applier.h"

#include <fmt/format.h>

#include "common/failpoint.h"
#include "common/log.h"
#include "replication/postgres/pg_replica_role.h"

namespace tideway::replication::postgres {
namespace {

const log::Logger kLog{"pg.apply"};

std::optional<std::string> param_of(const Datum& d) {
  if (d.state != Datum::State::kValue) return std::nullopt;
  if (const auto* t = d.value.get_if<TextValue>()) return t->bytes;
  // Other kinds come from other engines; the type-mapping layer renders them as
  // PostgreSQL text before they reach this applier.
  return d.value.to_string();
}

std::string table_sql(const PgConnection& c, const TableDesc& t) {
  return qualified_name(c, t.schema, t.name);
}

}  // namespace

Result<std::unique_ptr<PgApplier>> PgApplier::open(const Endpoint& target, std::string task_id,
                                                   std::map<std::string, HandoffWindow> handoff,
                                                   ApplierOptions options) {
  auto conn = PgConnection::connect(target, {false, "tideway-apply", 10});
  if (!conn.ok()) return std::move(conn).error();
  if (options.replica_role) {
    if (Status s = enter_replica_role(**conn); !s.ok()) return std::move(s).error();
  }
  auto setup = (*conn)->exec(R"(
    CREATE SCHEMA IF NOT EXISTS _tideway;
    CREATE TABLE IF NOT EXISTS _tideway.apply_position (
      task_id text PRIMARY KEY, end_lsn pg_lsn NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()))");
  if (!setup.ok()) {
    return std::move(setup).error().with_context("creating _tideway.apply_position on the target");
  }
  std::unique_ptr<PgApplier> applier(
      new PgApplier(std::move(conn).value(), std::move(task_id), std::move(handoff), options));
  auto pos = applier->conn_->exec_params(
      "SELECT end_lsn::text FROM _tideway.apply_position WHERE task_id = $1", {applier->task_id_});
  if (!pos.ok()) return std::move(pos).error();
  if (pos->rows() > 0) applier->applied_ = Lsn::parse(pos->get(0, 0)).value_or(Lsn{});
  return applier;
}

PgApplier::~PgApplier() {
  if (copy_open_) conn_->abort_copy_in("the applier stopped");
  if (target_txn_open_) (void)conn_->exec("ROLLBACK").ok();
}

Error PgApplier::diverged(const Change& change, const std::string& what) const {
  std::string key;
  const RowImage* image = change.before ? &*change.before : change.after ? &*change.after : nullptr;
  if (image != nullptr) {
    for (std::size_t i = 0; i < change.table->columns.size(); ++i) {
      if (!change.table->columns[i].key) continue;
      key += fmt::format("{}{}={}", key.empty() ? "" : ", ", change.table->columns[i].name,
                         param_of(image->columns[i]).value_or("NULL"));
    }
  }
  return make_error(ErrorCode::kConflict,
                    fmt::format("target has diverged from the source at transaction with commit "
                                "LSN {}: {} on {}{}; the task stops rather than skip it",
                                current_final_lsn_.to_string(), what, change.table->qualified(),
                                key.empty() ? "" : " (" + key + ")"));
}

Status PgApplier::begin_target_transaction() {
  if (target_txn_open_) return {};
  if (auto r = conn_->exec("BEGIN"); !r.ok()) return std::move(r).error();
  target_txn_open_ = true;
  batch_changes_ = 0;
  batch_started_ = std::chrono::steady_clock::now();
  return {};
}

Status PgApplier::apply(const StreamEvent& event) {
  if (const auto* b = std::get_if<BeginEvent>(&event)) {
    in_source_txn_ = true;
    current_final_lsn_ = b->final_lsn;
    // The target already holds every transaction that committed before its position.
    skipping_ = b->final_lsn < applied_;
    if (!skipping_) return begin_target_transaction();
    return {};
  }
  if (const auto* c = std::get_if<CommitEvent>(&event)) {
    if (c->position_only) return {};  // handled by advance_idle once nothing is pending
    in_source_txn_ = false;
    if (!skipping_) {
      // Inserts stay buffered across source commits in the same target transaction:
      // many single-row transactions become one multi-row INSERT (flushed by flush()).
      pending_position_ = c->end_position;
      ++transactions_applied_;
    }
    skipping_ = false;
    return {};
  }
  if (const auto* a = std::get_if<AddColumnsEvent>(&event)) {
    if (skipping_) return {};
    if (Status s = begin_target_transaction(); !s.ok()) return s;
    return apply_add_columns(*a);
  }
  if (skipping_) return {};
  const auto& change = std::get<Change>(event);
  if (Status s = apply_change(change); !s.ok()) return s;
  failpoint("apply.mid_batch");
  ++batch_changes_;
  ++changes_applied_;
  return {};
}

Status PgApplier::apply_change(const Change& change) {
  bool idempotent = false;
  if (!handoff_.empty() && change.kind != ChangeKind::kTruncate) {
    auto w = handoff_.find(change.table->qualified());
    if (w != handoff_.end() && current_final_lsn_ <= w->second.until) {
      if (w->second.skip) return {};  // the table's copy already includes this change
      idempotent = true;
    }
  }
  if (change.kind != ChangeKind::kInsert ||
      (insert_table_ && (insert_table_->source_id != change.table->source_id ||
                         insert_table_->columns.size() != change.table->columns.size() ||
                         insert_idempotent_ != idempotent))) {
    if (Status s = flush_inserts(); !s.ok()) return s;
  }
  switch (change.kind) {
    case ChangeKind::kInsert: return apply_insert(change, idempotent);
    case ChangeKind::kUpdate: return apply_update(change, idempotent);
    case ChangeKind::kDelete: return apply_delete(change, idempotent);
    case ChangeKind::kTruncate: return apply_truncate(change);
  }
  return {};
}

Status PgApplier::apply_insert(const Change& change, bool idempotent) {
  if (!idempotent) return copy_insert(change);
  insert_table_ = change.table;
  insert_idempotent_ = idempotent;
  for (const auto& d : change.after->columns) {
    insert_params_.push_back(param_of(d));
    if (insert_params_.back()) insert_bytes_ += insert_params_.back()->size();
  }
  ++insert_rows_;
  const std::size_t width = std::max<std::size_t>(1, change.table->columns.size());
  // libpq caps a statement at 65535 parameters.
  if (insert_rows_ >= options_.insert_rows_per_statement || (insert_rows_ + 1) * width > 65535) {
    return flush_inserts();
  }
  return {};
}

namespace {

// COPY text format: tab-separated, \N for NULL, backslash escapes for the characters the
// format itself uses. Values rarely contain any of them, so runs without one are appended
// whole rather than byte by byte.
void append_copy_field(std::string& out, std::string_view v) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c != '\\' && c != '\n' && c != '\r' && c != '\t') continue;
    out.append(v.data() + start, i - start);
    out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\');
    start = i + 1;
  }
  out.append(v.data() + start, v.size() - start);
}

void append_copy_datum(std::string& out, const Datum& d) {
  if (d.state != Datum::State::kValue) {
    out.append("\\N");  // an unchanged TOAST value cannot occur in an insert
    return;
  }
  if (const auto* t = d.value.get_if<TextValue>()) {
    append_copy_field(out, t->bytes);
  } else {
    append_copy_field(out, *param_of(d));
  }
}

// COPY data goes to the server in pieces of this size while rows are still being added,
// so the target parses and inserts them while the applier formats the next ones.
constexpr std::size_t kCopySendBytes = 256 << 10;

}  // namespace

Status PgApplier::copy_insert(const Change& change) {
  const TableDesc& t = *change.table;
  if (!copy_open_) {
    std::string cols;
    for (const auto& c : t.columns) cols += (cols.empty() ? "" : ", ") + conn_->quote_ident(c.name);
    if (Status s = conn_->start_copy_in(
            fmt::format("COPY {} ({}) FROM STDIN", table_sql(*conn_, t), cols));
        !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("applying inserts into {} at commit LSN {}", t.qualified(),
                      current_final_lsn_.to_string()));
    }
    copy_open_ = true;
    insert_table_ = change.table;
    insert_idempotent_ = false;
    insert_rows_ = 0;
    copy_buffer_.clear();
  }
  const auto& columns = change.after->columns;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) copy_buffer_.push_back('\t');
    append_copy_datum(copy_buffer_, columns[i]);
  }
  copy_buffer_.push_back('\n');
  ++insert_rows_;
  if (copy_buffer_.size() >= kCopySendBytes) {
    Status sent = conn_->put_copy_data(copy_buffer_);
    copy_buffer_.clear();
    if (!sent.ok()) return sent;
  }
  if (insert_rows_ >= options_.copy_rows) return flush_inserts();
  return {};
}

Status PgApplier::end_copy() {
  copy_open_ = false;
  const std::size_t rows = insert_rows_;
  auto table = insert_table_;
  insert_table_.reset();
  insert_rows_ = 0;
  Status sent;
  if (!copy_buffer_.empty()) sent = conn_->put_copy_data(copy_buffer_);
  copy_buffer_.clear();
  Result<std::int64_t> loaded =
      sent.ok() ? conn_->end_copy_in() : Result<std::int64_t>(sent.error());
  if (loaded.ok() && static_cast<std::size_t>(*loaded) == rows) return {};
  if (loaded.ok()) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("COPY into {} loaded {} rows, {} were sent", table->qualified(),
                                  *loaded, rows));
  }
  if (loaded.error().message.find("SQLSTATE 23505") != std::string::npos) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("target has diverged from the source at transaction with "
                                  "commit LSN {}: inserting {} rows into {} hit an existing key "
                                  "({})", current_final_lsn_.to_string(), rows,
                                  table->qualified(), loaded.error().message));
  }
  return std::move(loaded).error().with_context(
      fmt::format("applying inserts into {} at commit LSN {}", table->qualified(),
                  current_final_lsn_.to_string()));
}

Status PgApplier::flush_inserts() {
  if (copy_open_) return end_copy();
  if (!insert_table_ || insert_rows_ == 0) return {};
  const TableDesc& t = *insert_table_;
  std::string cols;
  for (const auto& c : t.columns) cols += (cols.empty() ? "" : ", ") + conn_->quote_ident(c.name);
  std::string sql = fmt::format("INSERT INTO {} ({}) VALUES ", table_sql(*conn_, t), cols);
  std::size_t p = 1;
  for (std::size_t r = 0; r < insert_rows_; ++r) {
    sql += r == 0 ? "(" : ", (";
    for (std::size_t c = 0; c < t.columns.size(); ++c) sql += fmt::format("{}${}", c ? ", " : "", p++);
    sql += ")";
  }
  if (insert_idempotent_) {
    std::string keys, sets;
    for (const auto& c : t.columns) {
      const std::string q = conn_->quote_ident(c.name);
      if (c.key) keys += (keys.empty() ? "" : ", ") + q;
      else sets += fmt::format("{}{} = EXCLUDED.{}", sets.empty() ? "" : ", ", q, q);
    }
    sql += fmt::format(" ON CONFLICT ({}) DO {}", keys,
                       sets.empty() ? "NOTHING" : "UPDATE SET " + sets);
  }
  auto r = conn_->exec_params(sql, insert_params_);
  const std::size_t rows = insert_rows_;
  auto table = insert_table_;
  insert_table_.reset();
  insert_params_.clear();
  insert_rows_ = 0;
  insert_bytes_ = 0;
  if (!r.ok()) {
    if (r.error().message.find("SQLSTATE 23505") != std::string::npos) {
      return make_error(ErrorCode::kConflict,
                        fmt::format("target has diverged from the source at transaction with "
                                    "commit LSN {}: inserting {} rows into {} hit an existing key "
                                    "({})", current_final_lsn_.to_string(), rows,
                                    table->qualified(), r.error().message));
    }
    return std::move(r).error().with_context(
        fmt::format("applying inserts into {} at commit LSN {}", table->qualified(),
                    current_final_lsn_.to_string()));
  }
  return {};
}

Result<std::string> PgApplier::where_clause(const Change& change,
                                            std::vector<std::optional<std::string>>& params) const {
  const TableDesc& t = *change.table;
  // The old row if the stream sent one (key changed, or identity FULL), else the key
  // columns of the new row.
  const RowImage& image = change.before ? *change.before : *change.after;
  std::string where;
  if (t.identity == IdentityKind::kFull) {
    std::string match;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      const Datum& d = image.columns[i];
      if (d.state == Datum::State::kUnchanged) continue;
      const std::string q = conn_->quote_ident(t.columns[i].name);
      if (d.state == Datum::State::kNull) {
        match += fmt::format("{}{} IS NULL", match.empty() ? "" : " AND ", q);
      } else {
        // Compared as text: some types (json, point) have no equality operator, and the
        // text output is exactly what the source sent.
        params.push_back(param_of(d));
        match += fmt::format("{}{}::text = ${}", match.empty() ? "" : " AND ", q, params.size());
      }
    }
    return fmt::format("ctid = (SELECT ctid FROM {} WHERE {} LIMIT 1)", table_sql(*conn_, t), match);
  }
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (!t.columns[i].key) continue;
    params.push_back(param_of(image.columns[i]));
    where += fmt::format("{}{} = ${}", where.empty() ? "" : " AND ",
                         conn_->quote_ident(t.columns[i].name), params.size());
  }
  if (where.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("table {} has no replica identity key; set REPLICA IDENTITY "
                                  "FULL or add a primary key on the source", t.qualified()));
  }
  return where;
}

Status PgApplier::apply_update(const Change& change, bool idempotent) {
  const TableDesc& t = *change.table;
  std::vector<std::optional<std::string>> params;
  std::string sets;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const Datum& d = change.after->columns[i];
    if (d.state == Datum::State::kUnchanged) continue;  // TOAST value kept as it is
    params.push_back(param_of(d));
    sets += fmt::format("{}{} = ${}", sets.empty() ? "" : ", ", conn_->quote_ident(t.columns[i].name),
                        params.size());
  }
  auto where = where_clause(change, params);
  if (!where.ok()) return std::move(where).error();
  auto r = conn_->exec_params(
      fmt::format("UPDATE {} SET {} WHERE {}", table_sql(*conn_, t), sets, *where), params);
  if (!r.ok()) {
    return std::move(r).error().with_context(fmt::format(
        "applying an update to {} at commit LSN {}", t.qualified(), current_final_lsn_.to_string()));
  }
  if (r->affected() == 1 || idempotent) return {};
  return diverged(change, "update matched no row");
}

Status PgApplier::apply_delete(const Change& change, bool idempotent) {
  std::vector<std::optional<std::string>> params;
  auto where = where_clause(change, params);
  if (!where.ok()) return std::move(where).error();
  auto r = conn_->exec_params(
      fmt::format("DELETE FROM {} WHERE {}", table_sql(*conn_, *change.table), *where), params);
  if (!r.ok()) {
    return std::move(r).error().with_context(fmt::format(
        "applying a delete to {} at commit LSN {}", change.table->qualified(),
        current_final_lsn_.to_string()));
  }
  if (r->affected() == 1 || idempotent) return {};
  return diverged(change, "delete matched no row");
}

Status PgApplier::apply_truncate(const Change& change) {
  std::string tables;
  for (const auto& t : change.truncated) {
    tables += (tables.empty() ? "" : ", ") + table_sql(*conn_, *t);
  }
  auto r = conn_->exec(fmt::format("TRUNCATE ONLY {}{}{}", tables,
                                   change.truncate_restart_identity ? " RESTART IDENTITY" : "",
                                   change.truncate_cascade ? " CASCADE" : ""));
  if (!r.ok()) return std::move(r).error().with_context("applying a truncate");
  return {};
}

Status PgApplier::apply_add_columns(const AddColumnsEvent& event) {
  if (Status s = flush_inserts(); !s.ok()) return s;
  for (const auto& c : event.added) {
    auto r = conn_->exec(fmt::format("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}",
                                     table_sql(*conn_, *event.table), conn_->quote_ident(c.name),
                                     c.type_name));
    if (!r.ok()) {
      return std::move(r).error().with_context(
          fmt::format("adding column {} ({}) to {} at commit LSN {}", c.name, c.type_name,
                      event.table->qualified(), current_final_lsn_.to_string()));
    }
    kLog.info("column added on the target", {{"table", event.table->qualified()},
                                             {"column", c.name}, {"type", c.type_name}});
  }
  return {};
}

Status PgApplier::record_position(Lsn position) {
  auto r = conn_->exec_params(
      "INSERT INTO _tideway.apply_position (task_id, end_lsn) VALUES ($1, $2::pg_lsn) "
      "ON CONFLICT (task_id) DO UPDATE SET end_lsn = EXCLUDED.end_lsn, applied_at = now()",
      {task_id_, position.to_string()});
  if (!r.ok()) return std::move(r).error().with_context("recording the applied position");
  return {};
}

bool PgApplier::batch_due() const {
  if (!target_txn_open_ || in_source_txn_) return false;
  return batch_changes_ >= options_.max_batch_changes ||
         std::chrono::steady_clock::now() - batch_started_ >= options_.max_batch_delay;
}

Result<std::optional<Lsn>> PgApplier::flush() {
  if (in_source_txn_ || !target_txn_open_) return std::optional<Lsn>();
  if (!pending_position_) return std::optional<Lsn>();
  if (Status s = flush_inserts(); !s.ok()) return std::move(s).error();
  if (Status s = record_position(*pending_position_); !s.ok()) return std::move(s).error();
  if (auto r = conn_->exec("COMMIT"); !r.ok()) {
    target_txn_open_ = false;
    return std::move(r).error().with_context("committing applied changes");
  }
  target_txn_open_ = false;
  failpoint("apply.after_target_commit");
  applied_ = *pending_position_;
  pending_position_.reset();
  return std::optional<Lsn>(applied_);
}

Result<std::optional<Lsn>> PgApplier::advance_idle(Lsn position) {
  if (in_source_txn_ || target_txn_open_ || position <= applied_) return std::optional<Lsn>();
  if (Status s = record_position(position); !s.ok()) return std::move(s).error();
  applied_ = position;
  return std::optional<Lsn>(applied_);
}

}  // namespace tideway::replication::postgres
