#include "replication/postgres/pg_schema.h"

#include <set>

#include <fmt/format.h>

namespace tideway::replication::postgres {
namespace {

std::string schema_array(const std::vector<PgTable>& tables) {
  std::set<std::string> names;
  for (const auto& t : tables) names.insert(t.schema);
  std::string out = "{";
  for (const auto& n : names) {
    if (out.size() > 1) out += ",";
    out += "\"";
    for (char c : n) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

std::string oid_array(const std::vector<PgTable>& tables) {
  std::string out = "{";
  for (const auto& t : tables) {
    if (out.size() > 1) out += ",";
    out += std::to_string(t.oid);
  }
  return out + "}";
}

// Objects that belong to an extension are created by CREATE EXTENSION, not by us.
constexpr const char* kNotExtensionMember =
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {} AND d.deptype = 'e')";

constexpr const char* kEnumsSql = R"(
SELECT format('%I.%I', n.nspname, t.typname),
       (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
          FROM pg_enum e WHERE e.enumtypid = t.oid)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'e' AND n.nspname = ANY($1::text[]) AND {}
 ORDER BY t.oid)";

constexpr const char* kDomainsSql = R"(
SELECT format('%I.%I', n.nspname, t.typname), format_type(t.typbasetype, t.typtypmod),
       t.typnotnull, t.typdefault,
       (SELECT string_agg(format('CONSTRAINT %I %s', c.conname, pg_get_constraintdef(c.oid)), ' '
                          ORDER BY c.conname)
          FROM pg_constraint c WHERE c.contypid = t.oid)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE t.typtype = 'd' AND n.nspname = ANY($1::text[]) AND {}
 ORDER BY t.oid)";

constexpr const char* kCompositesSql = R"(
SELECT format('%I.%I', n.nspname, t.typname),
       (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', '
                          ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0
           AND NOT a.attisdropped)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  JOIN pg_class c ON c.oid = t.typrelid
 WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname = ANY($1::text[]) AND {}
 ORDER BY t.oid)";

constexpr const char* kSequencesSql = R"(
SELECT format('%I.%I', n.nspname, c.relname), format_type(s.seqtypid, NULL), s.seqstart,
       s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY($1::text[])
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('i', 'e'))
 ORDER BY c.oid)";

constexpr const char* kSequenceOwnersSql = R"(
SELECT format('%I.%I', sn.nspname, s.relname), format('%I.%I', tn.nspname, t.relname), a.attname
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_class t ON t.oid = d.refobjid
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'a' AND t.oid = ANY($1::oid[]))";

constexpr const char* kCollationsSql = R"(
SELECT a.attrelid, a.attname, format('%I.%I', cn.nspname, co.collname)
  FROM pg_attribute a
  JOIN pg_type ty ON ty.oid = a.atttypid
  JOIN pg_collation co ON co.oid = a.attcollation
  JOIN pg_namespace cn ON cn.oid = co.collnamespace
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
   AND a.attcollation <> 0 AND a.attcollation <> ty.typcollation)";

constexpr const char* kIndexesSql = R"(
SELECT format('%I.%I', n.nspname, ic.relname), pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
 WHERE i.indrelid = ANY($1::oid[])
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                   AND c.contype IN ('p', 'u', 'x'))
 ORDER BY i.indexrelid)";

// Unique, check and exclusion constraints first, foreign keys last (they need the
// referenced unique keys). NOT NULL is part of the table; the primary key too.
constexpr const char* kConstraintsSql = R"(
SELECT format('%I.%I', n.nspname, t.relname), c.conname, pg_get_constraintdef(c.oid), c.contype
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
 WHERE c.conrelid = ANY($1::oid[]) AND c.contype IN ('u', 'c', 'x', 'f')
   AND (c.contype <> 'f' OR c.confrelid = ANY($1::oid[]))
 ORDER BY c.contype = 'f', c.oid)";

constexpr const char* kFunctionsSql = R"(
SELECT format('%I.%I', n.nspname, p.proname), pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY($1::text[]) AND p.prokind IN ('f', 'p') AND {}
 ORDER BY p.oid)";

constexpr const char* kViewsSql = R"(
SELECT format('%I.%I', n.nspname, c.relname), c.relkind, pg_get_viewdef(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1::text[]) AND {}
 ORDER BY c.oid)";

constexpr const char* kTriggersSql = R"(
SELECT format('%I on %I.%I', t.tgname, n.nspname, c.relname), pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE t.tgrelid = ANY($1::oid[]) AND NOT t.tgisinternal
 ORDER BY t.oid)";

std::string with_extension_filter(const char* sql, const char* oid_column) {
  return fmt::format(fmt::runtime(sql), fmt::format(fmt::runtime(kNotExtensionMember), oid_column));
}

}  // namespace

std::string create_table_sql(const PgConnection& conn, const PgTable& table) {
  std::string sql = "CREATE TABLE " + qualified_name(conn, table.schema, table.name) + " (";
  bool first = true;
  for (const PgColumn& c : table.columns) {
    sql += first ? "\n  " : ",\n  ";
    first = false;
    sql += conn.quote_ident(c.name) + " " + c.type_sql;
    if (c.generated == 's' && c.default_sql) {
      sql += " GENERATED ALWAYS AS (" + *c.default_sql + ") STORED";
    } else if (c.identity == 'a' || c.identity == 'd') {
      sql += c.identity == 'a' ? " GENERATED ALWAYS AS IDENTITY" : " GENERATED BY DEFAULT AS IDENTITY";
    } else if (c.default_sql) {
      sql += " DEFAULT " + *c.default_sql;
    }
    if (c.not_null) sql += " NOT NULL";
  }
  return sql + "\n)";
}

std::string add_primary_key_sql(const PgConnection& conn, const PgTable& table) {
  std::string sql = "ALTER TABLE " + qualified_name(conn, table.schema, table.name) +
                    " ADD CONSTRAINT " + conn.quote_ident(table.primary_key_name) +
                    " PRIMARY KEY (";
  for (std::size_t i = 0; i < table.primary_key.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += conn.quote_ident(table.primary_key[i]);
  }
  return sql + ")";
}

Result<SchemaPlan> plan_schema(PgConnection& source, const std::vector<PgTable>& tables) {
  SchemaPlan plan;
  if (tables.empty()) return plan;
  const std::string schemas = schema_array(tables);
  const std::string oids = oid_array(tables);
  auto query = [&](const std::string& sql, const std::string& param,
                   const char* what) -> Result<PgResult> {
    auto r = source.exec_params(sql, {param});
    if (!r.ok()) return std::move(r).error().with_context(std::string("reading ") + what);
    return r;
  };

  for (const auto& s : std::set<std::string>(
           [&] { std::set<std::string> n; for (auto& t : tables) n.insert(t.schema); return n; }())) {
    if (s == "public") continue;
    plan.before_load.push_back(
        {"schema " + s, "CREATE SCHEMA IF NOT EXISTS " + source.quote_ident(s)});
  }

  auto enums = query(with_extension_filter(kEnumsSql, "t.oid"), schemas, "enum types");
  if (!enums.ok()) return std::move(enums).error();
  for (int r = 0; r < enums->rows(); ++r) {
    plan.before_load.push_back({"type " + enums->text(r, 0),
                                fmt::format("CREATE TYPE {} AS ENUM ({})", enums->text(r, 0),
                                            enums->optional(r, 1).value_or(""))});
  }
  auto domains = query(with_extension_filter(kDomainsSql, "t.oid"), schemas, "domains");
  if (!domains.ok()) return std::move(domains).error();
  for (int r = 0; r < domains->rows(); ++r) {
    std::string sql = fmt::format("CREATE DOMAIN {} AS {}", domains->text(r, 0), domains->text(r, 1));
    if (auto d = domains->optional(r, 3)) sql += " DEFAULT " + *d;
    if (domains->as_bool(r, 2)) sql += " NOT NULL";
    if (auto c = domains->optional(r, 4)) sql += " " + *c;
    plan.before_load.push_back({"domain " + domains->text(r, 0), sql});
  }
  auto composites = query(with_extension_filter(kCompositesSql, "t.oid"), schemas, "composite types");
  if (!composites.ok()) return std::move(composites).error();
  for (int r = 0; r < composites->rows(); ++r) {
    plan.before_load.push_back({"type " + composites->text(r, 0),
                                fmt::format("CREATE TYPE {} AS ({})", composites->text(r, 0),
                                            composites->optional(r, 1).value_or(""))});
  }
  auto sequences = query(kSequencesSql, schemas, "sequences");
  if (!sequences.ok()) return std::move(sequences).error();
  for (int r = 0; r < sequences->rows(); ++r) {
    plan.before_load.push_back(
        {"sequence " + sequences->text(r, 0),
         fmt::format("CREATE SEQUENCE {} AS {} START WITH {} INCREMENT BY {} MINVALUE {} "
                     "MAXVALUE {} CACHE {}{}",
                     sequences->text(r, 0), sequences->text(r, 1), sequences->text(r, 2),
                     sequences->text(r, 3), sequences->text(r, 4), sequences->text(r, 5),
                     sequences->text(r, 6), sequences->as_bool(r, 7) ? " CYCLE" : "")});
  }

  // Non-default column collations are added to the type text of their columns.
  auto collations = query(kCollationsSql, oids, "column collations");
  if (!collations.ok()) return std::move(collations).error();
  std::vector<PgTable> with_collations = tables;
  for (int r = 0; r < collations->rows(); ++r) {
    for (auto& t : with_collations) {
      if (t.oid != static_cast<std::uint32_t>(collations->as_int(r, 0))) continue;
      for (auto& c : t.columns) {
        if (c.name == collations->get(r, 1)) c.type_sql += " COLLATE " + collations->text(r, 2);
      }
    }
  }
  for (const auto& t : with_collations) {
    plan.before_load.push_back({"table " + t.qualified(), create_table_sql(source, t)});
  }

  auto owners = query(kSequenceOwnersSql, oids, "sequence ownership");
  if (!owners.ok()) return std::move(owners).error();
  for (int r = 0; r < owners->rows(); ++r) {
    plan.before_load.push_back(
        {"sequence " + owners->text(r, 0),
         fmt::format("ALTER SEQUENCE {} OWNED BY {}.{}", owners->text(r, 0), owners->text(r, 1),
                     source.quote_ident(owners->get(r, 2)))});
  }

  // Primary keys first after the load: built once by sorting the loaded rows, which is
  // faster than maintaining the btree row by row during COPY; every chunk is copied
  // exactly once (its marker commits with it), so nothing during the load needs the key.
  // The other indexes, constraints and foreign keys follow, referencing it.
  for (const auto& t : with_collations) {
    if (t.primary_key.empty()) continue;
    plan.after_load.push_back({"primary key of " + t.qualified(), add_primary_key_sql(source, t)});
  }
  auto indexes = query(kIndexesSql, oids, "indexes");
  if (!indexes.ok()) return std::move(indexes).error();
  for (int r = 0; r < indexes->rows(); ++r) {
    plan.after_load.push_back({"index " + indexes->text(r, 0), indexes->text(r, 1)});
  }
  auto constraints = query(kConstraintsSql, oids, "constraints");
  if (!constraints.ok()) return std::move(constraints).error();
  for (int r = 0; r < constraints->rows(); ++r) {
    auto& into = constraints->get(r, 3) == "f" ? plan.at_cutover : plan.after_load;
    into.push_back(
        {fmt::format("constraint {} on {}", constraints->text(r, 1), constraints->text(r, 0)),
         fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", constraints->text(r, 0),
                     source.quote_ident(constraints->get(r, 1)), constraints->text(r, 2))});
  }
  auto functions = query(with_extension_filter(kFunctionsSql, "p.oid"), schemas, "functions");
  if (!functions.ok()) return std::move(functions).error();
  for (int r = 0; r < functions->rows(); ++r) {
    plan.after_load.push_back({"function " + functions->text(r, 0), functions->text(r, 1)});
  }
  auto views = query(with_extension_filter(kViewsSql, "c.oid"), schemas, "views");
  if (!views.ok()) return std::move(views).error();
  for (int r = 0; r < views->rows(); ++r) {
    const bool materialized = views->get(r, 1) == "m";
    std::string body = views->text(r, 2);
    while (!body.empty() && (body.back() == ';' || body.back() == '\n' || body.back() == ' ')) {
      body.pop_back();
    }
    plan.after_load.push_back(
        {(materialized ? "materialized view " : "view ") + views->text(r, 0),
         fmt::format("CREATE {}VIEW {} AS {}", materialized ? "MATERIALIZED " : "",
                     views->text(r, 0), body)});
  }
  auto triggers = query(kTriggersSql, oids, "triggers");
  if (!triggers.ok()) return std::move(triggers).error();
  for (int r = 0; r < triggers->rows(); ++r) {
    plan.at_cutover.push_back({"trigger " + triggers->text(r, 0), triggers->text(r, 1)});
  }
  return plan;
}

Status apply_ddl(PgConnection& target, const std::vector<DdlStatement>& statements) {
  for (const auto& s : statements) {
    auto r = target.exec(s.sql);
    if (!r.ok()) return std::move(r).error().with_context("creating " + s.object + " on the target");
  }
  return {};
}

}  // namespace tideway::replication::postgres
