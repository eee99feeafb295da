#pragma once
// Assessment: what a source database holds, how busy it is, whether it can be replicated,
// and what will break on the chosen target — the engine-neutral result of `tideway
// assess`. Collectors (pg_collector, my_collector) fill source, inventory, activity and
// health; rule sets (rules_*.cpp) add findings; renderers (report.h) print it. Plain data:
// no connection or engine type appears here, so rules and renderers stay testable and the
// task manager can keep an Assessment without knowing the engines.
//
// The JSON form of this struct is a stable interface (assess/REPORT_SCHEMA.md): fields
// are added, never renamed or removed, within schema_version 1.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "replication/core/task_spec.h"

namespace tideway::assess {

enum class Severity { kBlocker, kWarning, kInfo };
const char* severity_name(Severity severity);  // "blocker", "warning", "info"

/// One thing an operator must know: a stable id (for acknowledging it), how bad it is,
/// the object it concerns ("shop.orders.total", "server"), why it matters, and the fix.
struct Finding {
  std::string id;
  Severity severity = Severity::kInfo;
  std::string object;
  std::string why;
  std::string remediation;
  /// Only a change stream needs it (a slot, binlog access, replica identity): a
  /// full_load task reads it as information (assess_task).
  bool stream_only = false;
};

/// What the target is: from --target-engine ("postgresql:16") or read from a --target
/// connection. An empty version means "the same major version as the source".
struct TargetKind {
  replication::Engine engine = replication::Engine::kPostgresql;
  bool aurora = false;
  int major = 0;  // PostgreSQL 16 -> 16; MySQL 8.0 -> 8; MariaDB 11.4 -> 11
  int minor = 0;  // MySQL 8.0 -> 0; MariaDB 11.4 -> 4; PostgreSQL: 0
  bool same_as_source = false;  // no target given: assess the source for itself only
  std::string label() const;    // "aurora-mysql:3", "postgresql:16"
};

struct SourceInfo {
  replication::Engine engine = replication::Engine::kPostgresql;
  std::string endpoint;        // user@host:port/db, never a password
  std::string version;         // as the server reports it: "15.4", "10.11.6-MariaDB-log"
  int major = 0, minor = 0;    // 15/0, 10/11, 8/0, 5/7
  bool aurora = false;         // AURORA_VERSION() answers / aurora_version() exists
  std::string end_of_support;  // "2027-11-11"; "" when not known
  std::string database;        // the database assessed
  /// Server settings the rules read (lower-case names): sql_mode, character_set_server...
  std::vector<std::pair<std::string, std::string>> settings;
  std::string setting(const std::string& name) const;
};

struct TargetInfo {
  TargetKind kind;
  bool reachable = false;             // a --target URL was given and answered
  std::string endpoint;               // as SourceInfo::endpoint, when reachable
  std::string version;                // the server's own version, when reachable
  std::vector<std::string> available_extensions;  // PostgreSQL, when reachable
};

struct ColumnInfo {
  std::string name;
  std::string data_type;  // MySQL DATA_TYPE ("bigint") / PostgreSQL format_type()
  std::string full_type;  // MySQL COLUMN_TYPE ("bigint(20) unsigned"); PostgreSQL as data_type
  std::string type_kind;  // PostgreSQL: base, array, range, composite, enum, domain; MySQL: ""
  std::optional<std::string> default_value;
  std::string extra;      // MySQL EXTRA: "auto_increment", "on update current_timestamp()"
  std::string charset;
  std::string collation;
  bool nullable = true;
  bool has_nul_bytes = false;  // probed only for a PostgreSQL target (text columns)
};

struct IndexInfo {
  std::string name;
  std::vector<std::string> columns;  // expressions appear as "(expression)"
  bool unique = false;
  bool primary = false;
  std::string predicate;  // partial index WHERE clause; "" if none
  bool expression = false;
  std::string method;     // btree, hash, gin, FULLTEXT, SPATIAL...
};

struct ForeignKeyInfo {
  std::string name;
  std::string references;  // schema.table
};

struct TableInfo {
  std::string schema;  // MySQL: the database
  std::string name;
  std::string engine;  // MySQL storage engine; PostgreSQL "heap" (or the table's AM)
  std::int64_t estimated_rows = 0;
  std::optional<std::int64_t> exact_rows;  // with --exact-counts only
  std::int64_t data_bytes = 0;
  std::int64_t index_bytes = 0;
  bool has_primary_key = false;
  std::string replica_identity;  // PostgreSQL: default, full, index, nothing
  bool unlogged = false;
  bool with_oids = false;
  int partitions = 0;            // 0: not partitioned
  std::string collation;         // MySQL table collation
  int check_constraints = 0;
  std::vector<ColumnInfo> columns;
  std::vector<IndexInfo> indexes;
  std::vector<ForeignKeyInfo> foreign_keys;

  std::string qualified() const { return schema + "." + name; }
};

/// A view, routine, trigger or event: code that may need rewriting on another engine.
struct CodeObject {
  std::string kind;      // view, procedure, function, trigger, event
  std::string schema;
  std::string name;
  std::string table;     // triggers: the table they belong to
  std::string language;  // SQL, plpgsql, c...
  std::string definer;   // MySQL DEFINER / PostgreSQL owner
  std::string body;      // the definition, for rules; the report carries its size only
  std::string qualified() const { return schema + "." + name; }
};

struct SequenceInfo {
  std::string schema;
  std::string name;
  std::vector<std::string> used_by;  // "schema.table.column" whose default calls it
};

struct SchemaInventory {
  std::string name;
  std::string charset;    // MySQL database default; PostgreSQL database encoding
  std::string collation;
  std::vector<TableInfo> tables;
  std::vector<CodeObject> code;  // views, routines, triggers, events
  std::vector<SequenceInfo> sequences;
};

struct Grantee {
  std::string name;                     // 'user'@'host' / role name
  std::vector<std::string> privileges;  // "SELECT on shop.*", "REPLICATION", ...
};

struct Inventory {
  std::vector<SchemaInventory> schemas;
  std::vector<std::string> extensions;  // PostgreSQL "postgis 3.3"; MySQL active plugins
  std::vector<Grantee> grantees;
  /// MySQL/MariaDB accounts and their authentication plugin, when mysql.user is readable.
  std::vector<std::pair<std::string, std::string>> accounts;
  std::int64_t large_objects = 0;       // PostgreSQL pg_largeobject_metadata rows

  std::int64_t total_bytes() const;     // data + index of every table
  std::vector<const TableInfo*> tables() const;
};

struct TableActivity {
  std::string table;  // schema.table
  std::int64_t inserted = 0, updated = 0, deleted = 0;
  double rows_per_second = 0;  // (inserted + updated + deleted) / sample seconds
};

struct SessionInfo {
  std::string id;
  std::string user;
  std::string state;  // "active", "idle in transaction", MySQL COMMAND
  double seconds = 0;  // how long the transaction (or statement) has been running
};

struct ReplicaInfo {
  std::string name;  // application_name / replica host
  std::string state;
  std::optional<double> lag_seconds;
};

/// Live activity over the sample window. Counters are server-wide on MySQL/MariaDB
/// (row operations of the handler API) and database-wide on PostgreSQL.
struct Activity {
  double sample_seconds = 0;  // the measured window, from the server's clock
  std::string started_at, ended_at;  // server clock, UTC, microseconds
  std::int64_t inserted = 0, updated = 0, deleted = 0;
  double rows_per_second = 0;        // all three together
  double inserts_per_second = 0;
  double log_bytes_per_second = 0;   // binlog growth or WAL bytes
  std::string method;                // how the counters were read, for the reader
  std::vector<TableActivity> top_tables;  // busiest first, at most 10
  std::vector<SessionInfo> long_running;  // transactions running over 60 s
  std::vector<SessionInfo> idle_in_transaction;
  std::vector<ReplicaInfo> replicas;
};

/// One replication prerequisite: its setting or grant, its value, and whether it is met.
struct HealthCheck {
  std::string id;      // same namespace as findings: "mysql.binlog_format"
  std::string value;   // what the server says; "" when it could not be read
  std::string status;  // "ok", "warning", "fail", "unknown"
  std::string detail;
};

struct Estimate {
  std::int64_t total_bytes = 0;
  double assumed_bytes_per_second = 0;
  double full_load_seconds = 0;
  /// How long the source keeps binlogs/WAL a stream has not consumed yet; nullopt when
  /// not limited (a PostgreSQL slot holds WAL; binlog expiry 0).
  std::optional<double> log_retention_seconds;
  /// PostgreSQL max_slot_wal_keep_size: turned into seconds with the measured WAL rate.
  std::optional<double> log_retention_bytes;
  bool retention_covers_load = true;
};

struct Assessment {
  int schema_version = 1;
  std::string generated_at;  // UTC, ISO 8601
  std::string tool_version;
  SourceInfo source;
  TargetInfo target;
  Inventory inventory;
  Activity activity;
  std::vector<HealthCheck> health;
  std::vector<Finding> findings;
  Estimate estimate;

  /// "blocked" with any blocker, "ready_with_warnings" with any warning, else "ready".
  std::string verdict() const;
  void add(std::string id, Severity severity, std::string object, std::string why,
           std::string remediation);
  /// add(), for what only a change stream needs (Finding::stream_only).
  void add_stream_prerequisite(std::string id, Severity severity, std::string object,
                               std::string why, std::string remediation);
};

/// The blockers of `assessment` that `acknowledged` (finding ids, or "id:object" for one
/// object) does not name: what stops a task from starting.
std::vector<Finding> blocking_findings(const Assessment& assessment,
                                       const std::vector<std::string>& acknowledged = {});

/// One paragraph naming each finding ("id on object: why"), for a refusal message such as
/// "task orders has 2 unacknowledged blockers: ...".
std::string describe_findings(const std::vector<Finding>& findings);

/// "1 h 20 min", "45 s": durations in reports.
std::string human_duration(double seconds);
/// "1.4 GiB", "300 B".
std::string human_bytes(double bytes);

}  // namespace tideway::assess
