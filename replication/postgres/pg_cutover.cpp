#include "replication/postgres/pg_cutover.h"

#include <fmt/format.h>

#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_connection.h"
#include "replication/postgres/pg_full_load.h"
#include "replication/postgres/pg_schema.h"

namespace tideway::replication::postgres {

Result<std::string> set_read_only_fence(const TaskSpec& spec, bool on) {
  auto conn = PgConnection::connect(spec.source, {false, "tideway-cutover", 10});
  if (!conn.ok()) return std::move(conn).error();
  const std::string db = (*conn)->quote_ident(spec.source.database);
  auto set = (*conn)->exec(fmt::format("ALTER DATABASE {} SET default_transaction_read_only = {}",
                                       db, on ? "on" : "off"));
  if (!set.ok()) {
    return std::move(set).error().with_context(fmt::format(
        "{} the read-only fence (the migration role must own database {} or be rds_superuser)",
        on ? "setting" : "lifting", spec.source.database));
  }
  if (!on) return std::string("default_transaction_read_only = off on database " + spec.source.database);
  // New sessions are read-only now; sessions already open keep their setting, so the
  // ones that have written are ended (they reconnect read-only).
  auto ended = (*conn)->exec_params(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 "
      "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL",
      {spec.source.database});
  const std::string terminated = ended.ok() ? ended->text(0, 0) : "0 (not permitted: " +
                                                                      ended.error().message + ")";
  return fmt::format("default_transaction_read_only = on on database {}; ended {} writing "
                     "sessions", spec.source.database, terminated);
}

Result<Lsn> mark_cutover_point(const TaskSpec& spec) {
  auto conn = PgConnection::connect(spec.source, {false, "tideway-cutover", 10});
  if (!conn.ok()) return std::move(conn).error();
  // Writable even under the fence: the fence is a default, this transaction opts out.
  auto r = (*conn)->exec(
      "BEGIN READ WRITE; SELECT pg_logical_emit_message(true, 'tideway', 'cutover')::text; ");
  if (!r.ok()) return std::move(r).error().with_context("marking the cutover point");
  const std::string lsn_text = r->text(0, 0);
  if (auto c = (*conn)->exec("COMMIT"); !c.ok()) return std::move(c).error();
  auto lsn = Lsn::parse(lsn_text);
  if (!lsn) return make_error(ErrorCode::kCorruption, "cutover point '" + lsn_text + "' is not an LSN");
  return *lsn;
}

Status finish_target(const TaskSpec& spec) {
  return finish_after_stream(spec);
}

}  // namespace tideway::replication::postgres
