#include "replication/mysql/my_watermark.h"

#include <cctype>
#include <map>

#include <fmt/format.h>

#include "replication/mysql/gtid_set.h"

namespace tideway::replication::mysql {
namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Status upsert_signal(MyConnection& control, const SignalTable& signal, const std::string& task_id,
                     const std::string& table, int chunk, const std::string& column,
                     const std::string& position) {
  // Autocommit: the statement is its own transaction, committed when it returns.
  const std::string sql = fmt::format(
      "INSERT INTO {} (task_id, table_name, chunk, {}, written_at) VALUES ({}, {}, {}, {}, "
      "CURRENT_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE {} = VALUES({}), written_at = "
      "VALUES(written_at){}",
      signal.sql_name(), column, control.quote(task_id), control.quote(table), chunk,
      control.quote(position), column, column,
      column == "low_position" ? ", high_position = NULL" : "");
  if (Status s = control.execute(sql); !s.ok()) {
    return std::move(s).error().with_context(
        fmt::format("writing the {} watermark of {} chunk {} into {}.{} on the source",
                    column == "low_position" ? "low" : "high", table, chunk, signal.database,
                    signal.table));
  }
  return {};
}

/// A position as the signal table shows it (VARCHAR(700)): a MySQL GTID set can be longer
/// than that (one UUID per server the source ever had), so on MySQL the row shows file and
/// offset only; the load's own record of the chunk keeps the whole position.
std::string signal_text(const BinlogPosition& p) {
  if (!p.mysql_gtid_set) return p.to_string();
  return BinlogPosition{p.file, p.offset, {}}.to_string();
}

}  // namespace

Result<SnapshotMethod> resolve_snapshot_method(MySnapshotMode mode,
                                               const std::string& server_version) {
  const bool mariadb = server_version.find("MariaDB") != std::string::npos;
  switch (mode) {
    case MySnapshotMode::kAuto:
      return mariadb ? SnapshotMethod::kConsistentSnapshot : SnapshotMethod::kWatermark;
    case MySnapshotMode::kWatermark:
      return SnapshotMethod::kWatermark;
    case MySnapshotMode::kConsistentSnapshot:
      if (mariadb) return SnapshotMethod::kConsistentSnapshot;
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("mysql.snapshot: consistent_snapshot needs a MariaDB source (MySQL {} has "
                      "no binlog_snapshot_file/position to tie a snapshot to the binlog without "
                      "locks); use snapshot: watermark or auto",
                      server_version));
  }
  return SnapshotMethod::kWatermark;
}

std::string SignalTable::sql_name() const { return qualified_name(database, table); }

SignalTable parse_signal_table(const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos) return {"_tideway", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

TableFilter without_signal_table(const TaskSpec& spec) {
  TableFilter filter = spec.tables;
  filter.exclude.push_back(spec.mysql.signal_table);
  return filter;
}

std::vector<std::string> watermark_setting_problems(
    bool mariadb, const std::vector<std::pair<std::string, std::string>>& variables) {
  if (mariadb) return {};  // MariaDB commits to InnoDB in binlog order by design
  const std::map<std::string, std::string> v(variables.begin(), variables.end());
  auto it = v.find("binlog_order_commits");
  if (it == v.end()) {
    return {"the server does not report binlog_order_commits, so the watermark snapshot "
            "cannot rely on transactions committing in binlog order; set "
            "binlog_order_commits = ON (or use a MariaDB source with snapshot: "
            "consistent_snapshot)"};
  }
  const std::string value = upper(it->second);
  if (value == "ON" || value == "1") return {};
  return {fmt::format(
      "binlog_order_commits is {}; the watermark snapshot needs transactions to become "
      "visible in binlog order: SET GLOBAL binlog_order_commits = ON (Aurora/RDS: the "
      "parameter group)",
      it->second)};
}

Result<std::string> mysql_gtid_mode(MyConnection& source) {
  auto r = source.query("SELECT @@global.gtid_mode");
  if (!r.ok()) {
    // Servers before MySQL 5.6 have no GTIDs at all.
    if (r.error().message.find("error 1193") != std::string::npos) return std::string("OFF");
    return std::move(r).error().with_context("reading the source's gtid_mode");
  }
  return upper(r->text(0, 0));
}

Result<BinlogPosition> read_binlog_position(MyConnection& source) {
  auto status = source.query("SHOW MASTER STATUS");
  if (!status.ok() && status.error().message.find("error 1064") != std::string::npos) {
    status = source.query("SHOW BINARY LOG STATUS");  // MySQL 8.2 and later
  }
  if (!status.ok()) {
    return std::move(status).error().with_context("reading the source's binlog position");
  }
  if (status->empty()) {
    return make_error(ErrorCode::kConflict,
                      source.endpoint().describe() +
                          " has no binlog (log_bin is off); a change stream needs log_bin=ON "
                          "and binlog_format=ROW");
  }
  BinlogPosition p;
  p.file = status->text(0, 0);
  p.offset = static_cast<std::uint64_t>(status->as_int(0, 1));
  if (source.is_mariadb()) {
    auto gtid = source.query(
        fmt::format("SELECT BINLOG_GTID_POS({}, {})", source.quote(p.file), p.offset));
    if (!gtid.ok()) {
      return std::move(gtid).error().with_context("reading the GTID list at " + p.to_string());
    }
    p.gtid = gtid->text(0, 0);
  } else {
    // MySQL: with gtid_mode=ON, Executed_Gtid_Set (the 5th column) is the set executed
    // at exactly File/Position (the server reads both under one lock).
    auto mode = mysql_gtid_mode(source);
    if (!mode.ok()) return std::move(mode).error();
    if (*mode == "ON") {
      if (status->columns.size() < 5) {
        return make_error(ErrorCode::kCorruption,
                          fmt::format("{}: SHOW MASTER STATUS has no Executed_Gtid_Set column "
                                      "although gtid_mode is ON",
                                      source.endpoint().describe()));
      }
      auto set = GtidSet::parse(status->text(0, 4));
      if (!set.ok()) {
        return std::move(set).error().with_context(
            "reading Executed_Gtid_Set of " + source.endpoint().describe());
      }
      p.gtid = set->text();
      p.mysql_gtid_set = true;
    }
  }
  auto checked = BinlogPosition::parse(p.to_string());
  if (!checked) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("{}: unexpected binlog position file '{}' offset {} gtid '{}'",
                                  source.endpoint().describe(), statement_head(p.file), p.offset,
                                  statement_head(p.gtid)));
  }
  return *checked;
}

Status ensure_signal_table(MyConnection& source, const SignalTable& signal) {
  const std::string engine_sql = fmt::format(
      "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = {} AND TABLE_NAME = {}",
      source.quote(signal.database), source.quote(signal.table));
  auto engine = source.query(engine_sql);
  if (!engine.ok()) return std::move(engine).error().with_context("checking the signal table");
  if (engine->empty()) {
    // Only when missing: CREATE DATABASE IF NOT EXISTS needs the CREATE privilege even
    // when the database exists, and an operator may have created the table instead.
    if (Status s = create_signal_table(source, signal); !s.ok()) return s;
    engine = source.query(engine_sql);
    if (!engine.ok()) return std::move(engine).error().with_context("checking the signal table");
  }
  if (engine->empty() || upper(engine->text(0, 0)) != "INNODB") {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("the watermark signal table {}.{} on {} uses engine '{}'; it "
                                  "must be InnoDB so that its commits follow the binlog's "
                                  "order: ALTER TABLE {} ENGINE=InnoDB",
                                  signal.database, signal.table, source.endpoint().describe(),
                                  engine->empty() ? "" : engine->text(0, 0), signal.sql_name()));
  }
  return {};
}

Status create_signal_table(MyConnection& source, const SignalTable& signal) {
  const std::string create_database = fmt::format(
      "CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4", quote_identifier(signal.database));
  const std::string create_table = fmt::format(
      "CREATE TABLE IF NOT EXISTS {} ("
      " task_id VARCHAR(64) NOT NULL,"
      " table_name VARCHAR(200) NOT NULL,"
      " chunk INT NOT NULL,"
      " low_position VARCHAR(700) NULL,"
      " high_position VARCHAR(700) NULL,"
      " written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
      " PRIMARY KEY (task_id, table_name, chunk)"
      ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
      signal.sql_name());
  for (const std::string& sql : {create_database, create_table}) {
    if (Status s = source.execute(sql); !s.ok()) {
      return std::move(s).error().with_context(
          fmt::format("creating the watermark signal table {}.{} on the source", signal.database,
                      signal.table));
    }
  }
  return {};
}

Result<BinlogPosition> write_low_watermark(MyConnection& control, const SignalTable& signal,
                                           const std::string& task_id, const std::string& table,
                                           int chunk) {
  auto before = read_binlog_position(control);
  if (!before.ok()) return std::move(before).error();
  if (Status s = upsert_signal(control, signal, task_id, table, chunk, "low_position",
                               signal_text(*before));
      !s.ok()) {
    return std::move(s).error();
  }
  return read_binlog_position(control);
}

Result<BinlogPosition> write_high_watermark(MyConnection& control, const SignalTable& signal,
                                            const std::string& task_id, const std::string& table,
                                            int chunk) {
  auto high = read_binlog_position(control);
  if (!high.ok()) return std::move(high).error();
  if (Status s = upsert_signal(control, signal, task_id, table, chunk, "high_position",
                               signal_text(*high));
      !s.ok()) {
    return std::move(s).error();
  }
  return high;
}

Result<bool> binlog_touches_table(MyConnection& source, const BinlogPosition& from,
                                  const BinlogPosition& to, const std::string& database,
                                  const std::string& table, int page) {
  if (!(from < to)) return false;
  auto logs = source.query("SHOW BINARY LOGS");
  if (!logs.ok()) return std::move(logs).error().with_context("listing the source's binlogs");
  std::vector<std::string> files;
  for (std::size_t r = 0; r < logs->size(); ++r) {
    BinlogPosition f{logs->text(r, 0), 0, ""};
    if (f.file_sequence() >= from.file_sequence() && f.file_sequence() <= to.file_sequence()) {
      files.push_back(f.file);
    }
  }
  if (files.empty() || files.front() != from.file) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("binlog {} is no longer on the source", from.file));
  }
  const std::string mapped = "(" + database + "." + table + ")";
  const std::string named = upper(table);
  for (const auto& file : files) {
    std::uint64_t offset = file == from.file ? from.offset : 4;
    for (;;) {
      auto events = source.query(fmt::format("SHOW BINLOG EVENTS IN {} FROM {} LIMIT {}",
                                             source.quote(file), offset, page));
      if (!events.ok()) {
        return std::move(events).error().with_context(
            fmt::format("reading binlog {} from {} to check writes to {}.{}", file, offset,
                        database, table));
      }
      for (std::size_t r = 0; r < events->size(); ++r) {
        const auto pos = static_cast<std::uint64_t>(events->as_int(r, 1));
        if (file == to.file && pos >= to.offset) return false;
        const std::string type = events->text(r, 2);
        const std::string info = events->text(r, 5);
        if (type == "Table_map" && info.find(mapped) != std::string::npos) return true;
        if (type == "Query" && info != "BEGIN" && info != "COMMIT" &&
            upper(info).find(named) != std::string::npos) {
          return true;  // DDL or a statement that may write it: assume it does
        }
        offset = static_cast<std::uint64_t>(events->as_int(r, 4));
      }
      if (events->size() < static_cast<std::size_t>(page)) break;  // end of this file
    }
  }
  return false;
}

}  // namespace tideway::replication::mysql
