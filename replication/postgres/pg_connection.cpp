#include "replication/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "common/log.h"
#include "common/secret.h"

namespace tideway::replication::postgres {
namespace {

const log::Logger kLog{"pg"};

// SQLSTATE classes that describe the operator's setup, not a passing fault.
ErrorCode classify(std::string_view sqlstate) {
  if (sqlstate == "28P01" || sqlstate == "28000" || sqlstate == "42501") {
    return ErrorCode::kPermissionDenied;
  }
  if (sqlstate == "42P01" || sqlstate == "42704" || sqlstate == "3D000") {
    return ErrorCode::kNotFound;
  }
  if (sqlstate == "42710" || sqlstate == "42P07") return ErrorCode::kAlreadyExists;
  if (sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P03" ||
      sqlstate == "53300" || sqlstate == "40001" || sqlstate == "40P01") {
    return ErrorCode::kUnavailable;
  }
  if (sqlstate == "55006") return ErrorCode::kConflict;  // object in use (slot active)
  return ErrorCode::kInvalidArgument;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Result<std::string> endpoint_password(const Endpoint& endpoint) {
  auto r = endpoint.password_file.empty() ? read_secret_env(endpoint.password_env)
                                          : read_secret_file(endpoint.password_file);
  if (!r.ok()) return std::move(r).error().with_context("password for " + endpoint.describe());
  return r;
}

// ---- PgResult -------------------------------------------------------------------------

PgResult::PgResult(pg_result* r) : r_(r) {}
PgResult::~PgResult() {
  if (r_ != nullptr) PQclear(r_);
}
PgResult::PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_ != nullptr) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
int PgResult::rows() const { return r_ == nullptr ? 0 : PQntuples(r_); }
int PgResult::columns() const { return r_ == nullptr ? 0 : PQnfields(r_); }
bool PgResult::is_null(int row, int column) const { return PQgetisnull(r_, row, column) == 1; }
std::string_view PgResult::get(int row, int column) const {
  return {PQgetvalue(r_, row, column), static_cast<std::size_t>(PQgetlength(r_, row, column))};
}
std::optional<std::string> PgResult::optional(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}
std::int64_t PgResult::as_int(int row, int column) const {
  return std::strtoll(PQgetvalue(r_, row, column), nullptr, 10);
}
std::int64_t PgResult::affected() const {
  const char* n = r_ == nullptr ? "" : PQcmdTuples(r_);
  return *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

// ---- PgConnection ---------------------------------------------------------------------

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const Endpoint& endpoint,
                                                            const PgConnectOptions& options) {
  auto password = endpoint_password(endpoint);
  if (!password.ok()) return std::move(password).error();
  return connect(endpoint, *password, options);
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const Endpoint& endpoint,
                                                            const std::string& password,
                                                            const PgConnectOptions& options) {
  // Keywords, not a conninfo string: the password never exists in a string that some
  // error path could print.
  const std::string port = std::to_string(endpoint.port);
  const std::string timeout = std::to_string(options.connect_timeout_seconds);
  std::vector<const char*> keys = {"host", "port", "dbname", "user", "password", "sslmode",
                                   "application_name", "connect_timeout",
                                   "client_encoding"};
  std::vector<const char*> values = {endpoint.host.c_str(), port.c_str(),
                                     endpoint.database.c_str(), endpoint.user.c_str(),
                                     password.c_str(), endpoint.sslmode.c_str(),
                                     options.application_name.c_str(), timeout.c_str(), "UTF8"};
  if (options.replication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) {
    return make_error(ErrorCode::kInternal, "libpq could not allocate a connection");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = trim(PQerrorMessage(conn));
    PQfinish(conn);
    ErrorCode code = ErrorCode::kUnavailable;
    bool retryable = true;
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("no pg_hba.conf entry") != std::string::npos ||
        message.find("permission denied") != std::string::npos) {
      code = ErrorCode::kPermissionDenied;
      retryable = false;
    } else if (message.find("does not exist") != std::string::npos) {
      code = ErrorCode::kNotFound;
      retryable = false;
    }
    return make_error(code, fmt::format("cannot connect to {}{}: {}", endpoint.describe(),
                                        options.replication ? " (replication)" : "", message),
                      retryable);
  }
  // Server notices ("relation ... already exists, skipping") go to the debug log, not
  // to stderr, where they would break the one-line-per-event rule.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        std::string text = message;
        while (!text.empty() && text.back() == '\n') text.pop_back();
        kLog.debug("server notice", {{"notice", text}});
      },
      nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, endpoint));
}

PgConnection::~PgConnection() {
  if (copy_buffer_ != nullptr) PQfreemem(copy_buffer_);
  PQfinish(conn_);
}

Error PgConnection::error(std::string_view what, const pg_result* result) const {
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    sqlstate = s == nullptr ? "" : s;
    message = trim(PQresultErrorMessage(result));
  }
  if (message.empty()) message = trim(PQerrorMessage(conn_));
  const bool broken = PQstatus(conn_) != CONNECTION_OK;
  ErrorCode code = broken ? ErrorCode::kUnavailable : classify(sqlstate);
  return make_error(code,
                    fmt::format("{}: {}: {}{}", endpoint_.describe(), what, message,
                                sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"),
                    code == ErrorCode::kUnavailable);
}

namespace {
std::string statement_head(std::string_view sql) {
  std::string head(sql.substr(0, 160));
  for (char& c : head) c = (c == '\n' || c == '\t') ? ' ' : c;
  return sql.size() > 160 ? head + "..." : head;
}
}  // namespace

Result<PgResult> PgConnection::exec(std::string_view sql) {
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  const ExecStatusType st = PQresultStatus(result.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return error(fmt::format("statement failed [{}]", statement_head(sql)), result.raw());
  }
  return result;
}

Result<PgResult> PgConnection::exec_params(std::string_view sql,
                                           const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult result(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(values.size()),
                               nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = PQresultStatus(result.raw());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return error(fmt::format("statement failed [{}]", statement_head(sql)), result.raw());
  }
  return result;
}

Status PgConnection::start_copy_out(std::string_view sql) {
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  if (PQresultStatus(result.raw()) != PGRES_COPY_OUT) {
    return error(fmt::format("COPY TO failed [{}]", statement_head(sql)), result.raw());
  }
  return {};
}

Result<std::optional<std::string_view>> PgConnection::read_copy_data() {
  if (copy_buffer_ != nullptr) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  const int n = PQgetCopyData(conn_, &copy_buffer_, 0);
  if (n > 0) return std::optional<std::string_view>(std::string_view(copy_buffer_, n));
  if (n == -1) {
    // End of COPY: the command's own result says whether it succeeded.
    PgResult result(PQgetResult(conn_));
    const ExecStatusType st = PQresultStatus(result.raw());
    while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
    if (st != PGRES_COMMAND_OK) return error("COPY TO ended with an error", result.raw());
    return std::optional<std::string_view>();
  }
  return error("COPY TO read failed");
}

Status PgConnection::start_copy_in(std::string_view sql) {
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  if (PQresultStatus(result.raw()) != PGRES_COPY_IN) {
    return error(fmt::format("COPY FROM failed [{}]", statement_head(sql)), result.raw());
  }
  return {};
}

Status PgConnection::put_copy_data(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    return error("COPY FROM write failed");
  }
  return {};
}

Result<std::int64_t> PgConnection::end_copy_in() {
  if (PQputCopyEnd(conn_, nullptr) != 1) return error("COPY FROM end failed");
  PgResult result(PQgetResult(conn_));
  const ExecStatusType st = PQresultStatus(result.raw());
  while (pg_result* extra = PQgetResult(conn_)) PQclear(extra);
  if (st != PGRES_COMMAND_OK) return error("COPY FROM ended with an error", result.raw());
  return result.affected();
}

void PgConnection::abort_copy_in(const std::string& reason) {
  if (PQputCopyEnd(conn_, reason.c_str()) == 1) {
    while (pg_result* r = PQgetResult(conn_)) PQclear(r);
  }
}

int PgConnection::server_version() const { return PQserverVersion(conn_); }

std::string PgConnection::quote_ident(std::string_view name) const {
  char* q = PQescapeIdentifier(conn_, name.data(), name.size());
  std::string out = q == nullptr ? std::string() : std::string(q);
  PQfreemem(q);
  return out;
}

std::string PgConnection::quote_literal(std::string_view text) const {
  char* q = PQescapeLiteral(conn_, text.data(), text.size());
  std::string out = q == nullptr ? std::string() : std::string(q);
  PQfreemem(q);
  return out;
}

std::string qualified_name(const PgConnection& conn, const std::string& schema,
                           const std::string& table) {
  return conn.quote_ident(schema) + "." + conn.quote_ident(table);
}

}  // namespace tideway::replication::postgres
