// The MySQL/MariaDB activity sample. Overall row rates come from the server's status
// counters (Innodb_rows_* where the server has them, else the Handler_* row operations,
// which MariaDB keeps apart from internal temporary tables), log volume from the growth
// of the binlog files, per-table rates from performance_schema when it is on, else from
// the change of each table's row estimate (net inserts minus deletes).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "assess/my_collector.h"
#include "replication/mysql/my_catalog.h"

namespace tideway::assess {
namespace {

using replication::mysql::MyConnection;

struct Snapshot {
  std::string at;          // NOW(6)
  double epoch = 0;        // UNIX_TIMESTAMP(NOW(6))
  std::int64_t inserted = 0, updated = 0, deleted = 0;
  std::optional<std::int64_t> binlog_bytes;
  bool per_table_exact = false;  // from performance_schema
  std::map<std::string, std::array<std::int64_t, 3>> tables;  // ins, upd, del (or net rows)
};

Result<Snapshot> snapshot(MyConnection& conn, const std::string& in_list) {
  Snapshot s;
  auto now = conn.query("SELECT DATE_FORMAT(NOW(6), '%Y-%m-%dT%H:%i:%s.%fZ'), "
                        "UNIX_TIMESTAMP(NOW(6))");
  if (!now.ok()) return std::move(now).error().with_context("reading the server clock");
  s.at = now->text(0, 0);
  s.epoch = std::atof(now->text(0, 1).c_str());
  auto status = conn.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_rows_inserted', "
      "'Innodb_rows_updated', 'Innodb_rows_deleted', 'Handler_write', 'Handler_update', "
      "'Handler_delete')");
  if (!status.ok()) return std::move(status).error().with_context("reading status counters");
  std::map<std::string, std::int64_t> v;
  for (std::size_t r = 0; r < status->size(); ++r) v[status->text(r, 0)] = status->as_int(r, 1);
  if (v.count("Innodb_rows_inserted") != 0) {
    s.inserted = v["Innodb_rows_inserted"];
    s.updated = v["Innodb_rows_updated"];
    s.deleted = v["Innodb_rows_deleted"];
  } else {
    s.inserted = v["Handler_write"];
    s.updated = v["Handler_update"];
    s.deleted = v["Handler_delete"];
  }
  if (auto logs = conn.query("SHOW BINARY LOGS"); logs.ok()) {
    std::int64_t total = 0;
    for (std::size_t r = 0; r < logs->size(); ++r) total += logs->as_int(r, 1);
    s.binlog_bytes = total;
  }
  auto io = conn.query(fmt::format(
      "SELECT CONCAT(OBJECT_SCHEMA, '.', OBJECT_NAME), COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE "
      "FROM performance_schema.table_io_waits_summary_by_table WHERE OBJECT_SCHEMA IN ({})",
      in_list));
  if (io.ok() && !io->empty()) {
    s.per_table_exact = true;
    for (std::size_t r = 0; r < io->size(); ++r) {
      s.tables[io->text(r, 0)] = {io->as_int(r, 1), io->as_int(r, 2), io->as_int(r, 3)};
    }
  } else {
    auto rows = conn.query(fmt::format(
        "SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME), IFNULL(TABLE_ROWS, 0) "
        "FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({}) AND TABLE_TYPE = 'BASE TABLE'",
        in_list));
    if (!rows.ok()) return std::move(rows).error().with_context("reading table row estimates");
    for (std::size_t r = 0; r < rows->size(); ++r) {
      s.tables[rows->text(r, 0)] = {rows->as_int(r, 1), 0, 0};
    }
  }
  return s;
}

// Returns a note for the report when the user may see its own sessions only.
std::string read_sessions(MyConnection& conn, Activity& a) {
  std::string note;
  // Transactions open for over a minute: they hold back purge, and a consistent snapshot
  // taken now waits behind none of them but sees none of their changes either.
  auto trx = conn.query(
      "SELECT t.trx_mysql_thread_id, IFNULL(p.USER, ''), IFNULL(p.COMMAND, ''), "
      "TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) FROM information_schema.INNODB_TRX t "
      "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
      "WHERE t.trx_started < NOW() - INTERVAL 60 SECOND");
  if (!trx.ok()) {
    note = "sessions: only this user's are visible (GRANT PROCESS to see every transaction)";
  } else {
    for (std::size_t r = 0; r < trx->size(); ++r) {
      SessionInfo s{trx->text(r, 0), trx->text(r, 1), trx->text(r, 2),
                    static_cast<double>(trx->as_int(r, 3))};
      if (s.state == "Sleep") {
        s.state = "idle in transaction";
        a.idle_in_transaction.push_back(s);
      } else {
        a.long_running.push_back(s);
      }
    }
  }
  auto statements = conn.query(
      "SELECT ID, USER, COMMAND, TIME FROM information_schema.PROCESSLIST "
      "WHERE COMMAND NOT IN ('Sleep', 'Daemon', 'Binlog Dump', 'Binlog Dump GTID') "
      "AND TIME > 60 AND ID <> CONNECTION_ID()");
  if (statements.ok()) {
    for (std::size_t r = 0; r < statements->size(); ++r) {
      const std::string id = statements->text(r, 0);
      const bool known = std::any_of(a.long_running.begin(), a.long_running.end(),
                                     [&](const SessionInfo& s) { return s.id == id; });
      if (!known) {
        a.long_running.push_back({id, statements->text(r, 1), statements->text(r, 2),
                                  static_cast<double>(statements->as_int(r, 3))});
      }
    }
  }
  return note;
}

void read_replicas(MyConnection& conn, Activity& a) {
  // If this server is itself a replica, how far behind it is (MariaDB: every connection).
  auto status = conn.query(conn.is_mariadb() ? "SHOW ALL SLAVES STATUS" : "SHOW REPLICA STATUS");
  if (!status.ok() && !conn.is_mariadb()) status = conn.query("SHOW SLAVE STATUS");
  if (!status.ok()) return;
  auto column = [&](std::initializer_list<const char*> names) -> std::optional<std::size_t> {
    for (std::size_t c = 0; c < status->columns.size(); ++c) {
      for (const char* n : names) {
        if (status->columns[c] == n) return c;
      }
    }
    return std::nullopt;
  };
  const auto host = column({"Master_Host", "Source_Host"});
  const auto lag = column({"Seconds_Behind_Master", "Seconds_Behind_Source"});
  const auto io = column({"Slave_IO_Running", "Replica_IO_Running"});
  for (std::size_t r = 0; r < status->size(); ++r) {
    ReplicaInfo info;
    info.name = "this server, replicating from " + (host ? status->text(r, *host) : "?");
    info.state = io ? "io_running=" + status->text(r, *io) : "";
    if (lag && !status->is_null(r, *lag)) {
      info.lag_seconds = static_cast<double>(status->as_int(r, *lag));
    }
    a.replicas.push_back(std::move(info));
  }
}

}  // namespace

Status sample_mysql_activity(MyConnection& conn, int seconds,
                             Assessment& out, const std::atomic<bool>* stop) {
  Activity& a = out.activity;
  std::vector<std::string> names;
  for (const auto& s : out.inventory.schemas) names.push_back(s.name);
  const std::string in_list = replication::mysql::sql_string_list(conn, names);
  // MySQL 8 caches table statistics in information_schema for a day by default.
  conn.execute("SET SESSION information_schema_stats_expiry = 0").ignore_error();
  const std::string note = read_sessions(conn, a);
  read_replicas(conn, a);
  if (seconds <= 0) {
    a.method = "no sample taken (--sample-seconds 0)" + (note.empty() ? "" : "; " + note);
    return {};
  }
  auto first = snapshot(conn, in_list);
  if (!first.ok()) return std::move(first).error();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until && !(stop != nullptr && stop->load())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto second = snapshot(conn, in_list);
  if (!second.ok()) return std::move(second).error();

  a.started_at = first->at;
  a.ended_at = second->at;
  a.sample_seconds = std::max(second->epoch - first->epoch, 0.001);
  a.inserted = second->inserted - first->inserted;
  a.updated = second->updated - first->updated;
  a.deleted = second->deleted - first->deleted;
  a.rows_per_second = static_cast<double>(a.inserted + a.updated + a.deleted) / a.sample_seconds;
  a.inserts_per_second = static_cast<double>(a.inserted) / a.sample_seconds;
  if (first->binlog_bytes && second->binlog_bytes) {
    a.log_bytes_per_second =
        static_cast<double>(std::max<std::int64_t>(*second->binlog_bytes - *first->binlog_bytes, 0)) /
        a.sample_seconds;
  }
  const bool exact = first->per_table_exact && second->per_table_exact;
  a.method = std::string(conn.is_mariadb() ? "server-wide Handler_write/update/delete"
                                           : "server-wide Innodb_rows_*") +
             " deltas; binlog growth from SHOW BINARY LOGS" +
             (first->binlog_bytes ? "" : " (not permitted: BINLOG MONITOR / REPLICATION CLIENT)") +
             "; per table: " +
             (exact ? "performance_schema row operations"
                    : "change of the row estimate (net inserts minus deletes; updates not seen)");
  if (!note.empty()) a.method += "; " + note;
  for (const auto& [table, after] : second->tables) {
    auto it = first->tables.find(table);
    if (it == first->tables.end()) continue;
    const auto& before = it->second;
    TableActivity t;
    t.table = table;
    if (exact) {
      t.inserted = after[0] - before[0];
      t.updated = after[1] - before[1];
      t.deleted = after[2] - before[2];
    } else {
      const std::int64_t net = after[0] - before[0];
      (net >= 0 ? t.inserted : t.deleted) = net >= 0 ? net : -net;
    }
    t.rows_per_second = static_cast<double>(t.inserted + t.updated + t.deleted) / a.sample_seconds;
    if (t.rows_per_second > 0) a.top_tables.push_back(std::move(t));
  }
  std::sort(a.top_tables.begin(), a.top_tables.end(),
            [](const auto& x, const auto& y) { return x.rows_per_second > y.rows_per_second; });
  if (a.top_tables.size() > 10) a.top_tables.resize(10);
  return {};
}

}  // namespace tideway::assess
