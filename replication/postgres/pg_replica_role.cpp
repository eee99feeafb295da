#include "replication/postgres/pg_replica_role.h"

#include <fmt/format.h>

namespace tideway::replication::postgres {

namespace {

// A role name as an operator would type it: bare when that means the same name.
std::string role_sql(const PgConnection& conn, const std::string& user) {
  bool plain = !user.empty() && !(user[0] >= '0' && user[0] <= '9');
  for (char c : user) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  return plain ? user : conn.quote_ident(user);
}

}  // namespace

std::string replica_role_grant(const PgConnection& conn, const std::string& user) {
  const std::string who = role_sql(conn, user);
  if (conn.server_version() >= 150000) {
    return fmt::format("GRANT SET ON PARAMETER session_replication_role TO {} (as a superuser "
                       "on the target; on RDS/Aurora: GRANT rds_superuser TO {})",
                       who, who);
  }
  return fmt::format("on PostgreSQL {} only a superuser may set it (on RDS/Aurora: GRANT "
                     "rds_superuser TO {}); PostgreSQL 15+ also allows GRANT SET ON PARAMETER "
                     "session_replication_role TO {}",
                     conn.server_version() / 10000, who, who);
}

Result<ReplicaRoleAccess> probe_replica_role(PgConnection& target) {
  auto roles = target.exec(
      "SELECT current_user, r.rolsuper, "
      // CASE, not AND: pg_has_role fails on a role that does not exist, and only CASE
      // fixes the order of evaluation.
      "       CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_superuser') "
      "            THEN pg_has_role(current_user, 'rds_superuser', 'MEMBER') ELSE false END "
      "FROM pg_roles r WHERE r.rolname = current_user");
  if (!roles.ok()) {
    return std::move(roles).error().with_context("reading the target user's role attributes");
  }
  if (roles->rows() != 1) {
    return make_error(ErrorCode::kInternal, "the target's pg_roles has no row for current_user");
  }
  const std::string user = roles->text(0, 0);
  std::string why;
  if (roles->as_bool(0, 1)) {
    why = "superuser";
  } else if (roles->as_bool(0, 2)) {
    why = "member of rds_superuser";
  } else if (target.server_version() >= 150000) {
    // has_parameter_privilege exists from 15 on only; naming it earlier is a parse error.
    auto granted = target.exec("SELECT has_parameter_privilege('session_replication_role', 'SET')");
    if (!granted.ok()) {
      return std::move(granted).error().with_context("checking SET on session_replication_role");
    }
    if (granted->as_bool(0, 0)) why = "GRANT SET ON PARAMETER";
  }
  // The catalog explains; trying it decides.
  auto tried = target.exec("BEGIN; SET LOCAL session_replication_role = replica");
  (void)target.exec("ROLLBACK").ok();
  ReplicaRoleAccess access;
  access.allowed = tried.ok();
  if (access.allowed) {
    access.note = why.empty() ? "SET permitted by the server" : why;
  } else {
    access.note = fmt::format("user {} may not set session_replication_role ({}); to allow it: {}",
                              user, tried.error().message, replica_role_grant(target, user));
  }
  return access;
}

Status enter_replica_role(PgConnection& conn) {
  auto set = conn.exec("SET session_replication_role = replica");
  if (set.ok()) return {};
  const std::string user = conn.endpoint().user;
  Error e = std::move(set).error();
  e.message = fmt::format(
      "{}; the task runs its target sessions with session_replication_role = replica (decided "
      "when it started, and its foreign keys and triggers were created for that), so it stops "
      "rather than fire them a second time: {}",
      e.message, replica_role_grant(conn, user));
  e.retryable = false;
  return e;
}

}  // namespace tideway::replication::postgres
