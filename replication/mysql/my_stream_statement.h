#pragma once
// What a statement in a binlog QUERY event does, as far as the change stream must know:
// a transaction boundary (BEGIN, COMMIT), DDL on tables (to run on the target in stream
// order), statement-based DML (which a row-based stream cannot replay), or something
// without table data (GRANT, FLUSH, ...). Only the statement's head is parsed: keywords
// and the table names it acts on, with comments skipped and MySQL's executable comments
// (/*!50100 ... */, MariaDB's /*M!100100 ... */) read as code, as the server does.
//
// The classification is deliberately narrow: a statement of a kind not listed below is
// kUnknown, and the stream stops on it if it may touch a replicated database, rather
// than guess.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tideway::replication::mysql {

enum class StatementKind {
  kBegin,         // BEGIN, START TRANSACTION
  kCommit,        // COMMIT
  kRollback,      // ROLLBACK (not TO SAVEPOINT)
  kSavepoint,     // SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT
  kTableDdl,      // CREATE/ALTER/DROP/RENAME/TRUNCATE TABLE, CREATE/DROP INDEX
  kDatabaseDdl,   // CREATE/ALTER/DROP DATABASE
  kSchemaObject,  // views, triggers, routines, events, sequences
  kDml,           // INSERT, REPLACE, UPDATE, DELETE, LOAD DATA as a statement
  kXa,            // XA START/END/PREPARE/COMMIT/ROLLBACK
  kIgnorable,     // accounts, privileges, server maintenance: no table data
  kUnknown,
};

struct TableName {
  std::string schema;
  std::string table;
  std::string qualified() const { return schema + "." + table; }
  bool operator==(const TableName&) const = default;
};

struct StatementInfo {
  StatementKind kind = StatementKind::kUnknown;
  std::string verb;               // "ALTER TABLE", "DROP INDEX", "INSERT", ...
  std::vector<TableName> tables;  // tables acted on (a RENAME: both names of each pair)
  std::vector<std::pair<TableName, TableName>> renames;  // RENAME TABLE, ALTER ... RENAME
  std::string database;                                  // kDatabaseDdl: the database
  bool temporary = false;                                // CREATE/DROP TEMPORARY TABLE
  bool if_exists = false;                                // DROP ... IF EXISTS
  bool uses_default_schema = false;                      // some name was unqualified
};

/// Classifies `sql`; unqualified names get `default_schema`.
StatementInfo classify_statement(std::string_view sql, std::string_view default_schema);

}  // namespace tideway::replication::mysql
