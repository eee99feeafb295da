#pragma once
// Reading what a PostgreSQL database holds: the tables a task selects, with their
// columns, keys and size estimates. One query per kind of object, never one per table,
// so a database with thousands of tables is inventoried in a few round trips.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/postgres/pg_connection.h"

namespace tideway::replication::postgres {

struct PgColumn {
  std::string name;
  std::string type_sql;        // format_type(): "numeric(10,2)", "public.mood", "integer[]"
  std::uint32_t type_oid = 0;
  bool not_null = false;
  std::optional<std::string> default_sql;
  char identity = '\0';        // 'a' ALWAYS, 'd' BY DEFAULT
  char generated = '\0';       // 's' STORED generated column
};

struct PgTable {
  std::string schema;
  std::string name;
  std::uint32_t oid = 0;
  std::vector<PgColumn> columns;
  std::vector<std::string> primary_key;  // column names in key order; empty if none
  std::string primary_key_name;
  char replica_identity = 'd';           // d default, f full, i index, n nothing
  bool unlogged = false;
  std::int64_t estimated_rows = 0;       // pg_class.reltuples (-1 → never analyzed → 0)
  std::int64_t relpages = 0;
  std::int64_t total_bytes = 0;

  std::string sql_name;  // quoted only where needed, as format('%I.%I') does: for messages

  std::string qualified() const { return schema + "." + name; }
  /// Columns whose values are stored (generated columns are recomputed by the target).
  std::vector<std::string> stored_column_names() const;
};

/// Ordinary tables visible to the task's filter, sorted by schema and name. System
/// schemas (pg_catalog, information_schema, pg_toast) are never selected.
Result<std::vector<PgTable>> list_tables(PgConnection& conn, const TableFilter& filter);

}  // namespace tideway::replication::postgres
