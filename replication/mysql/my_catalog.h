#pragma once
// Reading what a MySQL/MariaDB server holds: the tables a task selects, with their
// columns, primary keys, engines, size estimates and AUTO_INCREMENT counters, from
// information_schema in one query per kind of object (never one per table).
//
// For MySQL the "schema" of a TableFilter glob is the database: "shop.*" selects every
// table of database shop, "*.*" every table of every database the user can see. System
// databases (mysql, information_schema, performance_schema, sys) and tideway's own
// `_tideway` are never selected. The endpoint's `database` is only the session's default.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

struct MyColumn {
  std::string name;
  std::string data_type;    // information_schema DATA_TYPE: "int", "varchar", "inet6"
  std::string column_type;  // full type: "int(10) unsigned", "enum('a','b')", "decimal(65,30)"
  std::string charset;      // CHARACTER_SET_NAME; "" for non-character types
  bool nullable = true;
  bool generated = false;  // VIRTUAL/STORED generated: the target computes it
  bool auto_increment = false;

  bool is_unsigned() const;
};

struct MyTable {
  std::string database;
  std::string name;
  std::string engine;  // "InnoDB"
  std::vector<MyColumn> columns;
  std::vector<std::string> primary_key;         // column names in key order; empty if none
  std::int64_t estimated_rows = 0;              // TABLE_ROWS (an estimate for InnoDB)
  std::int64_t data_bytes = 0;                  // DATA_LENGTH + INDEX_LENGTH
  std::optional<std::uint64_t> auto_increment;  // the next value, if the table has a counter

  std::string qualified() const { return database + "." + name; }
  /// `database`.`table`, for SQL text.
  std::string sql_name() const { return qualified_name(database, name); }
  /// Columns whose values are stored and copied (generated ones are recomputed).
  std::vector<const MyColumn*> stored_columns() const;
  const MyColumn* column(const std::string& name) const;
  /// InnoDB and the other engines that take part in a consistent snapshot.
  bool transactional() const;
};

/// Base tables visible to the task's filter, sorted by database and name.
Result<std::vector<MyTable>> list_tables(MyConnection& conn, const TableFilter& filter);

/// The databases of `tables`, sorted, each once.
std::vector<std::string> databases_of(const std::vector<MyTable>& tables);

/// 'a','b' — a list of SQL string literals for an IN (...) clause.
std::string sql_string_list(const MyConnection& conn, const std::vector<std::string>& values);

}  // namespace tideway::replication::mysql
