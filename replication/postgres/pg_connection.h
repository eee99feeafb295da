#pragma once
// PgConnection: one libpq connection with the errors tideway needs. Every failure says
// which server (user@host:port/db, never the password), what was being done, the
// server's SQLSTATE and message, and whether retrying can help. Not thread-safe: a
// connection belongs to one thread (a loader worker, the stream reader, the applier).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "replication/core/task_spec.h"

struct pg_conn;
struct pg_result;

namespace tideway::replication::postgres {

/// The rows of one query; cells as text (libpq's text format).
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r);
  ~PgResult();
  PgResult(PgResult&& o) noexcept;
  PgResult& operator=(PgResult&& o) noexcept;

  int rows() const;
  int columns() const;
  bool is_null(int row, int column) const;
  std::string_view get(int row, int column) const;
  std::string text(int row, int column) const { return std::string(get(row, column)); }
  std::optional<std::string> optional(int row, int column) const;
  std::int64_t as_int(int row, int column) const;
  bool as_bool(int row, int column) const { return get(row, column) == "t"; }
  /// Rows affected by an INSERT/UPDATE/DELETE/COPY.
  std::int64_t affected() const;
  const pg_result* raw() const { return r_; }

 private:
  pg_result* r_ = nullptr;
};

struct PgConnectOptions {
  bool replication = false;  // a walsender connection (replication=database)
  std::string application_name = "tideway";
  int connect_timeout_seconds = 10;  // Default: 10 s, so an unreachable host fails fast.
};

class PgConnection {
 public:
  /// Connects to `endpoint` with `password`. Errors name the server and the cause
  /// (unreachable: kUnavailable, retryable; bad password/no access: kPermissionDenied).
  static Result<std::unique_ptr<PgConnection>> connect(const Endpoint& endpoint,
                                                       const std::string& password,
                                                       const PgConnectOptions& options = {});
  /// Reads the endpoint's password from its file or environment variable first.
  static Result<std::unique_ptr<PgConnection>> connect(const Endpoint& endpoint,
                                                       const PgConnectOptions& options = {});
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// Runs one statement (or several, without parameters); the last result is returned.
  Result<PgResult> exec(std::string_view sql);
  /// Runs one statement with text parameters ($1, $2...); nullopt is SQL NULL.
  Result<PgResult> exec_params(std::string_view sql,
                               const std::vector<std::optional<std::string>>& params);

  /// COPY ... TO STDOUT: starts it; then read_copy_data until it returns an empty
  /// optional (end), then finish with end_copy_out.
  Status start_copy_out(std::string_view sql);
  /// Next chunk of COPY data (a view valid until the next call), or nullopt at the end.
  Result<std::optional<std::string_view>> read_copy_data();
  /// COPY ... FROM STDIN: starts it; then put_copy_data, then end_copy_in.
  Status start_copy_in(std::string_view sql);
  Status put_copy_data(std::string_view data);
  /// Ends COPY FROM STDIN and returns the number of rows loaded.
  Result<std::int64_t> end_copy_in();
  /// Abandons COPY FROM STDIN (the server discards what it received). Best effort: the
  /// caller rolls back or drops the connection afterwards either way.
  void abort_copy_in(const std::string& reason);

  /// The server's server_version_num (e.g. 150004).
  int server_version() const;
  const Endpoint& endpoint() const { return endpoint_; }
  pg_conn* raw() { return conn_; }
  /// Error with this connection's context: "<describe>: <what>: <server message>".
  Error error(std::string_view what, const pg_result* result = nullptr) const;

  /// Quotes an identifier or a literal with this connection's encoding rules.
  std::string quote_ident(std::string_view name) const;
  std::string quote_literal(std::string_view text) const;

 private:
  PgConnection(pg_conn* conn, Endpoint endpoint) : conn_(conn), endpoint_(std::move(endpoint)) {}

  pg_conn* conn_;
  Endpoint endpoint_;
  char* copy_buffer_ = nullptr;  // owned by libpq until freed with PQfreemem
};

/// Reads an endpoint's password from password_file or password_env.
Result<std::string> endpoint_password(const Endpoint& endpoint);

/// "schema"."table", quoted for SQL text.
std::string qualified_name(const PgConnection& conn, const std::string& schema,
                           const std::string& table);

}  // namespace tideway::replication::postgres
