#include "assess/pg_collector.h"

#include <map>

#include <fmt/format.h>

#include "assess/version_support.h"
#include "replication/postgres/pg_source_checks.h"

namespace tideway::assess {
namespace {

using replication::postgres::PgConnection;
using replication::postgres::PgResult;

// System schemas and tideway's own bookkeeping are never inventoried.
constexpr const char* kUserSchemas =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', '_tideway') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

Result<PgResult> read(PgConnection& conn, const std::string& sql, const char* what) {
  auto r = conn.exec(sql);
  if (!r.ok()) return std::move(r).error().with_context(fmt::format("reading {}", what));
  return r;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (!text.empty()) {
    const auto pos = text.find(sep, start);
    out.push_back(text.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

struct Catalog {
  std::vector<SchemaInventory> schemas;
  std::map<std::pair<std::string, std::string>, TableInfo*> tables;
  std::vector<std::string> unreadable;   // tables the user may not SELECT
  std::vector<std::string> not_owned;    // tables the user does not own
  SchemaInventory* schema(const std::string& name) {
    for (auto& s : schemas) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
  TableInfo* table(const std::string& schema, const std::string& name) {
    auto it = tables.find({schema, name});
    return it == tables.end() ? nullptr : it->second;
  }
};

Status read_tables(PgConnection& conn, const CollectOptions& options, Catalog& cat) {
  const bool oids = conn.server_version() < 120000;  // WITH OIDS exists before 12 only
  auto rows = read(conn, fmt::format(R"(
    SELECT n.nspname, c.relname, coalesce(am.amname, ''), greatest(c.reltuples, 0)::bigint,
           pg_table_size(c.oid), pg_indexes_size(c.oid), c.relreplident,
           c.relpersistence = 'u', {},
           (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid),
           has_table_privilege(c.oid, 'SELECT'), pg_get_userbyid(c.relowner) = current_user
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_am am ON am.oid = c.relam
     WHERE c.relkind IN ('r', 'p') AND {}
     ORDER BY 1, 2)", oids ? "c.relhasoids" : "false", kUserSchemas), "tables");
  if (!rows.ok()) return std::move(rows).error();
  for (int r = 0; r < rows->rows(); ++r) {
    SchemaInventory* s = cat.schema(rows->text(r, 0));
    if (s == nullptr || !options.tables.matches(s->name, rows->text(r, 1))) continue;
    TableInfo t;
    t.schema = s->name;
    t.name = rows->text(r, 1);
    t.engine = rows->text(r, 2);
    t.estimated_rows = rows->as_int(r, 3);
    t.data_bytes = rows->as_int(r, 4);
    t.index_bytes = rows->as_int(r, 5);
    const std::string ident = rows->text(r, 6);
    t.replica_identity = ident == "f" ? "full" : ident == "i" ? "index" : ident == "n" ? "nothing"
                                                                                       : "default";
    t.unlogged = rows->as_bool(r, 7);
    t.with_oids = rows->as_bool(r, 8);
    t.partitions = static_cast<int>(rows->as_int(r, 9));
    if (!rows->as_bool(r, 10)) cat.unreadable.push_back(t.qualified());
    if (!rows->as_bool(r, 11)) cat.not_owned.push_back(t.qualified());
    s->tables.push_back(std::move(t));
  }
  for (auto& s : cat.schemas) {
    for (auto& t : s.tables) cat.tables[{s.name, t.name}] = &t;
  }
  return {};
}

Status read_columns(PgConnection& conn, Catalog& cat) {
  auto rows = read(conn, fmt::format(R"(
    SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
           CASE WHEN t.typcategory = 'A' THEN 'array' WHEN t.typtype IN ('r', 'm') THEN 'range'
                WHEN t.typtype = 'c' THEN 'composite' WHEN t.typtype = 'e' THEN 'enum'
                WHEN t.typtype = 'd' THEN 'domain' ELSE 'base' END,
           pg_get_expr(d.adbin, d.adrelid), NOT a.attnotnull, coalesce(co.collname, '')
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p') AND {}
     ORDER BY n.nspname, c.relname, a.attnum)", kUserSchemas), "columns");
  if (!rows.ok()) return std::move(rows).error();
  for (int r = 0; r < rows->rows(); ++r) {
    TableInfo* t = cat.table(rows->text(r, 0), rows->text(r, 1));
    if (t == nullptr) continue;
    ColumnInfo c;
    c.name = rows->text(r, 2);
    c.data_type = rows->text(r, 3);
    c.full_type = c.data_type;
    c.type_kind = rows->text(r, 4);
    c.default_value = rows->optional(r, 5);
    c.nullable = rows->as_bool(r, 6);
    c.collation = rows->text(r, 7);
    t->columns.push_back(std::move(c));
  }
  return {};
}

Status read_indexes(PgConnection& conn, Catalog& cat) {
  auto rows = read(conn, fmt::format(R"(
    SELECT n.nspname, c.relname, i.relname, x.indisunique, x.indisprimary,
           coalesce(pg_get_expr(x.indpred, x.indrelid), ''), x.indexprs IS NOT NULL, am.amname,
           coalesce((SELECT string_agg(coalesce(a.attname, '(expression)'), ',' ORDER BY k.ord)
                       FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                       LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum),
                    '')
      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
      JOIN pg_class c ON c.oid = x.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_am am ON am.oid = i.relam
     WHERE {} ORDER BY 1, 2, 3)", kUserSchemas), "indexes");
  if (!rows.ok()) return std::move(rows).error();
  for (int r = 0; r < rows->rows(); ++r) {
    TableInfo* t = cat.table(rows->text(r, 0), rows->text(r, 1));
    if (t == nullptr) continue;
    IndexInfo i;
    i.name = rows->text(r, 2);
    i.unique = rows->as_bool(r, 3);
    i.primary = rows->as_bool(r, 4);
    i.predicate = rows->text(r, 5);
    i.expression = rows->as_bool(r, 6);
    i.method = rows->text(r, 7);
    i.columns = split(rows->text(r, 8), ',');
    if (i.primary) t->has_primary_key = true;
    t->indexes.push_back(std::move(i));
  }
  auto cons = read(conn, fmt::format(R"(
    SELECT n.nspname, c.relname, con.conname, con.contype,
           coalesce(rn.nspname || '.' || rc.relname, '')
      FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class rc ON rc.oid = con.confrelid
      LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
     WHERE con.contype IN ('f', 'c') AND {})", kUserSchemas), "constraints");
  if (!cons.ok()) return std::move(cons).error();
  for (int r = 0; r < cons->rows(); ++r) {
    TableInfo* t = cat.table(cons->text(r, 0), cons->text(r, 1));
    if (t == nullptr) continue;
    if (cons->get(r, 3) == "f") {
      t->foreign_keys.push_back({cons->text(r, 2), cons->text(r, 4)});
    } else {
      ++t->check_constraints;
    }
  }
  return {};
}

Status read_code(PgConnection& conn, Catalog& cat) {
  struct Query {
    const char* kind;
    std::string sql;
  };
  // Functions that belong to an extension come with the extension; they are not listed.
  const std::vector<Query> queries = {
      {"view", fmt::format(R"(
        SELECT n.nspname, c.relname, '', 'sql', pg_get_userbyid(c.relowner),
               pg_get_viewdef(c.oid), CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('v', 'm') AND {})", kUserSchemas)},
      {"routine", fmt::format(R"(
        SELECT n.nspname, p.proname, '', l.lanname, pg_get_userbyid(p.proowner), p.prosrc,
               CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                              WHEN 'w' THEN 'window function' ELSE 'function' END
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          JOIN pg_language l ON l.oid = p.prolang
         WHERE {} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                     AND d.objid = p.oid AND d.deptype = 'e'))", kUserSchemas)},
      {"trigger", fmt::format(R"(
        SELECT n.nspname, t.tgname, c.relname, l.lanname, pg_get_userbyid(c.relowner),
               pg_get_triggerdef(t.oid) || E'\n' || p.prosrc, 'trigger'
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_proc p ON p.oid = t.tgfoid
          JOIN pg_language l ON l.oid = p.prolang
         WHERE NOT t.tgisinternal AND {})", kUserSchemas)},
  };
  for (const auto& q : queries) {
    auto rows = read(conn, q.sql, q.kind);
    if (!rows.ok()) return std::move(rows).error();
    for (int r = 0; r < rows->rows(); ++r) {
      SchemaInventory* s = cat.schema(rows->text(r, 0));
      if (s == nullptr) continue;
      s->code.push_back(CodeObject{rows->text(r, 6), s->name, rows->text(r, 1), rows->text(r, 2),
                                   rows->text(r, 3), rows->text(r, 4), rows->text(r, 5)});
    }
  }
  auto seqs = read(conn, fmt::format(R"(
    SELECT n.nspname, s.relname,
           coalesce(string_agg(DISTINCT tn.nspname || '.' || t.relname || '.' || a.attname, ','), '')
      FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
      LEFT JOIN pg_depend d ON d.refobjid = s.oid AND d.classid = 'pg_attrdef'::regclass
      LEFT JOIN pg_attrdef ad ON ad.oid = d.objid
      LEFT JOIN pg_class t ON t.oid = ad.adrelid
      LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace
      LEFT JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
     WHERE s.relkind = 'S' AND {} GROUP BY 1, 2 ORDER BY 1, 2)", kUserSchemas), "sequences");
  if (!seqs.ok()) return std::move(seqs).error();
  for (int r = 0; r < seqs->rows(); ++r) {
    if (SchemaInventory* s = cat.schema(seqs->text(r, 0))) {
      s->sequences.push_back({s->name, seqs->text(r, 1), split(seqs->text(r, 2), ',')});
    }
  }
  return {};
}

void add_check(Assessment& out, std::string id, std::string value, std::string status,
               std::string detail) {
  out.health.push_back({std::move(id), std::move(value), std::move(status), std::move(detail)});
}

Status check_health(PgConnection& conn, const Catalog& cat, Assessment& out) {
  // rds_replication exists only on RDS/Aurora; pg_has_role fails without it.
  static constexpr const char kSettings[] = R"(
    SELECT current_setting('wal_level'), current_setting('max_replication_slots')::int,
           (SELECT count(*) FROM pg_replication_slots)::int,
           current_setting('max_wal_senders')::int,
           (SELECT count(*) FROM pg_stat_replication)::int,
           r.rolsuper OR r.rolreplication {}, current_user,
           pg_size_bytes(CASE current_setting('max_slot_wal_keep_size') WHEN '-1' THEN '0'
                         ELSE current_setting('max_slot_wal_keep_size') END),
           has_database_privilege(current_database(), 'CREATE')
      FROM pg_roles r WHERE r.rolname = current_user)";
  auto s = conn.exec(fmt::format(
      kSettings, "OR pg_has_role(current_user, 'rds_replication', 'MEMBER')"));
  if (!s.ok()) s = read(conn, fmt::format(kSettings, ""), "replication settings");
  if (!s.ok()) return std::move(s).error();
  const std::string user = s->text(0, 6);

  const std::string wal_level = s->text(0, 0);
  add_check(out, "pg.wal_level", wal_level, wal_level == "logical" ? "ok" : "fail", "");
  if (wal_level != "logical") {
    out.add_stream_prerequisite("pg.wal_level", Severity::kBlocker, "server",
            "wal_level is '" + wal_level + "': logical decoding needs wal_level = logical",
            "ALTER SYSTEM SET wal_level = logical and restart (Aurora/RDS: "
            "rds.logical_replication = 1 in the parameter group)");
  }
  const auto slots_free = s->as_int(0, 1) - s->as_int(0, 2);
  add_check(out, "pg.replication_slots", fmt::format("{} free of {}", slots_free, s->as_int(0, 1)),
            slots_free >= 1 ? "ok" : "fail", "");
  if (slots_free < 1) {
    out.add_stream_prerequisite("pg.replication_slots", Severity::kBlocker, "server",
            fmt::format("no free replication slot ({} of max_replication_slots = {} in use)",
                        s->as_int(0, 2), s->as_int(0, 1)),
            "raise max_replication_slots (restart) or drop an unused slot");
  }
  const auto senders_free = s->as_int(0, 3) - s->as_int(0, 4);
  add_check(out, "pg.wal_senders", fmt::format("{} free of {}", senders_free, s->as_int(0, 3)),
            senders_free >= 1 ? "ok" : "fail", "");
  if (senders_free < 1) {
    out.add_stream_prerequisite("pg.wal_senders", Severity::kBlocker, "server",
            fmt::format("no free WAL sender ({} of max_wal_senders = {} in use)", s->as_int(0, 4),
                        s->as_int(0, 3)),
            "raise max_wal_senders (restart)");
  }
  const bool replication = s->as_bool(0, 5);
  add_check(out, "pg.replication_role", replication ? "granted" : "missing",
            replication ? "ok" : "fail", "");
  if (!replication) {
    out.add_stream_prerequisite("pg.replication_role", Severity::kBlocker, user,
            "the user may not open a replication connection (no REPLICATION attribute, no "
            "rds_replication role)",
            fmt::format("ALTER ROLE {} REPLICATION (Aurora/RDS: GRANT rds_replication TO {})",
                        conn.quote_ident(user), conn.quote_ident(user)));
  }
  const auto keep = s->as_int(0, 7);
  if (keep > 0) out.estimate.log_retention_bytes = static_cast<double>(keep);
  add_check(out, "pg.wal_retention",
            keep > 0 ? fmt::format("max_slot_wal_keep_size = {} bytes", keep)
                     : "max_slot_wal_keep_size = -1 (unlimited)",
            "ok",
            "a replication slot keeps the WAL its stream still needs");

  add_check(out, "pg.select_grant", cat.unreadable.empty() ? "granted" : "missing",
            cat.unreadable.empty() ? "ok" : "fail", "");
  for (const auto& t : cat.unreadable) {
    out.add("pg.select_grant", Severity::kBlocker, t, "the user may not read this table",
            fmt::format("GRANT SELECT ON {} TO {}", t, conn.quote_ident(user)));
  }
  // A publication FOR TABLE must be created by the tables' owner (or a superuser).
  const bool can_publish = cat.not_owned.empty() && s->as_bool(0, 8);
  add_check(out, "pg.publication_rights", can_publish ? "owner" : "not owner",
            can_publish ? "ok" : "warning",
            can_publish ? "" : "the tables' owner must create the task's publication");
  if (!can_publish) {
    out.add("pg.publication_rights", Severity::kInfo, user,
            "the user does not own every selected table (or lacks CREATE on the database), so "
            "it cannot create the task's publication itself",
            "have the tables' owner run CREATE PUBLICATION tideway_<task> FOR TABLE ... before "
            "the task starts");
  }
  return {};
}

}  // namespace

Status collect_postgres(PgConnection& conn, const CollectOptions& options, Assessment& out) {
  out.source.engine = replication::Engine::kPostgresql;
  auto info = read(conn, R"(
    SELECT current_setting('server_version'), current_database(),
           pg_encoding_to_char(d.encoding), d.datcollate,
           (SELECT count(*) FROM pg_largeobject_metadata)
      FROM pg_database d WHERE d.datname = current_database())", "server facts");
  if (!info.ok()) return std::move(info).error();
  out.source.version = info->text(0, 0);
  out.source.aurora = conn.exec("SELECT aurora_version()").ok();
  const VersionNumber version = parse_version(out.source.engine, out.source.version);
  out.source.major = version.major;
  out.source.minor = version.minor;
  out.source.end_of_support = end_of_support(out.source.engine, version);
  out.inventory.large_objects = info->as_int(0, 4);

  auto schemas = read(conn, fmt::format(
      "SELECT n.nspname FROM pg_namespace n WHERE {} ORDER BY 1", kUserSchemas), "schemas");
  if (!schemas.ok()) return std::move(schemas).error();
  Catalog cat;
  for (int r = 0; r < schemas->rows(); ++r) {
    if (!schema_selected(options.tables, schemas->text(r, 0))) continue;
    cat.schemas.push_back({schemas->text(r, 0), info->text(0, 2), info->text(0, 3), {}, {}, {}});
  }
  if (Status s = read_tables(conn, options, cat); !s.ok()) return s;
  if (Status s = read_columns(conn, cat); !s.ok()) return s;
  if (Status s = read_indexes(conn, cat); !s.ok()) return s;
  if (Status s = read_code(conn, cat); !s.ok()) return s;
  if (options.exact_counts) {
    for (auto& [key, t] : cat.tables) {
      auto r = conn.exec(fmt::format("SELECT count(*) FROM {}",
                                     replication::postgres::qualified_name(conn, t->schema, t->name)));
      if (!r.ok()) return std::move(r).error().with_context("counting rows");
      t->exact_rows = r->as_int(0, 0);
    }
  }
  if (auto ext = conn.exec("SELECT extname || ' ' || extversion FROM pg_extension ORDER BY 1");
      ext.ok()) {
    for (int r = 0; r < ext->rows(); ++r) out.inventory.extensions.push_back(ext->text(r, 0));
  }
  if (auto grants = conn.exec(R"(
        SELECT grantee, string_agg(DISTINCT privilege_type, ', ') || ' on ' ||
               count(DISTINCT table_schema || '.' || table_name) || ' tables'
          FROM information_schema.role_table_grants
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
         GROUP BY grantee ORDER BY grantee)");
      grants.ok()) {
    for (int r = 0; r < grants->rows(); ++r) {
      out.inventory.grantees.push_back({grants->text(r, 0), {grants->text(r, 1)}});
    }
  }
  if (Status s = check_health(conn, cat, out); !s.ok()) return s;
  out.inventory.schemas = std::move(cat.schemas);

  // Replica identity, read the way the task's own prerequisite check reads it.
  std::vector<replication::postgres::PgTable> identity;
  for (const TableInfo* t : out.inventory.tables()) {
    replication::postgres::PgTable p;
    p.schema = t->schema;
    p.name = t->name;
    p.replica_identity = t->replica_identity.empty() ? 'd' : t->replica_identity[0];
    if (t->has_primary_key) p.primary_key = {"pk"};
    if (!t->has_primary_key && t->replica_identity == "full") {
      out.add("source.no_primary_key", Severity::kWarning, t->qualified(),
              "no primary key (REPLICA IDENTITY FULL): the stream finds its rows by comparing "
              "every column, which is slow and ambiguous for duplicate rows",
              "add a primary key before the migration");
    }
    identity.push_back(std::move(p));
    if (t->unlogged) {
      out.add("pg.unlogged_table", Severity::kWarning, t->qualified(),
              "unlogged tables are not written to the WAL, so their changes never reach a "
              "logical stream; only the full load copies them",
              "ALTER TABLE " + t->qualified() + " SET LOGGED, or accept a snapshot-only copy");
    }
  }
  const auto keyless = replication::postgres::tables_without_identity(identity);
  add_check(out, "pg.replica_identity", fmt::format("{} tables without", keyless.size()),
            keyless.empty() ? "ok" : "fail", "");
  for (const auto& t : keyless) {
    out.add_stream_prerequisite("pg.no_replica_identity", Severity::kBlocker, t,
            "no primary key and REPLICA IDENTITY DEFAULT (or NOTHING): once the table is "
            "published, PostgreSQL itself rejects its UPDATE and DELETE",
            "add a primary key, or ALTER TABLE " + t + " REPLICA IDENTITY FULL");
  }
  if (out.inventory.large_objects > 0) {
    out.add("pg.large_objects", Severity::kWarning, "database " + info->text(0, 1),
            fmt::format("{} large objects: logical replication does not carry large objects",
                        out.inventory.large_objects),
            "move them into bytea columns, or copy them separately at cutover");
  }
  return {};
}

}  // namespace tideway::assess
