// PostgreSQL -> MySQL/MariaDB: types MySQL lacks (arrays, ranges, composite and custom
// types), index and constraint features it lacks or handles differently (partial and
// expression indexes, CHECK before 8.0.16), the schema level MySQL does not have,
// identifier length, and PL/pgSQL code.
#include <map>
#include <set>

#include <fmt/format.h>

#include "assess/rules.h"

namespace tideway::assess {
namespace {

// Built-in types with no direct MySQL counterpart, and what they become.
const std::map<std::string, std::string> kTypeNotes = {
    {"interval", "no INTERVAL type: stored as text or seconds, and date arithmetic changes"},
    {"money", "no money type: DECIMAL(19,2), without the locale formatting"},
    {"inet", "no inet type: VARCHAR(43) or VARBINARY(16), and the network operators are lost"},
    {"cidr", "no cidr type: VARCHAR(43), and the network operators are lost"},
    {"xml", "no xml type: LONGTEXT, without XML functions"},
    {"tsvector", "no tsvector: full-text search must be rebuilt with FULLTEXT indexes"},
    {"tsquery", "no tsquery: full-text queries must be rewritten"},
    {"hstore", "no hstore: JSON, and its operators must be rewritten"},
};

const std::vector<const char*> kPgConstructs = {"ILIKE", "RETURNING", "LATERAL", "ARRAY",
                                                "GENERATE_SERIES", "UNNEST", "STRING_AGG",
                                                "ARRAY_AGG", "TO_CHAR", "DATE_TRUNC"};

std::string pg_constructs(const CodeObject& o) {
  std::vector<std::string> found;
  for (const char* w : kPgConstructs) {
    if (has_word(o.body, w)) found.push_back(w);
  }
  if (o.body.find("::") != std::string::npos) found.push_back(":: casts");
  if (has_word(o.body, "DISTINCT") && has_call(o.body, "ON")) found.push_back("DISTINCT ON");
  return found.empty() ? std::string() : fmt::format("{}", fmt::join(found, ", "));
}

void long_name(Assessment& a, const std::string& object, const std::string& name) {
  if (name.size() <= 64) return;
  a.add("pg_mysql.identifier_too_long", Severity::kBlocker, object,
        fmt::format("identifier is {} characters; MySQL allows at most 64", name.size()),
        "rename it to 64 characters or fewer (and update the queries that use it)");
}

}  // namespace

void apply_pg_to_mysql_rules(Assessment& a) {
  const auto& schemas = a.inventory.schemas;
  std::size_t with_tables = 0;
  for (const auto& s : schemas) with_tables += s.tables.empty() ? 0 : 1;
  if (with_tables > 1) {
    a.add("pg_mysql.schemas", Severity::kInfo, fmt::format("{} schemas", with_tables),
          "MySQL has no schema level inside a database: each schema becomes a database",
          "check that cross-schema queries and grants still fit");
  }
  for (const auto& s : schemas) {
    long_name(a, "schema " + s.name, s.name);
    for (const auto& t : s.tables) {
      long_name(a, t.qualified(), t.name);
      for (const auto& c : t.columns) {
        const std::string object = t.qualified() + "." + c.name;
        long_name(a, object, c.name);
        if (c.type_kind == "array") {
          a.add("pg_mysql.array", Severity::kWarning, object,
                c.data_type + ": MySQL has no array types; the column becomes JSON, and array "
                "operators (ANY, @>, unnest) in queries must be rewritten",
                "accept JSON (JSON_CONTAINS, JSON_TABLE) or normalise into a child table");
        } else if (c.type_kind == "range") {
          a.add("pg_mysql.range", Severity::kWarning, object,
                c.data_type + ": MySQL has no range types; it becomes two columns (or JSON) "
                "and exclusion constraints are lost", "split into lower/upper bound columns");
        } else if (c.type_kind == "composite") {
          a.add("pg_mysql.composite_type", Severity::kWarning, object,
                c.data_type + ": composite type; MySQL has none, it becomes JSON",
                "flatten it into columns or accept JSON");
        } else if (c.type_kind == "enum") {
          a.add("pg_mysql.custom_type", Severity::kInfo, object,
                c.data_type + ": enum type, recreated as a MySQL ENUM column",
                "nothing to do; ALTER TYPE ... ADD VALUE becomes ALTER TABLE on MySQL");
        } else if (c.type_kind == "domain") {
          a.add("pg_mysql.custom_type", Severity::kWarning, object,
                c.data_type + ": domain type; its base type is used and its CHECK is lost",
                "add the check as a table CHECK constraint");
        } else if (auto it = kTypeNotes.find(c.data_type); it != kTypeNotes.end()) {
          a.add("pg_mysql.type", Severity::kWarning, object, c.data_type + ": " + it->second,
                "review the application's use of the column");
        } else if (c.data_type == "numeric") {
          a.add("pg_mysql.unbounded_numeric", Severity::kWarning, object,
                "numeric without precision holds up to 131072 digits; MySQL DECIMAL holds 65",
                "give it a precision (numeric(p,s)) that the data fits");
        }
      }
      for (const auto& i : t.indexes) {
        long_name(a, t.qualified() + "." + i.name, i.name);
        if (!i.predicate.empty()) {
          a.add("pg_mysql.partial_index", i.unique ? Severity::kBlocker : Severity::kWarning,
                t.qualified() + "." + i.name,
                "partial index (WHERE " + i.predicate + "): MySQL has no partial indexes" +
                    (i.unique ? "; as a full unique index it would reject rows the source "
                                "accepts" : "; it becomes a full index, larger and slower to write"),
                i.unique ? "enforce the rule differently (a generated column that is NULL "
                           "outside the condition, with a unique index on it)"
                         : "accept a full index, or drop it");
        } else if (i.expression) {
          a.add("pg_mysql.expression_index", Severity::kWarning, t.qualified() + "." + i.name,
                "expression index: MySQL 8.0.13+ has functional key parts, MariaDB only indexes "
                "on generated columns", "add a generated column and index it");
        }
      }
      if (t.check_constraints > 0) {
        a.add("pg_mysql.check_constraint", Severity::kInfo, t.qualified(),
              fmt::format("{} CHECK constraint(s): enforced by MySQL 8.0.16+ and MariaDB 10.2+, "
                          "ignored by older MySQL", t.check_constraints),
              "check the expressions use only functions MySQL has");
      }
    }
    for (const auto& q : s.sequences) {
      if (q.used_by.size() > 1) {
        a.add("pg_mysql.shared_sequence", Severity::kWarning, q.schema + "." + q.name,
              fmt::format("sequence feeds {} columns ({}); MySQL's AUTO_INCREMENT is per table",
                          q.used_by.size(), fmt::join(q.used_by, ", ")),
              "give each table its own AUTO_INCREMENT, or keep a counter table for shared ids");
      }
    }
    for (const auto& o : s.code) {
      long_name(a, o.qualified(), o.name);
      const std::string constructs = pg_constructs(o);
      const std::string with = constructs.empty() ? "" : "; PostgreSQL-specific: " + constructs;
      if (o.kind == "trigger") {
        a.add("pg_mysql.trigger_rewrite", Severity::kWarning, o.qualified(),
              "trigger on " + o.table + " runs a " + o.language + " function; MySQL triggers "
              "hold their body inline, in MySQL's SQL" + with,
              "rewrite it as a MySQL trigger (one per event and timing)");
      } else if (o.kind == "view" || o.kind == "materialized view") {
        const bool mat = o.kind == "materialized view";
        a.add("pg_mysql.view_rewrite", mat || !constructs.empty() ? Severity::kWarning : Severity::kInfo,
              o.qualified(),
              (mat ? "materialized view: MySQL has none" : "view definition is PostgreSQL SQL") +
                  (constructs.empty() ? std::string() : with),
              mat ? "replace it with a table refreshed by an event, or a plain view"
                  : "check the definition on the target; rewrite the PostgreSQL-specific parts");
      } else {
        a.add("pg_mysql.routine_rewrite", Severity::kWarning, o.qualified(),
              o.kind + " in " + o.language + ": MySQL runs only its own SQL/PSM routines" + with,
              "rewrite it as a MySQL stored routine, or move the logic to the application");
      }
    }
  }
  for (const auto& e : a.inventory.extensions) {
    if (e.rfind("plpgsql ", 0) == 0) continue;
    a.add("pg_mysql.extension", Severity::kWarning, "extension " + e,
          "MySQL has no extensions: what this one provides (types, functions, indexes) has to "
          "be replaced", "check which objects use it and how MySQL can provide the same");
  }
}

}  // namespace tideway::assess
