#pragma once
// TaskSpec: one migration task as the operator wrote it (YAML file or JSON through the
// API). Plain data: parsing and validation live in daemon/task_spec_parser, so engine
// code depends only on these structs. Passwords are not here, only where to read them.

#include <cstdint>
#include <string>
#include <vector>

namespace tideway::replication {

enum class Engine { kPostgresql, kMysql, kMariadb };
const char* engine_name(Engine engine);

enum class TaskMode { kFullLoad, kCdc, kFullLoadAndCdc };
const char* task_mode_name(TaskMode mode);

/// Where a database is and how to log in. Exactly one of password_file/password_env.
struct Endpoint {
  Engine engine = Engine::kPostgresql;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string database;
  std::string user;
  std::string password_file;
  std::string password_env;
  std::string sslmode = "prefer";  // libpq sslmode / MySQL ssl-mode equivalent

  /// "postgresql://user@host:port/database" — for messages; never contains a password.
  std::string describe() const;
};

/// Which tables a task moves: "schema.table" globs (* and ?), exclude wins.
struct TableFilter {
  std::vector<std::string> include{"*.*"};
  std::vector<std::string> exclude;
  bool matches(const std::string& schema, const std::string& table) const;
};

/// Shell-style glob over a whole string: '*' any run, '?' one character.
bool glob_match(const std::string& pattern, const std::string& text);

struct FullLoadOptions {
  int workers = 4;                        // Default: 4 parallel chunk copies.
  std::int64_t chunk_rows = 100000;       // Default: ~100k rows per chunk (by key range).
};

struct SchemaOptions {
  bool create = true;  // Default: create the schema on the target from the source catalog.
};

/// Whether the stream asks a PostgreSQL 14+ source to send large transactions while they
/// are still in progress (pgoutput protocol 2, spooled to local disk until they commit;
/// replication/postgres/pg_stream_spool.h):
///   auto: on for 14+, off before; on: required (a 12/13 source is a config error);
///   off: protocol 1, the server holds each transaction until it commits.
enum class StreamInProgress { kAuto, kOn, kOff };
const char* stream_in_progress_name(StreamInProgress mode);

struct PostgresOptions {
  std::string slot_name;         // Default: "tideway_<id>" (dashes become underscores).
  std::string publication_name;  // Default: same as the slot name.
  StreamInProgress stream_in_progress = StreamInProgress::kAuto;  // Default: auto.
  /// logical_decoding_work_mem for the stream's walsender ("64kB".."2147483647kB", with
  /// kB, MB or GB): past it the server streams (or spills) a transaction. Default: empty,
  /// the server's own setting (64MB unless changed).
  std::string logical_decoding_work_mem;
  /// maintenance_work_mem of the target session that builds primary keys and indexes
  /// after the load ("1MB".."2147483647kB"): with the server's default (64MB) sorting a
  /// large table's key spills to disk. Set for that one session only, with SET LOCAL.
  std::string maintenance_work_mem = "512MB";  // Default: 512MB.
};

/// How a MySQL-family source's full load ties its chunks to binlog positions
/// (replication/mysql/my_watermark.h explains both):
///   consistent_snapshot: START TRANSACTION WITH CONSISTENT SNAPSHOT per worker and its
///     exact binlog_snapshot_file/position (MariaDB only);
///   watermark: per chunk, a low-watermark row committed to a signal table on the source,
///     one consistent-read SELECT, then the binlog position after it (MySQL 8, Aurora
///     MySQL, and MariaDB too); no lock, no long transaction;
///   auto: consistent_snapshot on MariaDB, watermark on MySQL (by the server's version).
enum class MySnapshotMode { kAuto, kConsistentSnapshot, kWatermark };
const char* my_snapshot_mode_name(MySnapshotMode mode);

/// How a MySQL-family change stream starts and resumes its binlog dump:
///   file: at the recorded binlog file and offset (COM_BINLOG_DUMP); only on the server
///     that wrote them;
///   gtid: after the recorded GTIDs: MySQL's executed GTID set (COM_BINLOG_DUMP_GTID,
///     needs gtid_mode=ON) or MariaDB's GTID list (@slave_connect_state). GTIDs are the
///     same on every server of a replication topology, so this is what lets a task follow
///     its source to a promoted replica after a failover (change source.host, restart).
enum class MyResumeBy { kFile, kGtid };
const char* my_resume_by_name(MyResumeBy by);

struct MysqlOptions {
  MySnapshotMode snapshot = MySnapshotMode::kAuto;  // Default: auto.
  MyResumeBy resume_by = MyResumeBy::kFile;         // Default: file.
  // database.table on the source for watermark rows, created if missing.
  std::string signal_table = "_tideway.tideway_signal";  // Default: _tideway.tideway_signal.
};

struct TaskSpec {
  std::string id;  // [a-z0-9-]{1,48}
  Endpoint source;
  Endpoint target;
  TableFilter tables;
  TaskMode mode = TaskMode::kFullLoadAndCdc;
  FullLoadOptions full_load;
  SchemaOptions schema;
  PostgresOptions postgres;
  MysqlOptions mysql;
};

}  // namespace tideway::replication
