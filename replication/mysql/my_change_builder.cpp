#include "replication/mysql/my_change_builder.h"

#include <fmt/format.h>

#include <charconv>
#include <set>

#include "common/log.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {
namespace {

const log::Logger kLog{"my.changes"};

const std::set<std::string> kSystemDatabases = {"mysql", "information_schema", "performance_schema",
                                                "sys", "_tideway"};

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

replication::RowImage core_image(const mysql::RowImage& image) {
  replication::RowImage out;
  out.columns.reserve(image.columns.size());
  for (const auto& c : image.columns) {
    // A column the image does not hold (binlog_row_image=MINIMAL/NOBLOB) keeps the
    // target's value, as an unchanged TOAST value does on PostgreSQL.
    if (!c) {
      out.columns.push_back(Datum::unchanged());
    } else if (c->is_null()) {
      out.columns.push_back(Datum::null());
    } else {
      out.columns.push_back(Datum::of(*c));
    }
  }
  return out;
}

bool same_desc(const TableDesc& a, const TableDesc& b) {
  if (a.schema != b.schema || a.name != b.name || a.identity != b.identity ||
      a.columns.size() != b.columns.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.columns.size(); ++i) {
    const auto& x = a.columns[i];
    const auto& y = b.columns[i];
    if (x.name != y.name || x.type_name != y.type_name || x.key != y.key) return false;
  }
  return true;
}

bool ends_with_start_transaction(std::string_view sql) {
  while (!sql.empty() && (sql.back() == ' ' || sql.back() == '\n' || sql.back() == ';')) {
    sql.remove_suffix(1);
  }
  constexpr std::string_view kTail = "START TRANSACTION";
  return sql.size() >= kTail.size() && sql.substr(sql.size() - kTail.size()) == kTail;
}

}  // namespace

bool is_replicated(const TableFilter& filter, const std::string& schema, const std::string& table) {
  return kSystemDatabases.count(schema) == 0 && filter.matches(schema, table);
}

bool may_replicate_database(const TableFilter& filter, const std::string& schema) {
  if (schema.empty() || kSystemDatabases.count(schema) > 0) return false;
  for (const auto& pattern : filter.include) {
    const auto dot = pattern.find('.');
    const std::string db = dot == std::string::npos ? pattern : pattern.substr(0, dot);
    if (!glob_match(db, schema)) continue;
    // "db.*" excluded as a whole takes the database out.
    bool excluded = false;
    for (const auto& ex : filter.exclude) excluded = excluded || ex == schema + ".*";
    if (!excluded) return true;
  }
  return false;
}

std::map<std::uint32_t, MariaGtid> parse_gtid_list(const std::string& text) {
  std::map<std::uint32_t, MariaGtid> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view one(text.data() + start, end - start);
    const auto a = one.find('-');
    const auto b = one.rfind('-');
    if (a != std::string_view::npos && b != a) {
      auto d = number(one.substr(0, a));
      auto s = number(one.substr(a + 1, b - a - 1));
      auto n = number(one.substr(b + 1));
      if (d && s && n && *d <= 0xffffffffULL && *s <= 0xffffffffULL) {
        out[static_cast<std::uint32_t>(*d)] =
            MariaGtid{static_cast<std::uint32_t>(*d), static_cast<std::uint32_t>(*s), *n};
      }
    }
    start = end + 1;
  }
  return out;
}

std::string gtid_list_text(const std::map<std::uint32_t, MariaGtid>& gtids) {
  std::string out;
  for (const auto& [domain, gtid] : gtids) {
    (void)domain;
    out += (out.empty() ? "" : ",") + gtid.text();
  }
  return out;
}

MyChangeBuilder::MyChangeBuilder(TableFilter filter, const BinlogPosition& start,
                                 StreamSchemaCache& source_schema)
    : filter_(std::move(filter)),
      source_schema_(source_schema),
      file_(start.file),
      next_offset_(start.offset),
      gtids_(start.mysql_gtid_set ? std::map<std::uint32_t, MariaGtid>()
                                  : parse_gtid_list(start.gtid)) {
  if (start.mysql_gtid_set) {
    // BinlogPosition::parse accepted the text, so it is a valid set.
    auto set = GtidSet::parse(start.gtid);
    mysql_set_ = set.ok() ? std::move(set).value() : GtidSet();
  }
}

BinlogPosition MyChangeBuilder::position_at(std::uint64_t offset) const {
  BinlogPosition p{file_, offset, {}};
  if (mysql_set_) {
    p.gtid = mysql_set_->text();  // cached until the next commit changes the set
    p.mysql_gtid_set = true;
  } else {
    p.gtid = gtid_list_text(gtids_);
  }
  return p;
}

BinlogPosition MyChangeBuilder::position() const { return position_at(next_offset_); }

std::string MyChangeBuilder::at(const BinlogEvent& event) const {
  std::string where = fmt::format("{}:{} ({})", file_, event.offset, event.type_name());
  if (pending_gtid_) where += ", GTID " + pending_gtid_->text();
  if (!mysql_gtid_.empty()) where += ", GTID " + mysql_gtid_;
  return where;
}

Error MyChangeBuilder::fail(const BinlogEvent& event, const std::string& what) const {
  return make_error(ErrorCode::kConflict, fmt::format("binlog {}: {}", at(event), what));
}

Status MyChangeBuilder::feed(const BinlogEvent& event, std::vector<StreamEvent>& out) {
  if (event.get_if<HeartbeatEvent>() == nullptr && !event.header.artificial()) {
    last_event_time_ = event.header.timestamp;
  }
  if (Status s = feed_one(event, event.next_offset(), out); !s.ok()) return s;
  // A ROTATE sets the position itself; artificial events (the dump's fake ROTATE and
  // FORMAT_DESCRIPTION) and heartbeats are not part of the file at this offset.
  if (event.get_if<RotateEvent>() == nullptr && event.get_if<HeartbeatEvent>() == nullptr &&
      event.header.log_pos != 0 && !event.header.artificial()) {
    next_offset_ = event.next_offset();
  }
  return {};
}

void MyChangeBuilder::begin(const BinlogEvent& event, std::vector<StreamEvent>& out) {
  in_transaction_ = true;
  BeginEvent b;
  b.commit_time_us = static_cast<std::int64_t>(event.header.timestamp) * 1000000;
  b.position = position_at(event.offset).to_string();
  out.emplace_back(std::move(b));
}

void MyChangeBuilder::commit(const BinlogEvent& event, std::uint64_t next_offset,
                             std::vector<StreamEvent>& out) {
  if (pending_gtid_) gtids_[pending_gtid_->domain_id] = *pending_gtid_;
  if (pending_mysql_gtid_ && mysql_set_) {
    // The number was checked at the GTID event.
    (void)mysql_set_->add(pending_mysql_gtid_->first, pending_mysql_gtid_->second).ok();
  }
  CommitEvent c;
  c.commit_time_us = commit_time_us_ != 0
                         ? commit_time_us_
                         : static_cast<std::int64_t>(event.header.timestamp) * 1000000;
  c.position = position_at(next_offset).to_string();
  out.emplace_back(std::move(c));
  in_transaction_ = false;
  standalone_ = false;
  explicit_begin_ = false;
  pending_gtid_.reset();
  pending_mysql_gtid_.reset();
  mysql_gtid_.clear();
  commit_time_us_ = 0;
  // Every transaction maps its tables again, so the ids need not outlive it; this keeps
  // the map as small as one transaction's tables.
  tables_.clear();
}

Status MyChangeBuilder::feed_one(const BinlogEvent& event, std::uint64_t next_offset,
                                 std::vector<StreamEvent>& out) {
  if (const auto* r = event.get_if<RotateEvent>()) {
    file_ = r->next_file;
    next_offset_ = r->position;
    return {};
  }
  if (const auto* g = event.get_if<MariaGtidEvent>()) {
    if (in_transaction_)
      return fail(event, "a GTID event inside a transaction (no COMMIT before it)");
    if (g->xid) {
      return fail(event,
                  "XA transactions are not supported by the change stream; the source "
                  "ran an XA transaction on GTID " +
                      g->gtid.text());
    }
    // binlog_alter_two_phase: START ALTER is logged before the ALTER is done, and may
    // be followed by ROLLBACK ALTER; replaying it at its start could apply an ALTER the
    // source undid.
    constexpr std::uint8_t kTwoPhaseAlter = 0x02 | 0x04 | 0x08;
    if ((g->flags_extra & kTwoPhaseAlter) != 0) {
      return fail(event,
                  "a two-phase ALTER (binlog_alter_two_phase=ON on the source) is not "
                  "supported by the change stream; GTID " +
                      g->gtid.text());
    }
    pending_gtid_ = g->gtid;
    standalone_ = g->standalone();
    begin(event, out);
    return {};
  }
  if (const auto* g = event.get_if<GtidEvent>()) {
    if (in_transaction_)
      return fail(event, "a GTID event inside a transaction (no COMMIT before it)");
    if (mysql_set_ && !g->anonymous) {
      if (!g->tag.empty()) {
        return fail(event, "a tagged GTID (" + g->gtid_text() +
                               ") cannot be kept in the position's GTID set; tagged GTIDs "
                               "(MySQL 8.4+) are not supported by the change stream");
      }
      if (g->gno < 1 || static_cast<std::uint64_t>(g->gno) > GtidSet::kMaxGno) {
        return fail(event, "GTID " + g->gtid_text() + " has a transaction number out of range");
      }
      pending_mysql_gtid_.emplace(g->sid, static_cast<std::uint64_t>(g->gno));
    }
    begin(event, out);
    mysql_gtid_ = g->anonymous ? std::string() : g->gtid_text();
    if (g->immediate_commit_timestamp) {
      commit_time_us_ = static_cast<std::int64_t>(*g->immediate_commit_timestamp);
    }
    return {};
  }
  if (const auto* q = event.get_if<QueryEvent>()) return on_query(event, *q, next_offset, out);
  if (event.get_if<XidEvent>() != nullptr) {
    if (!in_transaction_) return fail(event, "a COMMIT (XID) outside a transaction");
    commit(event, next_offset, out);
    return {};
  }
  if (const auto* m = event.get_if<TableMapEvent>()) return on_table_map(event, *m);
  if (const auto* r = event.get_if<RowsEvent>()) return on_rows(event, *r, out);
  if (const auto* p = event.get_if<TransactionPayloadEvent>()) {
    // MySQL's compressed transaction: its events, then the position after the payload.
    for (const auto& inner : p->events) {
      BinlogEvent placed = inner;
      placed.offset = event.offset;
      if (Status s = feed_one(placed, next_offset, out); !s.ok()) return s;
    }
    return {};
  }
  if (const auto* i = event.get_if<IncidentEvent>()) {
    return fail(event, fmt::format("INCIDENT {} on the source ({}): events may be missing from "
                                   "the binlog, so the target can no longer be kept identical; "
                                   "a new full load is needed",
                                   i->incident, i->message.empty() ? "no message" : i->message));
  }
  if (event.get_if<XaPrepareEvent>() != nullptr) {
    return fail(event, "XA transactions are not supported by the change stream");
  }
  if (event.get_if<UnknownEvent>() != nullptr) {
    if (event.header.ignorable()) return {};
    return fail(event, fmt::format("event type {} is not one the stream can apply and the source "
                                   "did not mark it ignorable; stopping rather than lose what it "
                                   "holds",
                                   event.header.type_code));
  }
  // FORMAT_DESCRIPTION (the decoder keeps it), STOP, HEARTBEAT, PREVIOUS_GTIDS,
  // GTID_LIST, BINLOG_CHECKPOINT, ROWS_QUERY/ANNOTATE_ROWS, INTVAR/RAND/USER_VAR (context
  // of statement-based DML, which fails on its own), LOAD blocks, START_ENCRYPTION.
  return {};
}

Status MyChangeBuilder::on_query(const BinlogEvent& event, const QueryEvent& q,
                                 std::uint64_t next_offset, std::vector<StreamEvent>& out) {
  const StatementInfo info = classify_statement(q.query, q.schema);
  switch (info.kind) {
    case StatementKind::kBegin:
      if (!in_transaction_) begin(event, out);
      explicit_begin_ = true;
      return {};
    case StatementKind::kCommit:
    case StatementKind::kRollback:
      // A ROLLBACK is logged only when non-transactional changes stay behind; they were
      // made on the source, so they are applied like a commit.
      if (!in_transaction_)
        return fail(event, "'" + statement_head(q.query) + "' outside a transaction");
      commit(event, next_offset, out);
      return {};
    case StatementKind::kSavepoint:
      return {};
    case StatementKind::kXa:
      return fail(event, "XA transactions are not supported by the change stream: '" +
                             statement_head(q.query) + "'");
    default:
      break;
  }
  // Any other statement: alone in its event group unless a BEGIN opened one (MySQL's
  // CREATE ... SELECT also says "START TRANSACTION" at its end: rows and a COMMIT follow).
  if (!in_transaction_) begin(event, out);
  const bool alone = (standalone_ || (!pending_gtid_ && !explicit_begin_)) &&
                     !ends_with_start_transaction(q.query);
  switch (info.kind) {
    case StatementKind::kTableDdl:
    case StatementKind::kDatabaseDdl:
    case StatementKind::kSchemaObject:
      if (Status s = on_ddl(event, q, info, out); !s.ok()) return s;
      break;
    case StatementKind::kDml: {
      bool replicated = info.tables.empty() && may_replicate_database(filter_, q.schema);
      for (const auto& t : info.tables)
        replicated = replicated || is_replicated(filter_, t.schema, t.table);
      if (replicated) {
        return fail(event, fmt::format("binlog_format=ROW is required: the source logged {} as a "
                                       "statement ('{}'), which the stream cannot replay exactly; "
                                       "set binlog_format=ROW on the source (and for every "
                                       "session) and start a new full load",
                                       info.verb, statement_head(q.query)));
      }
      break;
    }
    case StatementKind::kIgnorable:
      break;
    default:
      if (q.schema.empty() || may_replicate_database(filter_, q.schema)) {
        return fail(event, "a statement the stream does not know how to replay on the target: '" +
                               statement_head(q.query) + "'");
      }
      break;
  }
  if (alone) commit(event, next_offset, out);
  return {};
}

Status MyChangeBuilder::on_ddl(const BinlogEvent& event, const QueryEvent& q,
                               const StatementInfo& info, std::vector<StreamEvent>& out) {
  const std::string head = statement_head(q.query);
  if (info.kind == StatementKind::kSchemaObject) {
    const std::string schema = info.tables.empty() ? q.schema : info.tables.front().schema;
    if (!may_replicate_database(filter_, schema)) return {};
    return fail(event, fmt::format("{} in replicated database {} during the stream: views, "
                                   "triggers, routines, events and sequences are copied by the "
                                   "full load, not replayed from the binlog ('{}')",
                                   info.verb, schema, head));
  }
  if (info.kind == StatementKind::kDatabaseDdl) {
    if (!may_replicate_database(filter_, info.database)) return {};
    if (info.verb == "DROP DATABASE") {
      return fail(event, fmt::format("DROP DATABASE of replicated database {} ('{}'); the stream "
                                     "stops rather than drop it on the target",
                                     info.database, head));
    }
    out.emplace_back(DdlEvent{"", q.query, {info.database}, {}});
    return {};
  }
  if (info.temporary) return {};  // session-local; row events carry what reaches real tables
  std::vector<TableName> replicated;
  for (const auto& t : info.tables) {
    if (is_replicated(filter_, t.schema, t.table)) replicated.push_back(t);
  }
  std::vector<std::pair<TableName, TableName>> renames;
  for (const auto& [from, to] : info.renames) {
    const bool a = is_replicated(filter_, from.schema, from.table);
    const bool b = is_replicated(filter_, to.schema, to.table);
    if (a != b) {
      return fail(event,
                  fmt::format("'{}' renames {} to {}, moving a table {} the task's tables; "
                              "the stream stops rather than lose or invent its rows",
                              head, from.qualified(), to.qualified(), a ? "out of" : "into"));
    }
    if (a) renames.emplace_back(from, to);
  }
  if (replicated.empty()) return {};
  if (info.tables.empty()) {
    return fail(event, "could not find the table names in '" + head + "'");
  }
  DdlEvent ddl;
  ddl.schema = info.uses_default_schema ? q.schema : "";
  ddl.statement = q.query;
  for (const auto& t : replicated) ddl.tables.push_back(t.qualified());
  // Statements naming tables outside the task are rewritten to the task's own, so the
  // target's unrelated tables are never touched.
  if (info.verb == "DROP TABLE" && replicated.size() != info.tables.size()) {
    ddl.statement = std::string("DROP TABLE ") + (info.if_exists ? "IF EXISTS " : "");
    for (std::size_t i = 0; i < replicated.size(); ++i) {
      ddl.statement += (i ? ", " : "") + qualified_name(replicated[i].schema, replicated[i].table);
    }
    ddl.schema.clear();
  } else if (info.verb == "RENAME TABLE" && renames.size() != info.renames.size()) {
    ddl.statement = "RENAME TABLE ";
    for (std::size_t i = 0; i < renames.size(); ++i) {
      ddl.statement +=
          fmt::format("{}{} TO {}", i ? ", " : "",
                      qualified_name(renames[i].first.schema, renames[i].first.table),
                      qualified_name(renames[i].second.schema, renames[i].second.table));
    }
    ddl.schema.clear();
  }
  // The session the statement ran under: numeric charset ids are accepted by SET (as
  // mysqlbinlog writes them), and foreign_key_checks comes from the statement's flags.
  if (q.status.charset) {
    ddl.session.emplace_back("character_set_client", std::to_string((*q.status.charset)[0]));
    ddl.session.emplace_back("collation_connection", std::to_string((*q.status.charset)[1]));
  }
  if (q.status.flags2) {
    constexpr std::uint32_t kNoForeignKeyChecks = 1U << 26;
    ddl.session.emplace_back("foreign_key_checks",
                             (*q.status.flags2 & kNoForeignKeyChecks) != 0 ? "0" : "1");
  }
  kLog.info("schema change in the stream", {{"statement", head}, {"at", at(event)}});
  out.emplace_back(std::move(ddl));
  // Every table named may look different from now on.
  for (const auto& t : info.tables) {
    source_schema_.forget(t.schema, t.table);
    by_name_.erase(t.qualified());
  }
  tables_.clear();
  return {};
}

Status MyChangeBuilder::on_table_map(const BinlogEvent& event, const TableMapEvent& map) {
  if (!is_replicated(filter_, map.schema, map.table)) {
    tables_[map.table_id] = nullptr;
    return {};
  }
  auto desc = describe(map);
  if (!desc.ok()) return fail(event, desc.error().message);
  tables_[map.table_id] = std::move(desc).value();
  return {};
}

Result<std::shared_ptr<const TableDesc>> MyChangeBuilder::describe(const TableMapEvent& map) {
  auto desc = describe_table_map(map, source_schema_);
  if (!desc.ok()) return std::move(desc).error();
  // Reuse the previous description when nothing changed: the applier batches inserts
  // into one statement per description.
  auto& known = by_name_[(*desc)->qualified()];
  if (known && same_desc(*known, **desc)) return known;
  known = std::move(desc).value();
  return known;
}

Status MyChangeBuilder::on_rows(const BinlogEvent& event, const RowsEvent& rows,
                                std::vector<StreamEvent>& out) {
  auto it = tables_.find(rows.table_id);
  if (it == tables_.end()) {
    if (rows.rows.empty()) return {};
    return fail(event,
                fmt::format("row event for table id {} without its TABLE_MAP", rows.table_id));
  }
  if (it->second == nullptr) return {};  // not a replicated table
  if (!in_transaction_) return fail(event, "row event outside a transaction");
  const auto& desc = it->second;
  const ChangeKind kind = rows.kind == RowsKind::kWrite    ? ChangeKind::kInsert
                          : rows.kind == RowsKind::kUpdate ? ChangeKind::kUpdate
                                                           : ChangeKind::kDelete;
  for (const auto& row : rows.rows) {
    Change c;
    c.kind = kind;
    c.table = desc;
    if (row.before) c.before = core_image(*row.before);
    if (row.after) c.after = core_image(*row.after);
    const std::size_t width = desc->columns.size();
    if ((c.before && c.before->columns.size() != width) ||
        (c.after && c.after->columns.size() != width)) {
      return fail(event, fmt::format("row of {} has a different width than its TABLE_MAP ({})",
                                     desc->qualified(), width));
    }
    out.emplace_back(std::move(c));
  }
  return {};
}

}  // namespace tideway::replication::mysql
