// MySQL/MariaDB -> PostgreSQL: types without an exact counterpart, MySQL behaviour that
// PostgreSQL lacks (zero dates, case-insensitive comparison, ON UPDATE), and code written
// in MySQL's SQL dialect, which must be rewritten.
#include <set>

#include <fmt/format.h>

#include "assess/rules.h"

namespace tideway::assess {
namespace {

const std::set<std::string> kSpatial = {"geometry", "point", "linestring", "polygon",
                                        "multipoint", "multilinestring", "multipolygon",
                                        "geometrycollection"};
const std::set<std::string> kTextTypes = {"char", "varchar", "tinytext", "text", "mediumtext",
                                          "longtext", "enum", "set"};

// MySQL-only syntax and functions that code bodies commonly use; each one found is named
// in the finding, so the operator knows what to rewrite.
const std::vector<const char*> kMysqlCalls = {
    "IFNULL", "IF", "GROUP_CONCAT", "DATE_FORMAT", "STR_TO_DATE", "UNIX_TIMESTAMP",
    "FROM_UNIXTIME", "LAST_INSERT_ID", "CURDATE", "CURTIME", "DATE_ADD", "DATE_SUB",
    "TIMESTAMPDIFF", "INSTR", "LOCATE", "FIND_IN_SET", "SUBSTRING_INDEX"};
const std::vector<const char*> kMysqlWords = {"SIGNAL", "HANDLER", "LEAVE", "ITERATE",
                                              "DELIMITER", "UNSIGNED", "ELSEIF"};

std::string mysql_constructs(const CodeObject& o) {
  std::vector<std::string> found;
  for (const char* f : kMysqlCalls) {
    if (has_call(o.body, f)) found.push_back(std::string(f) + "()");
  }
  for (const char* w : kMysqlWords) {
    if (has_word(o.body, w)) found.push_back(w);
  }
  if (o.body.find('`') != std::string::npos) found.push_back("backtick-quoted identifiers");
  return found.empty() ? std::string() : fmt::format("{}", fmt::join(found, ", "));
}

bool is_zero_date(const std::optional<std::string>& d) {
  return d && (d->rfind("0000-00-00", 0) == 0 || d->rfind("'0000-00-00", 0) == 0);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void apply_mysql_to_pg_rules(Assessment& a) {
  for (const auto& s : a.inventory.schemas) {
    int ci_columns = 0;
    for (const auto& t : s.tables) {
      for (const auto& c : t.columns) {
        const std::string object = t.qualified() + "." + c.name;
        const bool is_unsigned = c.full_type.find("unsigned") != std::string::npos;
        if (is_unsigned && c.data_type == "bigint") {
          a.add("mysql_pg.unsigned_bigint", Severity::kWarning, object,
                "BIGINT UNSIGNED holds values up to 2^64-1; PostgreSQL's bigint stops at "
                "2^63-1, so it becomes numeric(20,0) (slower, and a different type in "
                "application code)",
                "accept numeric(20,0), or check that values stay below 2^63 and use bigint");
        } else if (is_unsigned) {
          a.add("mysql_pg.unsigned_int", Severity::kInfo, object,
                c.full_type + ": PostgreSQL has no unsigned integers; the next wider signed type "
                "is used", "nothing to do unless the application depends on the exact type");
        }
        if (is_zero_date(c.default_value)) {
          a.add("mysql_pg.zero_date_default", Severity::kBlocker, object,
                "default " + *c.default_value + " is a zero date, which PostgreSQL cannot "
                "store: the column cannot be created with it, and zero-date values cannot be "
                "copied", "change the default to NULL or a real date, and UPDATE zero dates to "
                "NULL on the source before the migration");
        }
        if (c.data_type == "enum") {
          a.add("mysql_pg.enum", Severity::kWarning, object,
                c.full_type + ": becomes a PostgreSQL enum type (or text with a CHECK); "
                "ordering and comparison with integers differ from MySQL's",
                "review queries that sort by or compare the column as a number");
        }
        if (c.data_type == "set") {
          a.add("mysql_pg.set", Severity::kWarning, object,
                c.full_type + ": PostgreSQL has no SET type; it becomes text[] (or text), and "
                "FIND_IN_SET/bit arithmetic on it must be rewritten",
                "rewrite queries to use array operators (= ANY, @>)");
        }
        if (kSpatial.count(c.data_type) != 0) {
          a.add("mysql_pg.spatial", Severity::kWarning, object,
                "spatial type " + c.data_type + " needs the PostGIS extension on the target",
                "CREATE EXTENSION postgis on the target before the migration");
        }
        if (c.extra.find("on update") != std::string::npos) {
          a.add("mysql_pg.on_update_timestamp", Severity::kWarning, object,
                "ON UPDATE CURRENT_TIMESTAMP has no column-level equivalent in PostgreSQL: "
                "without a trigger the value stops changing on update",
                "add a BEFORE UPDATE trigger on the target that sets the column");
        }
        if (c.extra.find("auto_increment") != std::string::npos) {
          a.add("mysql_pg.auto_increment", Severity::kInfo, object,
                "AUTO_INCREMENT becomes an identity column; its sequence must be moved past the "
                "highest copied value at cutover", "done by tideway at cutover");
        }
        if (c.has_nul_bytes) {
          a.add("mysql_pg.nul_bytes", Severity::kBlocker, object,
                "text values contain NUL (0x00) bytes, which PostgreSQL text cannot store: "
                "those rows would fail to copy",
                "strip the NUL bytes on the source (REPLACE(col, CHAR(0), '')) or make the "
                "column a binary type (bytea on the target)");
        }
        if (kTextTypes.count(c.data_type) != 0 && ends_with(c.collation, "_ci")) ++ci_columns;
      }
      for (const auto& i : t.indexes) {
        if (i.method == "FULLTEXT") {
          a.add("mysql_pg.fulltext_index", Severity::kWarning, t.qualified() + "." + i.name,
                "FULLTEXT index: MATCH ... AGAINST has no PostgreSQL equivalent",
                "create a GIN index on to_tsvector(...) and rewrite the queries");
        }
      }
    }
    if (ci_columns > 0) {
      a.add("mysql_pg.case_insensitive_collation", Severity::kWarning, "database " + s.name,
            fmt::format("{} text column(s) use case-insensitive collations: in PostgreSQL "
                        "'A' = 'a' is false, so lookups, unique keys and GROUP BY can behave "
                        "differently", ci_columns),
            "use citext or a nondeterministic ICU collation where case must not matter, or "
            "compare lower() values");
    }
    for (const auto& o : s.code) {
      const std::string constructs = mysql_constructs(o);
      const std::string with = constructs.empty() ? "" : "; MySQL-specific: " + constructs;
      if (o.kind == "trigger") {
        a.add("mysql_pg.trigger_rewrite", Severity::kWarning, o.qualified(),
              "trigger on " + o.table + " is written in MySQL's SQL; PostgreSQL triggers call a "
              "PL/pgSQL function" + with,
              "rewrite it as a PL/pgSQL trigger function and create it on the target");
      } else if (o.kind == "procedure" || o.kind == "function") {
        a.add("mysql_pg.routine_rewrite", Severity::kWarning, o.qualified(),
              o.kind + " is written in MySQL's SQL/PSM dialect" + with,
              "rewrite it in PL/pgSQL (or SQL) and create it on the target");
      } else if (o.kind == "event") {
        a.add("mysql_pg.event", Severity::kWarning, o.qualified(),
              "scheduled event: PostgreSQL has no event scheduler",
              "schedule it with pg_cron or an external scheduler");
      } else if (o.kind == "view") {
        a.add("mysql_pg.view_rewrite", constructs.empty() ? Severity::kInfo : Severity::kWarning,
              o.qualified(),
              "view definition is MySQL SQL" + (constructs.empty()
                                                    ? std::string(": only identifier quoting changes")
                                                    : with),
              constructs.empty() ? "recreated with standard quoting"
                                 : "rewrite the MySQL-specific parts and create it on the target");
      }
    }
  }
}

}  // namespace tideway::assess
