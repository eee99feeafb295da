#include "replication/postgres/pg_snapshot.h"

#include <fmt/format.h>

namespace tideway::replication::postgres {

Result<ExportedSnapshot> create_slot_with_snapshot(const Endpoint& source,
                                                   const std::string& slot_name,
                                                   bool temporary) {
  PgConnectOptions options;
  options.replication = true;
  options.application_name = "tideway-snapshot";
  auto conn = PgConnection::connect(source, options);
  if (!conn.ok()) return std::move(conn).error();
  // The pre-15 spelling (EXPORT_SNAPSHOT) is still accepted by 15+, so one command serves
  // every supported source version.
  auto created = (*conn)->exec(fmt::format("CREATE_REPLICATION_SLOT {}{} LOGICAL pgoutput "
                                           "EXPORT_SNAPSHOT",
                                           (*conn)->quote_ident(slot_name),
                                           temporary ? " TEMPORARY" : ""));
  if (!created.ok()) {
    return std::move(created).error().with_context(
        fmt::format("creating replication slot {}", slot_name));
  }
  auto lsn = Lsn::parse(created->get(0, 1));
  if (!lsn) {
    return make_error(ErrorCode::kCorruption,
                      fmt::format("slot {}: server returned consistent point '{}', not an LSN",
                                  slot_name, created->get(0, 1)));
  }
  ExportedSnapshot s;
  s.snapshot_name = created->text(0, 2);
  s.consistent_point = *lsn;
  s.slot_name = slot_name;
  s.holder = std::move(conn).value();
  return s;
}

Result<ExportedSnapshot> export_snapshot(const Endpoint& source) {
  auto conn = PgConnection::connect(source);
  if (!conn.ok()) return std::move(conn).error();
  auto begin = (*conn)->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begin.ok()) return std::move(begin).error();
  auto exported = (*conn)->exec("SELECT pg_export_snapshot(), pg_current_wal_lsn()");
  if (!exported.ok()) return std::move(exported).error().with_context("exporting a snapshot");
  ExportedSnapshot s;
  s.snapshot_name = exported->text(0, 0);
  s.consistent_point = Lsn::parse(exported->get(0, 1)).value_or(Lsn{});
  s.holder = std::move(conn).value();
  return s;
}

Status import_snapshot(PgConnection& conn, const std::string& snapshot_name) {
  auto begin = conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  if (!begin.ok()) return std::move(begin).error();
  auto set = conn.exec("SET TRANSACTION SNAPSHOT " + conn.quote_literal(snapshot_name));
  if (!set.ok()) {
    return std::move(set).error().with_context(
        fmt::format("importing snapshot {} (it lives only while tideway's snapshot connection "
                    "is open)", snapshot_name));
  }
  return {};
}

}  // namespace tideway::replication::postgres
