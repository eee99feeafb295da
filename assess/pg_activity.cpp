// The PostgreSQL activity sample: pg_stat_user_tables counters of the assessed tables
// (rows inserted, updated, deleted) and the WAL position, read at both ends of the
// window together with the server's clock. Backends report their counters when a
// transaction ends (at most about once a second), so a short window under a steady load
// can be off by up to a second's worth of rows; the default 10 s keeps that small.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "assess/pg_collector.h"

namespace tideway::assess {
namespace {

using replication::postgres::PgConnection;

struct Snapshot {
  std::string at;
  double epoch = 0;
  std::string wal_lsn;
  std::map<std::string, std::array<std::int64_t, 3>> tables;
};

Result<Snapshot> snapshot(PgConnection& conn) {
  // A fresh statistics snapshot: within one transaction the server would repeat the last.
  if (auto c = conn.exec("SELECT pg_stat_clear_snapshot()"); !c.ok()) {
    return std::move(c).error().with_context("clearing the statistics snapshot");
  }
  auto now = conn.exec(
      "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "extract(epoch FROM clock_timestamp()), pg_current_wal_lsn()::text");
  if (!now.ok()) return std::move(now).error().with_context("reading the clock and WAL position");
  Snapshot s;
  s.at = now->text(0, 0);
  s.epoch = std::atof(now->text(0, 1).c_str());
  s.wal_lsn = now->text(0, 2);
  auto tables = conn.exec(
      "SELECT schemaname || '.' || relname, n_tup_ins, n_tup_upd, n_tup_del "
      "FROM pg_stat_user_tables");
  if (!tables.ok()) return std::move(tables).error().with_context("reading pg_stat_user_tables");
  for (int r = 0; r < tables->rows(); ++r) {
    s.tables[tables->text(r, 0)] = {tables->as_int(r, 1), tables->as_int(r, 2),
                                    tables->as_int(r, 3)};
  }
  return s;
}

// Returns a note for the report when the user may see its own sessions only.
std::string read_sessions(PgConnection& conn, Activity& a) {
  std::string note;
  auto all = conn.exec("SELECT pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER')");
  if (!all.ok() || !all->as_bool(0, 0)) {
    note = "sessions: only this user's are visible (GRANT pg_read_all_stats to see all)";
  }
  // Other users' sessions show their state only to members of pg_read_all_stats; the
  // rest appear without one and are left out rather than guessed.
  auto rows = conn.exec(R"(
    SELECT pid::text, coalesce(usename, ''), state,
           extract(epoch FROM clock_timestamp() - coalesce(xact_start, query_start))
      FROM pg_stat_activity
     WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
       AND state IS NOT NULL AND state <> 'idle'
       AND ((state LIKE 'idle in transaction%' AND xact_start < clock_timestamp() - interval '10 seconds')
            OR coalesce(xact_start, query_start) < clock_timestamp() - interval '60 seconds'))");
  if (!rows.ok()) return note;
  for (int r = 0; r < rows->rows(); ++r) {
    SessionInfo s{rows->text(r, 0), rows->text(r, 1), rows->text(r, 2),
                  std::atof(rows->text(r, 3).c_str())};
    if (s.state.rfind("idle in transaction", 0) == 0) {
      a.idle_in_transaction.push_back(std::move(s));
    } else {
      a.long_running.push_back(std::move(s));
    }
  }
  return note;
}

void read_replicas(PgConnection& conn, Activity& a) {
  auto rows = conn.exec(
      "SELECT coalesce(application_name, '') || ' ' || coalesce(client_addr::text, 'local'), "
      "coalesce(state, ''), extract(epoch FROM replay_lag) FROM pg_stat_replication");
  if (!rows.ok()) return;
  for (int r = 0; r < rows->rows(); ++r) {
    ReplicaInfo info{rows->text(r, 0), rows->text(r, 1), std::nullopt};
    if (!rows->is_null(r, 2)) info.lag_seconds = std::atof(rows->text(r, 2).c_str());
    a.replicas.push_back(std::move(info));
  }
}

}  // namespace

Status sample_postgres_activity(PgConnection& conn, int seconds,
                             Assessment& out, const std::atomic<bool>* stop) {
  Activity& a = out.activity;
  const std::string note = read_sessions(conn, a);
  read_replicas(conn, a);
  if (seconds <= 0) {
    a.method = "no sample taken (--sample-seconds 0)" + (note.empty() ? "" : "; " + note);
    return {};
  }
  auto first = snapshot(conn);
  if (!first.ok()) return std::move(first).error();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < until && !(stop != nullptr && stop->load())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto second = snapshot(conn);
  if (!second.ok()) return std::move(second).error();
  auto wal = conn.exec_params("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint",
                              {second->wal_lsn, first->wal_lsn});
  if (!wal.ok()) return std::move(wal).error().with_context("measuring WAL growth");

  a.started_at = first->at;
  a.ended_at = second->at;
  a.sample_seconds = std::max(second->epoch - first->epoch, 0.001);
  a.log_bytes_per_second = static_cast<double>(wal->as_int(0, 0)) / a.sample_seconds;
  a.method = "pg_stat_user_tables n_tup_ins/upd/del deltas of the assessed tables; WAL bytes "
             "from pg_current_wal_lsn() (whole server)" + (note.empty() ? "" : "; " + note);
  std::map<std::string, bool> assessed;
  for (const TableInfo* t : out.inventory.tables()) assessed[t->qualified()] = true;
  for (const auto& [table, after] : second->tables) {
    auto it = first->tables.find(table);
    if (it == first->tables.end() || assessed.count(table) == 0) continue;
    TableActivity t{table, after[0] - it->second[0], after[1] - it->second[1],
                    after[2] - it->second[2], 0};
    a.inserted += t.inserted;
    a.updated += t.updated;
    a.deleted += t.deleted;
    t.rows_per_second = static_cast<double>(t.inserted + t.updated + t.deleted) / a.sample_seconds;
    if (t.rows_per_second > 0) a.top_tables.push_back(std::move(t));
  }
  a.rows_per_second = static_cast<double>(a.inserted + a.updated + a.deleted) / a.sample_seconds;
  a.inserts_per_second = static_cast<double>(a.inserted) / a.sample_seconds;
  std::sort(a.top_tables.begin(), a.top_tables.end(),
            [](const auto& x, const auto& y) { return x.rows_per_second > y.rows_per_second; });
  if (a.top_tables.size() > 10) a.top_tables.resize(10);
  return {};
}

}  // namespace tideway::assess
