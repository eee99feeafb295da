#pragma once
// MyConnection: one MariaDB Connector/C connection (MySQL or MariaDB server) with the
// errors tideway needs. Every failure names the server (user@host:port/db, never the
// password), the statement's head, the server's error number and message, and whether
// retrying can help. Not thread-safe: a connection belongs to one thread at a time.
//
// Every session gets fixed settings at connect, so what we read and write never depends
// on a server's or an account's defaults:
//   - SET NAMES utf8mb4 (and the client library's charset, which escaping relies on);
//   - time_zone = '+00:00': TIMESTAMP values are read and written as UTC text, so no
//     DST gap or overlap of a named zone can shift or reject a value;
//   - an explicit sql_mode (see kSourceSqlMode / kTargetSqlMode below);
//   - net_read_timeout/net_write_timeout of 600 s: a loader streams a source result while
//     it writes the target, and the server must not give up on a slow reader.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"

struct st_mysql;
struct st_mysql_res;

namespace tideway::replication::mysql {

/// Source sessions only read. The mode still matters: ANSI_QUOTES, NO_BACKSLASH_ESCAPES
/// and PAD_CHAR_TO_FULL_LENGTH would change how our SQL is parsed, how CHAR values come
/// back, and how SHOW CREATE prints, so none of them may come from the server default.
inline constexpr const char* kSourceSqlMode = "NO_ENGINE_SUBSTITUTION";

/// Target sessions write what the source holds, so the mode must accept everything a
/// source may legally contain and refuse everything else:
///   - no NO_ZERO_DATE / NO_ZERO_IN_DATE: zero dates ('0000-00-00', '2020-00-15') are
///     stored as they are on the source;
///   - ALLOW_INVALID_DATES: a source written under that mode can hold '2020-02-31';
///   - NO_AUTO_VALUE_ON_ZERO: an AUTO_INCREMENT column holding 0 keeps 0 instead of
///     getting the next generated value;
///   - STRICT_ALL_TABLES: a value that does not fit fails the chunk instead of being
///     silently truncated (a non-strict session turns such a value into a warning and
///     stores something else, which would pass unnoticed);
///   - NO_ENGINE_SUBSTITUTION: a table whose engine the target lacks fails instead of
///     quietly becoming another engine.
inline constexpr const char* kTargetSqlMode =
    "STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION";

enum class SessionKind {
  kSource,     // catalog, checks and SHOW CREATE: results as utf8mb4 text
  kSourceRaw,  // chunk reads: character_set_results = binary, so each value arrives as the
               // bytes stored in its column's own charset, with no conversion to lose them
  kTarget,     // DDL and loads: kTargetSqlMode and foreign_key_checks = 0, so chunks may
               // arrive in any order and foreign keys are added without a COPY rebuild.
               // unique_checks stays on: on MariaDB 10.6+ an INSERT into an empty table
               // with both checks off switches to a bulk path that locks the whole table
               // until commit, which serializes parallel chunks of one table and deadlocks
               // two that start together; and with secondary indexes built after the
               // load there is nothing for unique_checks = 0 to save.
};

struct MyConnectOptions {
  SessionKind session = SessionKind::kSource;
  /// Use the endpoint's database as the session's default. Target sessions of a full
  /// load do not: the databases they write may not exist yet, and all SQL is qualified.
  bool select_database = true;
  bool multi_statements = false;     // for seeding in tests; loads never send several
  int connect_timeout_seconds = 10;  // Default: 10 s, so an unreachable host fails fast.
};

/// One row of a stored result: nullopt is SQL NULL, "" an empty value.
using MyRow = std::vector<std::optional<std::string>>;

/// A whole (small) result: catalog queries, settings, SHOW output.
struct MyResult {
  std::vector<std::string> columns;
  std::vector<MyRow> rows;

  std::size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  bool is_null(std::size_t row, std::size_t column) const;
  /// The cell's text; "" for NULL or a cell outside the result.
  std::string text(std::size_t row, std::size_t column) const;
  /// The cell as a signed integer; 0 for NULL or text that is not one.
  std::int64_t as_int(std::size_t row, std::size_t column) const;
};

class MyConnection;

/// A result read row by row from the server (mysql_use_result): memory holds one row,
/// whatever the result's size. The connection can run nothing else until the stream is
/// finished or destroyed. Destroying it early reads (and drops) the remaining rows,
/// unless the connection was cancelled first (MyConnection::cancel).
class MyRowStream {
 public:
  MyRowStream(MyRowStream&& other) noexcept;
  MyRowStream& operator=(MyRowStream&&) = delete;
  MyRowStream(const MyRowStream&) = delete;
  ~MyRowStream();

  /// Advances to the next row: true if there is one, false at the end; an error if the
  /// connection failed mid-result (the rows read so far must then be discarded).
  Result<bool> next();
  /// The current row's cells, valid until the next call to next(); nullopt is NULL.
  std::span<const std::optional<std::string_view>> row() const { return cells_; }
  std::size_t columns() const { return cells_.size(); }

 private:
  friend class MyConnection;
  MyRowStream(MyConnection* connection, st_mysql_res* result, std::string statement);

  MyConnection* connection_;
  st_mysql_res* result_;
  std::string statement_;  // for errors
  std::vector<std::optional<std::string_view>> cells_;
};

class MyConnection {
 public:
  /// Connects to `endpoint` with the password from its file or environment variable.
  /// Errors: kUnavailable (retryable) when the server cannot be reached,
  /// kPermissionDenied for a refused login, kNotFound for an unknown database.
  static Result<std::unique_ptr<MyConnection>> connect(const Endpoint& endpoint,
                                                       const MyConnectOptions& options = {});
  static Result<std::unique_ptr<MyConnection>> connect(const Endpoint& endpoint,
                                                       const std::string& password,
                                                       const MyConnectOptions& options);
  ~MyConnection();
  MyConnection(const MyConnection&) = delete;
  MyConnection& operator=(const MyConnection&) = delete;

  /// Runs one statement and drops any rows it returns.
  Status execute(std::string_view sql);
  /// Runs one statement and stores its whole result (for small results only).
  Result<MyResult> query(std::string_view sql);
  /// Runs one statement and returns its rows as a stream (for results of any size).
  Result<MyRowStream> stream(std::string_view sql);

  /// Rows changed by the last INSERT/UPDATE/DELETE run with execute().
  std::uint64_t affected_rows() const;
  /// Warnings of the last statement run with execute().
  unsigned warning_count() const;

  /// Makes every read and write on this connection fail at once (the socket is shut
  /// down); used to abandon a half-read stream without reading it to its end.
  void cancel();

  /// The string escaped for a '...' literal (mysql_real_escape_string, utf8mb4 rules).
  std::string escape(std::string_view text) const;
  /// The string as a complete SQL literal: 'escaped'.
  std::string quote(std::string_view text) const { return "'" + escape(text) + "'"; }

  /// "10.11.6-MariaDB-log" / "8.0.35".
  std::string server_version() const;
  bool is_mariadb() const;
  const Endpoint& endpoint() const { return endpoint_; }
  st_mysql* raw() { return conn_; }

  /// Error with this connection's context:
  /// "<user@host:port/db>: <what>: <server message> (MySQL error <n>)".
  Error error(std::string_view what) const;

 private:
  MyConnection(st_mysql* conn, Endpoint endpoint) : conn_(conn), endpoint_(std::move(endpoint)) {}
  Status run(std::string_view sql);

  st_mysql* conn_;
  Endpoint endpoint_;
  std::uint64_t affected_rows_ = 0;
  unsigned warning_count_ = 0;
};

/// Reads an endpoint's password from password_file or password_env; errors name the
/// endpoint and the source of the password, never its value.
Result<std::string> endpoint_password(const Endpoint& endpoint);

/// `name` with backticks, a backtick inside doubled: a`b -> `a``b`.
std::string quote_identifier(std::string_view name);
/// `database`.`table`.
std::string qualified_name(std::string_view database, std::string_view table);

/// The start of a statement for messages (at most 160 characters, one line).
std::string statement_head(std::string_view sql);

/// How an error number from the server or the client library is classified.
ErrorCode classify_mysql_error(unsigned error_number);
bool is_retryable_mysql_error(unsigned error_number);

}  // namespace tideway::replication::mysql
