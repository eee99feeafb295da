#include "replication/mysql/my_connection.h"

#include <fmt/format.h>
#include <mysql.h>

#include <cstdlib>

#include "common/secret.h"

namespace tideway::replication::mysql {
namespace {

// Client library errors (2000-2999) that mean the server was not reached or the
// connection broke, and server errors that a new attempt can get past.
bool is_connection_error(unsigned n) {
  switch (n) {
    case 2002:  // CR_CONNECTION_ERROR: cannot connect through the socket
    case 2003:  // CR_CONN_HOST_ERROR: cannot connect to host:port
    case 2005:  // CR_UNKNOWN_HOST (DNS may come back)
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2026:  // CR_SSL_CONNECTION_ERROR
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1077:  // ER_NORMAL_SHUTDOWN
    case 1152:  // ER_ABORTING_CONNECTION
    case 1158:
    case 1159:
    case 1160:
    case 1161:  // network read/write errors and timeouts
    case 1927:  // ER_CONNECTION_KILLED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return true;
    default:
      return false;
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

const char* session_sql(SessionKind kind) {
  switch (kind) {
    case SessionKind::kSource:
      return "SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = 'NO_ENGINE_SUBSTITUTION', "
             "net_read_timeout = 600, net_write_timeout = 600";
    case SessionKind::kSourceRaw:
      return "SET NAMES utf8mb4, character_set_results = binary, time_zone = '+00:00', "
             "sql_mode = 'NO_ENGINE_SUBSTITUTION', net_read_timeout = 600, "
             "net_write_timeout = 600";
    case SessionKind::kTarget:
      return "SET NAMES utf8mb4, time_zone = '+00:00', sql_mode = "
             "'STRICT_ALL_TABLES,ALLOW_INVALID_DATES,NO_AUTO_VALUE_ON_ZERO,"
             "NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0, "
             "net_read_timeout = 600, net_write_timeout = 600";
  }
  return "";
}

}  // namespace

ErrorCode classify_mysql_error(unsigned n) {
  if (is_connection_error(n)) return ErrorCode::kUnavailable;
  switch (n) {
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1143:  // ER_COLUMNACCESS_DENIED_ERROR
    case 1227:  // ER_SPECIFIC_ACCESS_DENIED_ERROR
    case 1370:  // ER_PROCACCESS_DENIED_ERROR
    case 1419:  // ER_BINLOG_CREATE_ROUTINE_NEED_SUPER
    case 1698:  // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
      return ErrorCode::kPermissionDenied;
    case 1049:  // ER_BAD_DB_ERROR
    case 1146:  // ER_NO_SUCH_TABLE
    case 1305:  // ER_SP_DOES_NOT_EXIST
    case 1360:  // ER_TRG_DOES_NOT_EXIST
      return ErrorCode::kNotFound;
    case 1007:  // ER_DB_CREATE_EXISTS
    case 1050:  // ER_TABLE_EXISTS_ERROR
    case 1061:  // ER_DUP_KEYNAME
    case 1304:  // ER_SP_ALREADY_EXISTS
    case 1359:  // ER_TRG_ALREADY_EXISTS
    case 1826:  // ER_FK_DUP_NAME
    case 1022:  // ER_DUP_KEY (duplicate constraint name on some versions)
      return ErrorCode::kAlreadyExists;
    case 1062:  // ER_DUP_ENTRY
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
    case 1412:  // ER_TABLE_DEF_CHANGED: DDL on the source since the snapshot began
      return ErrorCode::kConflict;
    default:
      return ErrorCode::kInvalidArgument;
  }
}

bool is_retryable_mysql_error(unsigned n) {
  // A deadlock, a lock wait timeout or a table changed under a snapshot go away with a
  // new transaction; the connection errors with a new connection.
  return is_connection_error(n) || n == 1205 || n == 1213 || n == 1412;
}

Result<std::string> endpoint_password(const Endpoint& endpoint) {
  auto r = endpoint.password_file.empty() ? read_secret_env(endpoint.password_env)
                                          : read_secret_file(endpoint.password_file);
  if (!r.ok()) return std::move(r).error().with_context("password for " + endpoint.describe());
  return r;
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

std::string qualified_name(std::string_view database, std::string_view table) {
  return quote_identifier(database) + "." + quote_identifier(table);
}

std::string statement_head(std::string_view sql) {
  std::string head(sql.substr(0, 160));
  for (char& c : head) c = (c == '\n' || c == '\t' || c == '\r') ? ' ' : c;
  return sql.size() > 160 ? head + "..." : head;
}

// ---- MyResult --------------------------------------------------------------------------

bool MyResult::is_null(std::size_t row, std::size_t column) const {
  return row >= rows.size() || column >= rows[row].size() || !rows[row][column].has_value();
}

std::string MyResult::text(std::size_t row, std::size_t column) const {
  return is_null(row, column) ? std::string() : *rows[row][column];
}

std::int64_t MyResult::as_int(std::size_t row, std::size_t column) const {
  return is_null(row, column) ? 0 : std::strtoll(rows[row][column]->c_str(), nullptr, 10);
}

// ---- MyRowStream -----------------------------------------------------------------------

MyRowStream::MyRowStream(MyConnection* connection, st_mysql_res* result, std::string statement)
    : connection_(connection), result_(result), statement_(std::move(statement)) {
  cells_.resize(mysql_num_fields(result_));
}

MyRowStream::MyRowStream(MyRowStream&& o) noexcept
    : connection_(o.connection_),
      result_(o.result_),
      statement_(std::move(o.statement_)),
      cells_(std::move(o.cells_)) {
  o.result_ = nullptr;
}

MyRowStream::~MyRowStream() {
  if (result_ != nullptr) mysql_free_result(result_);
}

Result<bool> MyRowStream::next() {
  if (result_ == nullptr) return false;
  MYSQL_ROW row = mysql_fetch_row(result_);
  if (row == nullptr) {
    if (mysql_errno(connection_->raw()) != 0) {
      return connection_->error(fmt::format("reading the rows of [{}]", statement_));
    }
    return false;
  }
  const unsigned long* lengths = mysql_fetch_lengths(result_);
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    if (row[i] == nullptr) {
      cells_[i].reset();
    } else {
      cells_[i] = std::string_view(row[i], lengths[i]);
    }
  }
  return true;
}

// ---- MyConnection ----------------------------------------------------------------------

Result<std::unique_ptr<MyConnection>> MyConnection::connect(const Endpoint& endpoint,
                                                            const MyConnectOptions& options) {
  auto password = endpoint_password(endpoint);
  if (!password.ok()) return std::move(password).error();
  return connect(endpoint, *password, options);
}

Result<std::unique_ptr<MyConnection>> MyConnection::connect(const Endpoint& endpoint,
                                                            const std::string& password,
                                                            const MyConnectOptions& options) {
  MYSQL* conn = mysql_init(nullptr);
  if (conn == nullptr) {
    return make_error(ErrorCode::kInternal,
                      "the MariaDB client library could not allocate a "
                      "connection");
  }
  const unsigned timeout = static_cast<unsigned>(options.connect_timeout_seconds);
  mysql_options(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  // The library escapes by its own idea of the charset, which SET NAMES does not change.
  mysql_options(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // Rows and INSERT statements may be as large as the servers allow; the servers'
  // max_allowed_packet is the limit that counts, not a smaller client default.
  const unsigned long max_packet = 1UL << 30;
  mysql_options(conn, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  mysql_optionsv(conn, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "tideway");
  if (endpoint.sslmode == "require" || endpoint.sslmode == "verify-ca" ||
      endpoint.sslmode == "verify-full") {
    const my_bool enforce = 1;
    mysql_options(conn, MYSQL_OPT_SSL_ENFORCE, &enforce);
    const my_bool verify = endpoint.sslmode != "require";
    mysql_options(conn, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  unsigned long flags = 0;
  if (options.multi_statements) flags |= CLIENT_MULTI_STATEMENTS;
  const char* database =
      options.select_database && !endpoint.database.empty() ? endpoint.database.c_str() : nullptr;
  if (mysql_real_connect(conn, endpoint.host.c_str(), endpoint.user.c_str(), password.c_str(),
                         database, endpoint.port, nullptr, flags) == nullptr) {
    const unsigned n = mysql_errno(conn);
    std::string message = trim(mysql_error(conn));
    mysql_close(conn);
    const ErrorCode code = classify_mysql_error(n);
    return make_error(
        code == ErrorCode::kInvalidArgument ? ErrorCode::kUnavailable : code,
        fmt::format("cannot connect to {}: {} (MySQL error {})", endpoint.describe(), message, n),
        is_connection_error(n));
  }
  auto connection = std::unique_ptr<MyConnection>(new MyConnection(conn, endpoint));
  if (Status s = connection->execute(session_sql(options.session)); !s.ok()) {
    return std::move(s).error().with_context("setting up the session");
  }
  return connection;
}

MyConnection::~MyConnection() { mysql_close(conn_); }

Error MyConnection::error(std::string_view what) const {
  const unsigned n = mysql_errno(conn_);
  std::string message = trim(mysql_error(conn_));
  if (message.empty()) message = "unknown error";
  return make_error(classify_mysql_error(n),
                    fmt::format("{}: {}: {}{}", endpoint_.describe(), what, message,
                                n == 0 ? "" : fmt::format(" (MySQL error {})", n)),
                    is_retryable_mysql_error(n));
}

Status MyConnection::run(std::string_view sql) {
  if (mysql_real_query(conn_, sql.data(), static_cast<unsigned long>(sql.size())) != 0) {
    return error(fmt::format("statement failed [{}]", statement_head(sql)));
  }
  return {};
}

Status MyConnection::execute(std::string_view sql) {
  if (Status s = run(sql); !s.ok()) return s;
  // Drop every result the statement produced (several with multi_statements). The
  // counts are taken before the next result resets them.
  for (;;) {
    if (mysql_field_count(conn_) == 0) {
      affected_rows_ = mysql_affected_rows(conn_);
      warning_count_ = mysql_warning_count(conn_);
    } else if (MYSQL_RES* r = mysql_store_result(conn_); r != nullptr) {
      mysql_free_result(r);
    } else {
      return error(fmt::format("reading the result of [{}]", statement_head(sql)));
    }
    const int more = mysql_next_result(conn_);
    if (more == -1) break;
    if (more > 0) return error(fmt::format("statement failed [{}]", statement_head(sql)));
  }
  return {};
}

Result<MyResult> MyConnection::query(std::string_view sql) {
  if (Status s = run(sql); !s.ok()) return std::move(s).error();
  MyResult out;
  MYSQL_RES* r = mysql_store_result(conn_);
  if (r == nullptr) {
    if (mysql_field_count(conn_) != 0) {
      return error(fmt::format("reading the result of [{}]", statement_head(sql)));
    }
    return out;  // a statement without rows
  }
  const unsigned fields = mysql_num_fields(r);
  const MYSQL_FIELD* meta = mysql_fetch_fields(r);
  for (unsigned i = 0; i < fields; ++i) out.columns.emplace_back(meta[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    const unsigned long* lengths = mysql_fetch_lengths(r);
    MyRow cells(fields);
    for (unsigned i = 0; i < fields; ++i) {
      if (row[i] != nullptr) cells[i] = std::string(row[i], lengths[i]);
    }
    out.rows.push_back(std::move(cells));
  }
  mysql_free_result(r);
  return out;
}

Result<MyRowStream> MyConnection::stream(std::string_view sql) {
  if (Status s = run(sql); !s.ok()) return std::move(s).error();
  MYSQL_RES* r = mysql_use_result(conn_);
  if (r == nullptr) {
    return error(fmt::format("statement returned no rows [{}]", statement_head(sql)));
  }
  return MyRowStream(this, r, statement_head(sql));
}

std::uint64_t MyConnection::affected_rows() const { return affected_rows_; }

unsigned MyConnection::warning_count() const { return warning_count_; }

void MyConnection::cancel() { mariadb_cancel(conn_); }

std::string MyConnection::escape(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(conn_, out.data(), text.data(),
                                                   static_cast<unsigned long>(text.size()));
  out.resize(n);
  return out;
}

std::string MyConnection::server_version() const { return mysql_get_server_info(conn_); }

bool MyConnection::is_mariadb() const {
  return server_version().find("MariaDB") != std::string::npos;
}

}  // namespace tideway::replication::mysql
