// MySQL 5.7 or MariaDB -> MySQL 8.x: what MySQL 8.0 (and 8.4) removed or changed, after
// MySQL's "Changes in MySQL 8.0" and the upgrade checker's list of checks.
#include <set>

#include <fmt/format.h>

#include "assess/rules.h"

namespace tideway::assess {
namespace {

// Keywords reserved in MySQL 8.0 that were not reserved in 5.7 (plus 8.0.17's ARRAY and
// MEMBER); 8.4 adds MANUAL, PARALLEL, QUALIFY and TABLESAMPLE.
const std::vector<const char*> kNewReserved80 = {
    "ARRAY", "CUBE", "CUME_DIST", "DENSE_RANK", "EMPTY", "EXCEPT", "FIRST_VALUE", "FUNCTION",
    "GROUPING", "GROUPS", "JSON_TABLE", "LAG", "LAST_VALUE", "LATERAL", "LEAD", "MEMBER",
    "NTH_VALUE", "NTILE", "OF", "OVER", "PERCENT_RANK", "RANK", "RECURSIVE", "ROW", "ROWS",
    "ROW_NUMBER", "SYSTEM", "WINDOW"};
const std::vector<const char*> kNewReserved84 = {"MANUAL", "PARALLEL", "QUALIFY", "TABLESAMPLE"};

// Functions MySQL 8.0 removed.
const std::vector<const char*> kRemovedFunctions = {
    "ENCODE", "DECODE", "ENCRYPT", "DES_ENCRYPT", "DES_DECRYPT", "PASSWORD", "OLD_PASSWORD",
    "GLENGTH", "ASBINARY", "ASWKB", "ASTEXT", "ASWKT", "GEOMFROMTEXT", "GEOMFROMWKB",
    "POINTFROMTEXT", "POLYFROMTEXT", "MBRCONTAINS", "MBRWITHIN", "CONTAINS", "WITHIN",
    "DISTANCE", "CROSSES", "INTERSECTS", "OVERLAPS", "TOUCHES"};

// SQL modes MySQL 8.0 no longer accepts.
const std::vector<const char*> kRemovedModes = {
    "NO_AUTO_CREATE_USER", "DB2", "MAXDB", "MSSQL", "MYSQL323", "MYSQL40", "ORACLE",
    "POSTGRESQL", "NO_FIELD_OPTIONS", "NO_KEY_OPTIONS", "NO_TABLE_OPTIONS"};

bool reserved(const std::string& name, bool v84) {
  auto eq = [&](const char* w) { return has_word(name, w) && name.size() == std::string(w).size(); };
  for (const char* w : kNewReserved80) {
    if (eq(w)) return true;
  }
  if (v84) {
    for (const char* w : kNewReserved84) {
      if (eq(w)) return true;
    }
  }
  return false;
}

bool is_zero_date(const std::optional<std::string>& d) {
  return d && (d->rfind("0000-00-00", 0) == 0 || d->rfind("'0000-00-00", 0) == 0);
}

}  // namespace

void apply_mysql_upgrade_rules(Assessment& a) {
  const bool v84 = a.target.kind.major > 8 || (a.target.kind.major == 8 && a.target.kind.minor >= 4);
  const bool mariadb = a.source.engine == replication::Engine::kMariadb;
  auto word_fix = [](const std::string& n) {
    return fmt::format("rename it, or quote it as `{}` in every statement, view and routine "
                       "that uses it", n);
  };
  for (const auto& s : a.inventory.schemas) {
    for (const auto& t : s.tables) {
      if (reserved(t.name, v84)) {
        a.add("mysql8.reserved_word", Severity::kWarning, t.qualified(),
              "table name " + t.name + " is a reserved word in MySQL 8: unquoted, every query "
              "that names it fails to parse", word_fix(t.name));
      }
      std::vector<std::string> utf8mb3, widths;
      for (const auto& c : t.columns) {
        const std::string object = t.qualified() + "." + c.name;
        if (reserved(c.name, v84)) {
          a.add("mysql8.reserved_word", Severity::kWarning, object,
                "column name " + c.name + " is a reserved word in MySQL 8: unquoted, every "
                "query that names it fails to parse", word_fix(c.name));
        }
        if (c.charset == "utf8" || c.charset == "utf8mb3") utf8mb3.push_back(c.name);
        if (is_zero_date(c.default_value) &&
            (c.data_type == "date" || c.data_type == "datetime" || c.data_type == "timestamp")) {
          a.add("mysql8.zero_date_default", Severity::kBlocker, object,
                "default " + *c.default_value + " is a zero date, which MySQL 8's default "
                "sql_mode (NO_ZERO_DATE, strict) refuses: the table cannot be created",
                "change the default (e.g. NULL or a real date), or create the target tables "
                "with a sql_mode without NO_ZERO_DATE and NO_ZERO_IN_DATE");
        }
        if (c.full_type.find("zerofill") != std::string::npos) {
          a.add("mysql8.zerofill", Severity::kWarning, object,
                "ZEROFILL is deprecated in MySQL 8 and its padding is not applied by clients "
                "that read the value as a number",
                "pad in the application (LPAD) and drop ZEROFILL");
        } else if (c.full_type.find('(') != std::string::npos &&
                   (c.data_type == "tinyint" || c.data_type == "smallint" ||
                    c.data_type == "mediumint" || c.data_type == "int" || c.data_type == "bigint") &&
                   c.full_type != "tinyint(1)") {
          widths.push_back(c.name);
        }
        if (mariadb && (c.data_type == "inet6" || c.data_type == "inet4" || c.data_type == "uuid")) {
          a.add("mariadb_mysql.type", Severity::kBlocker, object,
                "type " + c.data_type + " exists only in MariaDB",
                c.data_type == "uuid" ? "store it as BINARY(16) or CHAR(36)"
                                      : "store it as VARBINARY(16) or VARCHAR(45)");
        }
      }
      if (!utf8mb3.empty()) {
        a.add("mysql8.utf8mb3", Severity::kWarning, t.qualified(),
              fmt::format("{} column(s) use the deprecated utf8mb3 character set (utf8): {}",
                          utf8mb3.size(), fmt::join(utf8mb3, ", ")),
              "convert to utf8mb4 (ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4), checking "
              "index length limits");
      }
      if (!widths.empty()) {
        a.add("mysql8.int_display_width", Severity::kInfo, t.qualified(),
              fmt::format("integer display widths are deprecated and dropped from SHOW CREATE "
                          "TABLE in MySQL 8: {}", fmt::join(widths, ", ")),
              "nothing to do unless a tool parses the display width");
      }
      const std::string engine = t.engine;
      if (t.partitions > 0 && engine != "InnoDB" && engine != "ndbcluster") {
        a.add("mysql8.partition_engine", Severity::kBlocker, t.qualified(),
              "partitioned " + engine + " table: MySQL 8 partitions InnoDB and NDB tables only",
              "ALTER TABLE ... ENGINE=InnoDB before the migration");
      }
    }
    for (const auto& o : s.code) {
      if (reserved(o.name, v84)) {
        a.add("mysql8.reserved_word", Severity::kWarning, o.qualified(),
              o.kind + " name " + o.name + " is a reserved word in MySQL 8", word_fix(o.name));
      }
      std::vector<std::string> removed;
      for (const char* f : kRemovedFunctions) {
        if (has_call(o.body, f)) removed.push_back(f);
      }
      if (!removed.empty()) {
        a.add("mysql8.removed_function", Severity::kBlocker, o.qualified(),
              fmt::format("{} {} calls function(s) MySQL 8 removed: {}", o.kind, o.name,
                          fmt::join(removed, ", ")),
              "rewrite it (ST_* spatial functions, SHA2 or AES_ENCRYPT for the removed ones) "
              "before the migration");
      }
      std::string upper_body = o.body;
      for (char& ch : upper_body) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      const auto group = upper_body.find("GROUP BY");
      if (group != std::string::npos) {
        const auto end = upper_body.find_first_of(";)", group);
        const std::string clause = upper_body.substr(group, end == std::string::npos ? end : end - group);
        const auto stop = clause.find_first_of("\n");
        const std::string line = clause.substr(0, stop);
        if (has_word(line, "ASC") || has_word(line, "DESC")) {
          a.add("mysql8.group_by_order", Severity::kBlocker, o.qualified(),
                o.kind + " " + o.name + " uses GROUP BY ... ASC/DESC, which MySQL 8 removed",
                "move the ordering to an ORDER BY clause");
        } else if (!has_word(upper_body.substr(group), "ORDER")) {
          a.add("mysql8.group_by_implicit_sort", Severity::kInfo, o.qualified(),
                o.kind + " " + o.name + " has GROUP BY without ORDER BY: MySQL 8 no longer "
                "sorts grouped results implicitly",
                "add ORDER BY where callers rely on the order");
        }
      }
    }
    for (const auto& q : s.sequences) {
      if (mariadb) {
        a.add("mariadb_mysql.sequence", Severity::kBlocker, q.schema + "." + q.name,
              "MariaDB sequences have no MySQL equivalent",
              "replace it with an AUTO_INCREMENT column or a counter table");
      }
    }
  }
  const std::string mode = a.source.setting("sql_mode");
  for (const char* m : kRemovedModes) {
    if (has_word(mode, m)) {
      a.add("mysql8.removed_sql_mode", Severity::kWarning, "server sql_mode",
            fmt::format("sql_mode {} does not exist in MySQL 8: a client or configuration that "
                        "sets it gets an error", m),
            fmt::format("remove {} from sql_mode in the configuration and in applications", m));
    }
  }
  for (const auto& [account, plugin] : a.inventory.accounts) {
    if (plugin.empty() || plugin == "mysql_native_password" || plugin == "caching_sha2_password") {
      continue;
    }
    const bool removed = plugin == "mysql_old_password";
    a.add("mysql8.auth_plugin", removed ? Severity::kBlocker : Severity::kWarning, account,
          "authentication plugin " + plugin +
              (removed ? " was removed in MySQL 8" : " is not available (or deprecated) in MySQL 8"),
          "recreate the account on the target IDENTIFIED WITH caching_sha2_password");
  }
}

}  // namespace tideway::assess
