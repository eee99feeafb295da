#include "assess/my_collector.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "assess/version_support.h"
#include "replication/mysql/my_catalog.h"
#include "replication/mysql/my_source_checks.h"

namespace tideway::assess {
namespace {

using replication::mysql::GrantSet;
using replication::mysql::MyConnection;
using replication::mysql::MyResult;
using replication::mysql::quote_identifier;

const char* kSystemSchemas =
    "('mysql', 'information_schema', 'performance_schema', 'sys', '_tideway')";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Runs a catalog query; a failure names what was being read.
Result<MyResult> read(MyConnection& conn, const std::string& sql, const char* what) {
  auto r = conn.query(sql);
  if (!r.ok()) return std::move(r).error().with_context(fmt::format("reading {}", what));
  return r;
}

std::optional<std::string> cell(const MyResult& r, std::size_t row, std::size_t column) {
  if (r.is_null(row, column)) return std::nullopt;
  return r.text(row, column);
}

struct Catalog {
  std::vector<SchemaInventory> schemas;
  std::map<std::pair<std::string, std::string>, TableInfo*> tables;

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

Status read_tables(MyConnection& conn, const CollectOptions& options, Catalog& cat,
                   const std::string& in_list) {
  auto rows = read(conn, fmt::format(
      "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, IFNULL(ENGINE, ''), IFNULL(TABLE_ROWS, 0), "
      "IFNULL(DATA_LENGTH, 0), IFNULL(INDEX_LENGTH, 0), IFNULL(TABLE_COLLATION, ''), "
      "IFNULL(CREATE_OPTIONS, '') FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({}) "
      "ORDER BY TABLE_SCHEMA, TABLE_NAME", in_list), "tables");
  if (!rows.ok()) return std::move(rows).error();
  for (std::size_t r = 0; r < rows->size(); ++r) {
    SchemaInventory* s = cat.schema(rows->text(r, 0));
    if (s == nullptr) continue;
    const std::string type = rows->text(r, 2);
    if (type == "SEQUENCE") {  // MariaDB sequences are tables of their own kind
      s->sequences.push_back(SequenceInfo{s->name, rows->text(r, 1), {}});
      continue;
    }
    if (type != "BASE TABLE" || !options.tables.matches(s->name, rows->text(r, 1))) continue;
    TableInfo t;
    t.schema = s->name;
    t.name = rows->text(r, 1);
    t.engine = rows->text(r, 3);
    t.estimated_rows = rows->as_int(r, 4);
    t.data_bytes = rows->as_int(r, 5);
    t.index_bytes = rows->as_int(r, 6);
    t.collation = rows->text(r, 7);
    s->tables.push_back(std::move(t));
  }
  for (auto& s : cat.schemas) {
    for (auto& t : s.tables) cat.tables[{s.name, t.name}] = &t;
  }
  return {};
}

Status read_columns(MyConnection& conn, Catalog& cat, const std::string& in_list) {
  auto rows = read(conn, fmt::format(
      "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_DEFAULT, "
      "EXTRA, IFNULL(CHARACTER_SET_NAME, ''), IFNULL(COLLATION_NAME, ''), IS_NULLABLE "
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN ({}) "
      "ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION", in_list), "columns");
  if (!rows.ok()) return std::move(rows).error();
  for (std::size_t r = 0; r < rows->size(); ++r) {
    TableInfo* t = cat.table(rows->text(r, 0), rows->text(r, 1));
    if (t == nullptr) continue;  // a view's columns
    ColumnInfo c;
    c.name = rows->text(r, 2);
    c.data_type = lower(rows->text(r, 3));
    c.full_type = rows->text(r, 4);
    c.default_value = cell(*rows, r, 5);
    c.extra = lower(rows->text(r, 6));
    c.charset = rows->text(r, 7);
    c.collation = rows->text(r, 8);
    c.nullable = rows->text(r, 9) == "YES";
    t->columns.push_back(std::move(c));
  }
  return {};
}

Status read_indexes(MyConnection& conn, Catalog& cat, const std::string& in_list) {
  auto rows = read(conn, fmt::format(
      "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, IFNULL(COLUMN_NAME, ''), "
      "INDEX_TYPE FROM information_schema.STATISTICS WHERE TABLE_SCHEMA IN ({}) "
      "ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX", in_list), "indexes");
  if (!rows.ok()) return std::move(rows).error();
  for (std::size_t r = 0; r < rows->size(); ++r) {
    TableInfo* t = cat.table(rows->text(r, 0), rows->text(r, 1));
    if (t == nullptr) continue;
    const std::string name = rows->text(r, 2);
    if (t->indexes.empty() || t->indexes.back().name != name) {
      IndexInfo i;
      i.name = name;
      i.unique = rows->text(r, 3) == "0";
      i.primary = name == "PRIMARY";
      i.method = rows->text(r, 5);
      t->indexes.push_back(std::move(i));
      if (name == "PRIMARY") t->has_primary_key = true;
    }
    std::string column = rows->text(r, 4);
    if (column.empty()) {  // MySQL 8 functional key part
      t->indexes.back().expression = true;
      column = "(expression)";
    }
    t->indexes.back().columns.push_back(column);
  }
  auto fks = read(conn, fmt::format(
      "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA, "
      "REFERENCED_TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
      "WHERE CONSTRAINT_SCHEMA IN ({})", in_list), "foreign keys");
  if (!fks.ok()) return std::move(fks).error();
  for (std::size_t r = 0; r < fks->size(); ++r) {
    if (TableInfo* t = cat.table(fks->text(r, 0), fks->text(r, 1))) {
      t->foreign_keys.push_back({fks->text(r, 2), fks->text(r, 3) + "." + fks->text(r, 4)});
    }
  }
  auto parts = read(conn, fmt::format(
      "SELECT TABLE_SCHEMA, TABLE_NAME, COUNT(*) FROM information_schema.PARTITIONS "
      "WHERE TABLE_SCHEMA IN ({}) AND PARTITION_NAME IS NOT NULL "
      "GROUP BY TABLE_SCHEMA, TABLE_NAME", in_list), "partitions");
  if (!parts.ok()) return std::move(parts).error();
  for (std::size_t r = 0; r < parts->size(); ++r) {
    if (TableInfo* t = cat.table(parts->text(r, 0), parts->text(r, 1))) {
      t->partitions = static_cast<int>(parts->as_int(r, 2));
    }
  }
  // CHECK_CONSTRAINTS exists from MariaDB 10.2 and MySQL 8.0.16; older servers have none.
  if (auto checks = conn.query(fmt::format(
          "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, COUNT(*) FROM information_schema.CHECK_CONSTRAINTS "
          "WHERE CONSTRAINT_SCHEMA IN ({}) GROUP BY CONSTRAINT_SCHEMA, TABLE_NAME", in_list));
      checks.ok()) {
    for (std::size_t r = 0; r < checks->size(); ++r) {
      if (TableInfo* t = cat.table(checks->text(r, 0), checks->text(r, 1))) {
        t->check_constraints = static_cast<int>(checks->as_int(r, 2));
      }
    }
  }
  return {};
}

Status read_code(MyConnection& conn, Catalog& cat, const std::string& in_list) {
  struct Query {
    const char* kind;
    std::string sql;
  };
  const std::vector<Query> queries = {
      {"view", fmt::format("SELECT TABLE_SCHEMA, TABLE_NAME, '', 'SQL', DEFINER, "
                           "VIEW_DEFINITION FROM information_schema.VIEWS "
                           "WHERE TABLE_SCHEMA IN ({})", in_list)},
      {"routine", fmt::format("SELECT ROUTINE_SCHEMA, ROUTINE_NAME, LOWER(ROUTINE_TYPE), "
                              "IFNULL(EXTERNAL_LANGUAGE, 'SQL'), DEFINER, "
                              "IFNULL(ROUTINE_DEFINITION, '') FROM information_schema.ROUTINES "
                              "WHERE ROUTINE_SCHEMA IN ({})", in_list)},
      {"trigger", fmt::format("SELECT TRIGGER_SCHEMA, TRIGGER_NAME, EVENT_OBJECT_TABLE, 'SQL', "
                              "DEFINER, ACTION_STATEMENT FROM information_schema.TRIGGERS "
                              "WHERE TRIGGER_SCHEMA IN ({})", in_list)},
      {"event", fmt::format("SELECT EVENT_SCHEMA, EVENT_NAME, '', 'SQL', DEFINER, "
                            "EVENT_DEFINITION FROM information_schema.EVENTS "
                            "WHERE EVENT_SCHEMA IN ({})", in_list)},
  };
  for (const auto& q : queries) {
    // MySQL 5.7 has no EXTERNAL_LANGUAGE column; retry the routine query without it.
    auto rows = conn.query(q.sql);
    if (!rows.ok() && std::string(q.kind) == "routine") {
      rows = conn.query(fmt::format(
          "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, LOWER(ROUTINE_TYPE), 'SQL', DEFINER, "
          "IFNULL(ROUTINE_DEFINITION, '') FROM information_schema.ROUTINES "
          "WHERE ROUTINE_SCHEMA IN ({})", in_list));
    }
    if (!rows.ok()) return std::move(rows).error().with_context(fmt::format("reading {}s", q.kind));
    for (std::size_t r = 0; r < rows->size(); ++r) {
      SchemaInventory* s = cat.schema(rows->text(r, 0));
      if (s == nullptr) continue;
      CodeObject o;
      o.kind = std::string(q.kind) == "routine" ? rows->text(r, 2) : q.kind;
      o.schema = s->name;
      o.name = rows->text(r, 1);
      if (std::string(q.kind) == "trigger") o.table = rows->text(r, 2);
      o.language = rows->text(r, 3);
      o.definer = rows->text(r, 4);
      o.body = rows->text(r, 5);
      s->code.push_back(std::move(o));
    }
  }
  return {};
}

// Text columns holding NUL bytes among the first `limit` rows of each table: one query
// per table with a text column, reading at most `limit` rows of it.
Status probe_nul_bytes(MyConnection& conn, Catalog& cat, std::int64_t limit) {
  static const std::set<std::string> kText = {"char", "varchar", "tinytext", "text",
                                              "mediumtext", "longtext"};
  for (auto& [key, t] : cat.tables) {
    std::vector<ColumnInfo*> text;
    for (auto& c : t->columns) {
      if (kText.count(c.data_type) != 0) text.push_back(&c);
    }
    if (text.empty()) continue;
    std::string sums, cols;
    for (auto* c : text) {
      sums += fmt::format("{}IFNULL(SUM(LOCATE(_binary 0x00, CAST({} AS BINARY)) > 0), 0)",
                          sums.empty() ? "" : ", ", quote_identifier(c->name));
      cols += (cols.empty() ? "" : ", ") + quote_identifier(c->name);
    }
    auto r = conn.query(fmt::format("SELECT {} FROM (SELECT {} FROM {} LIMIT {}) AS probe", sums,
                                    cols, replication::mysql::qualified_name(t->schema, t->name),
                                    limit));
    if (!r.ok()) return std::move(r).error().with_context("looking for NUL bytes in text");
    for (std::size_t i = 0; i < text.size(); ++i) text[i]->has_nul_bytes = r->as_int(0, i) > 0;
  }
  return {};
}

Status exact_counts(MyConnection& conn, Catalog& cat) {
  for (auto& [key, t] : cat.tables) {
    auto r = conn.query("SELECT COUNT(*) FROM " +
                        replication::mysql::qualified_name(t->schema, t->name));
    if (!r.ok()) return std::move(r).error().with_context("counting rows");
    t->exact_rows = r->as_int(0, 0);
  }
  return {};
}

void read_grantees(MyConnection& conn, const std::string& in_list, Inventory& inv) {
  // What the user may see of who holds privileges on the migrated databases; the
  // information_schema tables show other accounts only to an account that may see them.
  auto rows = conn.query(fmt::format(
      "SELECT GRANTEE, CONCAT(PRIVILEGE_TYPE, ' on *.*') FROM information_schema.USER_PRIVILEGES "
      "UNION ALL SELECT GRANTEE, CONCAT(PRIVILEGE_TYPE, ' on ', TABLE_SCHEMA, '.*') "
      "FROM information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA IN ({0}) "
      "UNION ALL SELECT GRANTEE, CONCAT(PRIVILEGE_TYPE, ' on ', TABLE_SCHEMA, '.', TABLE_NAME) "
      "FROM information_schema.TABLE_PRIVILEGES WHERE TABLE_SCHEMA IN ({0}) ORDER BY 1, 2",
      in_list));
  if (!rows.ok()) return;
  for (std::size_t r = 0; r < rows->size(); ++r) {
    if (inv.grantees.empty() || inv.grantees.back().name != rows->text(r, 0)) {
      inv.grantees.push_back({rows->text(r, 0), {}});
    }
    inv.grantees.back().privileges.push_back(rows->text(r, 1));
  }
}

void add_check(Assessment& out, std::string id, std::string value, std::string status,
               std::string detail) {
  out.health.push_back({std::move(id), std::move(value), std::move(status), std::move(detail)});
}

// Replication prerequisites: server variables and the user's grants.
Status check_health(MyConnection& conn, const std::vector<std::string>& schemas, Assessment& out) {
  auto vars = read(conn,
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', "
      "'binlog_row_image', 'binlog_row_metadata', 'gtid_mode', 'server_id', "
      "'binlog_expire_logs_seconds', 'expire_logs_days', 'binlog_transaction_compression', "
      "'log_bin_compress', 'binlog_row_value_options', 'sql_mode', "
      "'character_set_server', 'collation_server', 'lower_case_table_names', 'time_zone')", "server variables");
  if (!vars.ok()) return std::move(vars).error();
  std::map<std::string, std::string> v;
  for (std::size_t r = 0; r < vars->size(); ++r) v[lower(vars->text(r, 0))] = vars->text(r, 1);
  out.source.settings.assign(v.begin(), v.end());
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = v.find(name);
    if (it == v.end()) return std::nullopt;
    return it->second;
  };
  const bool mariadb = out.source.engine == replication::Engine::kMariadb;

  // The settings a row-based binlog stream needs; the messages of the task's own checks
  // (replication/mysql/my_source_checks) say how to fix each one.
  std::vector<std::pair<std::string, std::string>> settings(v.begin(), v.end());
  const auto problems = replication::mysql::binlog_setting_problems(settings);
  auto problem_about = [&](const std::string& start) -> std::string {
    for (const auto& p : problems) {
      if (p.rfind(start, 0) == 0) return p;
    }
    return "";
  };
  struct Required {
    const char* id;
    const char* variable;
    const char* start;  // how binlog_setting_problems' message about it begins
  };
  for (const Required& req :
       {Required{"mysql.log_bin", "log_bin", "the binary log is off"},
        Required{"mysql.binlog_format", "binlog_format", "binlog_format is"},
        Required{"mysql.binlog_row_image", "binlog_row_image", "binlog_row_image is"},
        Required{"mysql.server_id", "server_id", "server_id is 0"}}) {
    const std::string problem = problem_about(req.start);
    add_check(out, req.id, get(req.variable).value_or(""), problem.empty() ? "ok" : "fail", problem);
    if (!problem.empty()) {
      out.add_stream_prerequisite(req.id, Severity::kBlocker, "server", problem,
              fmt::format("change {} as described, then assess again", req.variable));
    }
  }
  if (auto meta = get("binlog_row_metadata")) {
    const bool full = upper(*meta) == "FULL";
    add_check(out, "mysql.binlog_row_metadata", *meta, full ? "ok" : "warning",
              full ? "" : "row events carry no column names; a column change during the stream "
                          "is only seen through the catalog");
    if (!full) {
      out.add("mysql.binlog_row_metadata", Severity::kWarning, "server",
              "binlog_row_metadata is " + *meta + ": row events do not carry column names and "
              "types, so a column added or reordered while the stream runs is matched by "
              "position only",
              "SET GLOBAL binlog_row_metadata = FULL (and in the server configuration / "
              "parameter group)");
    }
  } else {
    add_check(out, "mysql.binlog_row_metadata", "", "unknown",
              "the server has no binlog_row_metadata (before MySQL 8.0.1 / MariaDB 10.5)");
  }
  if (mariadb) {
    add_check(out, "mysql.gtid_mode", "MariaDB GTID", "ok", "MariaDB always writes GTIDs");
  } else {
    const std::string mode = get("gtid_mode").value_or("");
    const bool on = upper(mode) == "ON";
    add_check(out, "mysql.gtid_mode", mode, on ? "ok" : "warning",
              on ? "" : "positions are file and offset only");
    if (!on) {
      out.add("mysql.gtid_mode", Severity::kWarning, "server",
              "gtid_mode is " + (mode.empty() ? std::string("not available") : mode) +
                  ": the stream's position is a binlog file and offset, which do not survive a "
                  "failover of the source to another server",
              "SET GLOBAL enforce_gtid_consistency = ON, then step gtid_mode to ON "
              "(OFF_PERMISSIVE, ON_PERMISSIVE, ON)");
    }
  }
  // Retention: how long unread binlogs stay. 0 means binlogs never expire by age.
  double retention = 0;
  if (auto secs = get("binlog_expire_logs_seconds"); secs && std::atof(secs->c_str()) > 0) {
    retention = std::atof(secs->c_str());
  } else if (auto days = get("expire_logs_days"); days && std::atof(days->c_str()) > 0) {
    retention = std::atof(days->c_str()) * 86400;
  }
  if (out.source.aurora) {
    // Aurora keeps binlogs only as long as 'binlog retention hours' says (NULL: purged
    // as soon as possible).
    auto hours = conn.query("SELECT value FROM mysql.rds_configuration "
                            "WHERE name = 'binlog retention hours'");
    if (hours.ok() && !hours->empty() && !hours->is_null(0, 0)) {
      retention = std::atof(hours->text(0, 0).c_str()) * 3600;
    } else {
      retention = 300;  // Aurora purges unreplicated binlogs within minutes without it
      out.add_stream_prerequisite("aurora.binlog_retention", Severity::kBlocker, "server",
              "'binlog retention hours' is not set: Aurora purges binlogs within minutes, "
              "before a full load ends and the stream can read them",
              "CALL mysql.rds_set_configuration('binlog retention hours', 72)");
    }
  }
  if (retention > 0) out.estimate.log_retention_seconds = retention;
  add_check(out, "mysql.binlog_retention", retention > 0 ? fmt::format("{:.0f} s", retention) : "unlimited",
            "ok", "compared with the full-load estimate below");

  const std::string compression = mariadb ? get("log_bin_compress").value_or("OFF")
                                          : get("binlog_transaction_compression").value_or("OFF");
  const bool compressed = upper(compression) == "ON";
  add_check(out, "mysql.binlog_compression", compression, compressed ? "warning" : "ok",
            compressed ? "compressed events are read by tideway, but other binlog readers "
                         "(older replicas, CDC tools) skip or reject them"
                       : "");
  if (compressed) {
    out.add("mysql.binlog_compression", Severity::kWarning, "server",
            "binlog compression is on: tideway decodes the compressed events, but older replicas "
            "and several CDC tools silently skip or reject them",
            "keep it only if every binlog reader of this server supports it");
  }
  if (auto options = get("binlog_row_value_options"); options && !options->empty()) {
    add_check(out, "mysql.binlog_row_value_options", *options, "warning",
              "partial JSON updates carry a diff, not the new value");
    out.add("mysql.binlog_row_value_options", Severity::kWarning, "server",
            "binlog_row_value_options = " + *options + ": a JSON update is logged as a diff "
            "against the old value, which readers that expect whole values misapply",
            "SET GLOBAL binlog_row_value_options = ''");
  } else {
    add_check(out, "mysql.binlog_row_value_options", "", "ok", "");
  }

  // Grants, read as the task's own check reads them.
  auto grant_rows = read(conn, "SHOW GRANTS", "grants");
  if (!grant_rows.ok()) return std::move(grant_rows).error();
  std::vector<std::string> lines;
  for (std::size_t r = 0; r < grant_rows->size(); ++r) lines.push_back(grant_rows->text(r, 0));
  const GrantSet grants = GrantSet::parse(lines);
  auto who = read(conn, "SELECT CURRENT_USER()", "the current user");
  if (!who.ok()) return std::move(who).error();
  const std::string user = replication::mysql::grantee(who->text(0, 0));
  auto grant_check = [&](const char* id, bool held, const std::string& what,
                         const std::string& fix) {
    add_check(out, id, held ? "granted" : "missing", held ? "ok" : "fail", held ? "" : what);
    if (!held) out.add_stream_prerequisite(id, Severity::kBlocker, user, what, fix);
  };
  grant_check("mysql.grant.replication_slave", grants.has("REPLICATION SLAVE"),
              "the user may not read the binlog (REPLICATION SLAVE is missing)",
              fmt::format("GRANT REPLICATION SLAVE ON *.* TO {}", user));
  grant_check("mysql.grant.replication_client",
              grants.has("REPLICATION CLIENT") || grants.has("BINLOG MONITOR") ||
                  grants.has("SUPER"),
              "the user may not read binlog positions (REPLICATION CLIENT, or BINLOG MONITOR on "
              "MariaDB 10.5+, is missing)",
              fmt::format("GRANT {} ON *.* TO {}",
                          mariadb ? "BINLOG MONITOR" : "REPLICATION CLIENT", user));
  bool select_all = true;
  for (const auto& s : schemas) {
    if (!grants.has("SELECT", s)) {
      select_all = false;
      out.add("mysql.grant.select", Severity::kBlocker, s,
              "the user may not read every table of database " + s,
              fmt::format("GRANT SELECT ON {}.* TO {}", quote_identifier(s), user));
    }
  }
  add_check(out, "mysql.grant.select", select_all ? "granted" : "missing",
            select_all ? "ok" : "fail", select_all ? "" : "SELECT is missing on some databases");
  return {};
}

}  // namespace

bool schema_selected(const replication::TableFilter& filter, const std::string& schema) {
  for (const auto& pattern : filter.include) {
    const auto dot = pattern.find('.');
    if (replication::glob_match(pattern.substr(0, dot), schema)) return true;
  }
  return false;
}

Status collect_mysql(MyConnection& conn, const CollectOptions& options, Assessment& out) {
  // MySQL 8 caches information_schema table statistics for a day by default; MariaDB has
  // no such variable (the error is expected there).
  conn.execute("SET SESSION information_schema_stats_expiry = 0").ignore_error();
  out.source.version = conn.server_version();
  out.source.engine = conn.is_mariadb() ? replication::Engine::kMariadb : replication::Engine::kMysql;
  if (!conn.is_mariadb()) {
    // AURORA_VERSION() exists only on Aurora MySQL.
    out.source.aurora = conn.query("SELECT AURORA_VERSION()").ok();
  }
  const VersionNumber version = parse_version(out.source.engine, out.source.version);
  out.source.major = version.major;
  out.source.minor = version.minor;
  out.source.end_of_support = end_of_support(out.source.engine, version);

  auto schemata = read(conn, fmt::format(
      "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
      "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN {} ORDER BY SCHEMA_NAME",
      kSystemSchemas), "databases");
  if (!schemata.ok()) return std::move(schemata).error();
  Catalog cat;
  std::vector<std::string> names;
  for (std::size_t r = 0; r < schemata->size(); ++r) {
    if (!schema_selected(options.tables, schemata->text(r, 0))) continue;
    cat.schemas.push_back({schemata->text(r, 0), schemata->text(r, 1), schemata->text(r, 2), {}, {}, {}});
    names.push_back(schemata->text(r, 0));
  }
  if (names.empty()) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("{}: no database matches the table filter, or the user may "
                                  "see none (GRANT SELECT ON <database>.* TO the user)",
                                  conn.endpoint().describe()));
  }
  const std::string in_list = replication::mysql::sql_string_list(conn, names);
  if (Status s = read_tables(conn, options, cat, in_list); !s.ok()) return s;
  if (Status s = read_columns(conn, cat, in_list); !s.ok()) return s;
  if (Status s = read_indexes(conn, cat, in_list); !s.ok()) return s;
  if (Status s = read_code(conn, cat, in_list); !s.ok()) return s;
  if (options.probe_nul_bytes) {
    if (Status s = probe_nul_bytes(conn, cat, options.nul_probe_rows); !s.ok()) return s;
  }
  if (options.exact_counts) {
    if (Status s = exact_counts(conn, cat); !s.ok()) return s;
  }
  if (auto plugins = conn.query(
          "SELECT CONCAT(PLUGIN_NAME, ' ', PLUGIN_VERSION) FROM information_schema.PLUGINS "
          "WHERE PLUGIN_STATUS = 'ACTIVE' AND PLUGIN_LIBRARY IS NOT NULL ORDER BY 1");
      plugins.ok()) {
    for (std::size_t r = 0; r < plugins->size(); ++r) {
      out.inventory.extensions.push_back(plugins->text(r, 0));
    }
  }
  read_grantees(conn, in_list, out.inventory);
  // Authentication plugins matter when accounts move to another server; only an account
  // that may read mysql.user sees them.
  if (auto accounts = conn.query("SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)), plugin "
                                 "FROM mysql.user ORDER BY 1");
      accounts.ok()) {
    for (std::size_t r = 0; r < accounts->size(); ++r) {
      out.inventory.accounts.emplace_back(accounts->text(r, 0), accounts->text(r, 1));
    }
  }
  out.inventory.schemas = std::move(cat.schemas);

  if (Status s = check_health(conn, names, out); !s.ok()) return s;
  for (const TableInfo* t : out.inventory.tables()) {
    if (!t->has_primary_key) {
      out.add("source.no_primary_key", Severity::kWarning, t->qualified(),
              "no primary key: one worker copies the table in one chunk, and the stream finds "
              "its rows by comparing every column (slow, and ambiguous for duplicate rows)",
              "add a primary key (or a NOT NULL unique key) before the migration");
    }
    const std::string engine = lower(t->engine);
    if (engine != "innodb" && engine != "rocksdb") {
      out.add("mysql.non_transactional_engine", Severity::kWarning, t->qualified(),
              "engine " + t->engine + " takes no part in a consistent snapshot: rows written "
              "during the full load may be copied twice or missed",
              "ALTER TABLE " + replication::mysql::qualified_name(t->schema, t->name) +
                  " ENGINE=InnoDB");
    }
  }
  return {};
}

}  // namespace tideway::assess
