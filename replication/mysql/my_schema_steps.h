#pragma once
// Running the schema on a MySQL/MariaDB target, resumably. MySQL DDL commits on its own
// (each statement is atomic on MariaDB 10.6+ and MySQL 8, but two statements never share
// a transaction), so a step cannot commit together with one marker as on PostgreSQL.
// Instead every statement of a step gets its own marker row in `_tideway`.`task_steps`
// right after it succeeds:
//   (task, step, "begun")  written before the first statement;
//   (task, step, "<n>")    after statement n;
//   (task, step, "done")   after the last.
// A restart skips marked statements. A crash between a statement and its marker leaves
// exactly one statement done but unmarked: in a step that had begun, the first unmarked
// statement may therefore fail with "already exists", which is taken as done. Any other
// "already exists" (an object the operator created) stops the task.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_schema.h"

namespace tideway::replication::mysql {

/// Runs `statements` as step `step` of `task` on `target` (see above).
Status run_schema_step(MyConnection& target, const std::string& task, const std::string& step,
                       const std::vector<DdlStatement>& statements);

/// Problems that would stop the schema from being created on the target, each with
/// its fix (today: triggers and functions on a target that logs its binlog, which
/// without SUPER needs log_bin_trust_function_creators = 1).
Result<std::vector<std::string>> check_target_for_schema(MyConnection& target,
                                                         const SchemaPlan& plan);

/// With schema.create off, the operator made the target tables: each must exist with
/// the source's columns and column types.
Status verify_target_tables(MyConnection& target, const std::vector<MyTable>& source_tables);

/// Sets each target table's AUTO_INCREMENT counter to the source's current one, so rows
/// inserted on the target after cutover do not reuse ids. Returns how many were set.
Result<int> sync_auto_increment(MyConnection& source, MyConnection& target,
                                const std::vector<MyTable>& tables);

}  // namespace tideway::replication::mysql
