#pragma once
// Prerequisites on a MySQL/MariaDB source, checked before any data moves. Each failed
// check is one problem naming the setting or grant to change, so an operator fixes
// everything in one round. Warnings are conditions the load handles but an operator
// should know about (tables without a primary key).
//
// Grants are read from SHOW GRANTS (the current user's and its active role's) and never
// repeated in a message: SHOW GRANTS output can carry a password hash.

#include <string>
#include <vector>

#include "common/error.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_connection.h"

namespace tideway::replication::mysql {

struct SourceCheckOptions {
  bool needs_stream = true;   // cdc or full_load_and_cdc: binlog settings and grants
  bool schema_create = true;  // views and triggers must be readable to be recreated
  // Watermark snapshot (my_watermark.h): commits in binlog order, and the right to
  // create and write the signal table.
  bool watermark = false;
  // mysql.resume_by: gtid: a MySQL source must have gtid_mode=ON (positions then carry
  // the executed GTID set); MariaDB always has GTIDs.
  bool resume_by_gtid = false;
  std::string signal_database;
  std::string signal_table;
};

struct SourceCheckReport {
  std::vector<std::string> problems;  // each stops the task
  std::vector<std::string> warnings;
};

/// All problems and warnings found; no problems means the source is ready. With
/// schema_create, SHOW VIEW and TRIGGER on every selected database are required: without
/// them views and triggers are invisible, so "none found" would prove nothing.
Result<SourceCheckReport> check_source(MyConnection& source, const std::vector<MyTable>& tables,
                                       const SourceCheckOptions& options);

/// The privileges SHOW GRANTS lists, by scope. Privilege names are upper case; ALL
/// PRIVILEGES is expanded by has(). Database-level scopes keep their LIKE pattern
/// (`shop\_%`.*), matched as the server matches them.
class GrantSet {
 public:
  /// Parses SHOW GRANTS lines; lines it does not understand (roles, proxies, routine
  /// grants) are skipped, so a misread never invents a privilege.
  static GrantSet parse(const std::vector<std::string>& lines);

  /// Whether `privilege` is held globally, on `database`, or on `database`.`table`
  /// (pass "" for a level that does not apply).
  bool has(const std::string& privilege, const std::string& database = "",
           const std::string& table = "") const;

 private:
  struct Scope {
    std::string database;  // "*" for global; a LIKE pattern otherwise
    std::string table;     // "*" for the whole database
    std::vector<std::string> privileges;
  };
  std::vector<Scope> scopes_;
};

/// Problems in the server variables a binlog stream needs, by name (lower case) to value.
std::vector<std::string> binlog_setting_problems(
    const std::vector<std::pair<std::string, std::string>>& variables);

/// Problems with resuming by GTID (mysql.resume_by: gtid) given the source's gtid_mode
/// (upper case; ignored for MariaDB, whose GTIDs are always on).
std::vector<std::string> gtid_resume_problems(bool mariadb, const std::string& gtid_mode);

/// "'user'@'host'" from CURRENT_USER()'s "user@host", for GRANT statements in messages.
std::string grantee(const std::string& current_user);

}  // namespace tideway::replication::mysql
