#pragma once
// Builds the DDL that recreates a MySQL/MariaDB source's schema on a MySQL/MariaDB
// target, from the source's own SHOW CREATE output (which prints exactly what a server
// accepts back). Split in three so the load is fast and the stream is not disturbed:
//   before_load  databases (IF NOT EXISTS) and tables with their primary key, CHECK
//                constraints and any index an AUTO_INCREMENT column needs;
//   after_load   the other indexes (one ALTER TABLE per table, built once over the loaded
//                rows instead of maintained row by row), stored routines, views (in
//                dependency order), and foreign keys: they stay on during the stream
//                because InnoDB does not log cascaded changes, so the target must cascade
//                a parent's delete itself (the apply session writes children in the
//                source's order, so no check fails);
//   at_cutover   triggers. While a change stream is applied a trigger would act a second
//                time on what the source already did (its own writes are in the binlog),
//                and without SUPER it cannot be switched off per session; so with a
//                stream triggers wait for cutover, and a full_load task creates them right
//                after the load.
// DEFINER clauses of views, routines and triggers are rewritten to CURRENT_USER: a user
// without SUPER / SET USER may name no other definer. Each rewrite is reported.
// Routines and triggers are created under the sql_mode they were created with on the
// source, which decides how their bodies behave.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

struct DdlStatement {
  std::string object;    // "table shop.orders", for progress and error messages
  std::string database;  // made the session's default first ("" for none)
  std::string sql;
  std::string sql_mode;  // the session's sql_mode for this statement ("" keeps the target's)
};

struct SchemaPlan {
  std::vector<DdlStatement> before_load;
  std::vector<DdlStatement> after_load;
  std::vector<DdlStatement> at_cutover;
  /// "view shop.v: DEFINER `admin`@`%` became CURRENT_USER", one per rewrite.
  std::vector<std::string> definers_rewritten;
  bool has_triggers = false;
  bool has_functions = false;
};

/// Reads the source objects that belong with `tables` (their databases, views and
/// routines; the tables' indexes, foreign keys and triggers). Views are selected by the
/// same filter as tables.
Result<SchemaPlan> plan_schema(MyConnection& source, const std::vector<MyTable>& tables,
                               const TableFilter& filter);

/// SHOW CREATE TABLE output split into the CREATE TABLE to run before the load and the
/// clauses added after it.
struct SplitTable {
  std::string create_sql;                  // columns, primary key, CHECKs, needed indexes
  std::vector<std::string> index_clauses;  // "UNIQUE KEY `u` (`a`)" ...
  std::vector<std::string> foreign_keys;   // "CONSTRAINT `fk` FOREIGN KEY (...) REFERENCES ..."
};
SplitTable split_create_table(const std::string& show_create, const MyTable& table);

/// Replaces the first DEFINER=<user> of a CREATE statement with DEFINER=CURRENT_USER;
/// returns the statement unchanged when it has none. `old_definer` receives the original.
std::string rewrite_definer(const std::string& sql, std::string* old_definer);

/// Runs one statement on the target (with its default database and sql_mode).
Status apply_ddl(MyConnection& target, const DdlStatement& statement);

}  // namespace tideway::replication::mysql
