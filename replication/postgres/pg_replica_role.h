#pragma once
// Whether the target's migration user may run its sessions with
// `session_replication_role = replica`, as PostgreSQL's own logical replication workers
// do. In that role ordinary triggers and the triggers behind foreign keys do not fire, so
// changes the source already made (a trigger's writes, an ON DELETE CASCADE, an audit
// row) are not made a second time when the stream applies them. Then foreign keys and
// triggers can be created right after the full load instead of waiting for cutover.
//
// Who may set it: a superuser; on RDS/Aurora a member of rds_superuser; on PostgreSQL 15+
// a role given `GRANT SET ON PARAMETER session_replication_role`. The catalog says which
// of these applies (for the log); a real `SET LOCAL` inside a rolled-back transaction
// decides, so a managed service's own rules are honoured whatever they are.

#include <string>

#include "common/error.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct ReplicaRoleAccess {
  bool allowed = false;
  /// allowed: why ("superuser", "member of rds_superuser", "GRANT SET ON PARAMETER");
  /// not allowed: what the server said and the statement that would allow it.
  std::string note;
};

/// Probes `target` as its connected user. Fails only when the target cannot be queried.
Result<ReplicaRoleAccess> probe_replica_role(PgConnection& target);

/// Puts `conn` in replica mode for the rest of the session. An error names the grant:
/// the task decided at its start that the target allows it, so a refusal now means the
/// privilege was taken away, and applying without it would fire triggers twice.
Status enter_replica_role(PgConnection& conn);

/// The statement that lets `user` set the parameter (for messages).
std::string replica_role_grant(const PgConnection& conn, const std::string& user);

}  // namespace tideway::replication::postgres
