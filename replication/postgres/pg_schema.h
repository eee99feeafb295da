#pragma once
// Builds the DDL that recreates a source's schema on a PostgreSQL target, from the source
// catalog (pg_get_*def functions, which print exactly what the server will accept back).
// Split so the load is fast: `before_load` (schemas, types, sequences, tables without
// any index) and `after_load` (primary keys, then secondary indexes, unique/check/
// exclusion constraints, functions and procedures, views, sequence ownership), in
// dependency order; foreign keys and triggers as described at SchemaPlan.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/postgres/pg_catalog.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct DdlStatement {
  std::string object;  // "table public.orders", for progress and error messages
  std::string sql;
};

/// Foreign keys and triggers act on every row written. While a change stream is applied
/// they would act a second time on what the source already did (a cascade the source
/// also streams, a trigger's own writes). When the target user may set
/// session_replication_role = replica (superuser, rds_superuser, or GRANT SET ON
/// PARAMETER on 15+; see pg_replica_role.h) the apply sessions switch them off and they
/// are created right after the load; otherwise they are created at cutover, once the
/// target stops following the source.
struct SchemaPlan {
  std::vector<DdlStatement> before_load;
  std::vector<DdlStatement> after_load;   // primary keys, indexes, unique/check/exclusion,
                                          // functions, views
  std::vector<DdlStatement> at_cutover;   // foreign keys and triggers (see above for when)
};

/// Reads the catalog objects that belong with `tables` (their schemas' types, sequences,
/// functions, views; the tables' indexes, constraints and triggers).
Result<SchemaPlan> plan_schema(PgConnection& source, const std::vector<PgTable>& tables);

/// Runs statements in order on `target`; stops at the first failure, naming the object
/// and the statement.
Status apply_ddl(PgConnection& target, const std::vector<DdlStatement>& statements);

/// The CREATE TABLE statement for one table (columns, defaults, identity, generated
/// columns, NOT NULL); its primary key comes after the load (add_primary_key_sql).
std::string create_table_sql(const PgConnection& conn, const PgTable& table);
std::string add_primary_key_sql(const PgConnection& conn, const PgTable& table);

}  // namespace tideway::replication::postgres
