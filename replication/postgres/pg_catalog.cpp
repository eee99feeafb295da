#include "replication/postgres/pg_catalog.h"

#include <map>

namespace tideway::replication::postgres {
namespace {

constexpr const char* kTablesSql = R"(
SELECT c.oid, n.nspname, c.relname, c.relreplident, c.relpersistence = 'u',
       greatest(c.reltuples, 0)::bigint, c.relpages::bigint,
       pg_total_relation_size(c.oid),
       coalesce(pk.conname, ''), format('%I.%I', n.nspname, c.relname)
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
 WHERE c.relkind = 'r' AND NOT c.relispartition
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
   AND n.nspname <> '_tideway'
 ORDER BY n.nspname, c.relname)";

constexpr const char* kColumnsSql = R"(
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid,
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
  FROM pg_attribute a
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum)";

// Key columns in key order (unnest WITH ORDINALITY keeps conkey's order).
constexpr const char* kPrimaryKeySql = R"(
SELECT con.conrelid, a.attname
  FROM pg_constraint con
  CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
 WHERE con.contype = 'p' AND con.conrelid = ANY($1::oid[])
 ORDER BY con.conrelid, k.ord)";

}  // namespace

std::vector<std::string> PgTable::stored_column_names() const {
  std::vector<std::string> out;
  for (const auto& c : columns) {
    if (c.generated == '\0') out.push_back(c.name);
  }
  return out;
}

Result<std::vector<PgTable>> list_tables(PgConnection& conn, const TableFilter& filter) {
  auto tables_result = conn.exec(kTablesSql);
  if (!tables_result.ok()) return std::move(tables_result).error().with_context("listing tables");
  std::vector<PgTable> tables;
  std::map<std::uint32_t, std::size_t> by_oid;
  std::string oids = "{";
  for (int r = 0; r < tables_result->rows(); ++r) {
    PgTable t;
    t.oid = static_cast<std::uint32_t>(tables_result->as_int(r, 0));
    t.schema = tables_result->text(r, 1);
    t.name = tables_result->text(r, 2);
    if (!filter.matches(t.schema, t.name)) continue;
    t.replica_identity = tables_result->get(r, 3).empty() ? 'd' : tables_result->get(r, 3)[0];
    t.unlogged = tables_result->as_bool(r, 4);
    t.estimated_rows = tables_result->as_int(r, 5);
    t.relpages = tables_result->as_int(r, 6);
    t.total_bytes = tables_result->as_int(r, 7);
    t.primary_key_name = tables_result->text(r, 8);
    t.sql_name = tables_result->text(r, 9);
    by_oid[t.oid] = tables.size();
    if (oids.size() > 1) oids += ",";
    oids += std::to_string(t.oid);
    tables.push_back(std::move(t));
  }
  oids += "}";
  if (tables.empty()) return tables;

  auto columns = conn.exec_params(kColumnsSql, {oids});
  if (!columns.ok()) return std::move(columns).error().with_context("reading columns");
  for (int r = 0; r < columns->rows(); ++r) {
    PgTable& t = tables[by_oid.at(static_cast<std::uint32_t>(columns->as_int(r, 0)))];
    PgColumn c;
    c.name = columns->text(r, 1);
    c.type_sql = columns->text(r, 2);
    c.type_oid = static_cast<std::uint32_t>(columns->as_int(r, 3));
    c.not_null = columns->as_bool(r, 4);
    c.default_sql = columns->optional(r, 5);
    c.identity = columns->get(r, 6).empty() ? '\0' : columns->get(r, 6)[0];
    c.generated = columns->get(r, 7).empty() ? '\0' : columns->get(r, 7)[0];
    t.columns.push_back(std::move(c));
  }
  auto keys = conn.exec_params(kPrimaryKeySql, {oids});
  if (!keys.ok()) return std::move(keys).error().with_context("reading primary keys");
  for (int r = 0; r < keys->rows(); ++r) {
    tables[by_oid.at(static_cast<std::uint32_t>(keys->as_int(r, 0)))].primary_key.push_back(
        keys->text(r, 1));
  }
  return tables;
}

}  // namespace tideway::replication::postgres
