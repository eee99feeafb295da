#include "tests/my_full_load/my_test_db.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>

#include "tests/support/sandbox_env.h"

namespace tideway::test {
namespace {

using replication::Endpoint;
using replication::mysql::MyConnection;
using replication::mysql::SessionKind;

std::unique_ptr<MyConnection> connect(const Endpoint& e, bool select_database) {
  auto c = MyConnection::connect(e, {SessionKind::kSource, select_database, true, 10});
  if (!c.ok()) throw std::runtime_error(c.error().message);
  run_sql(**c, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'");
  return std::move(c).value();
}

// How one column is rendered for comparison, by its DATA_TYPE.
std::string render(const std::string& type, const std::string& column) {
  const std::string c = replication::mysql::quote_identifier(column);
  std::string expr;
  if (type == "float" || type == "double") {
    expr = "CAST(CAST(" + c + " AS DOUBLE) AS CHAR)";
  } else if (type == "bit") {
    expr = "CAST(" + c + " + 0 AS CHAR)";
  } else if (type == "tinyint" || type == "smallint" || type == "mediumint" || type == "int" ||
             type == "bigint" || type == "decimal" || type == "year" || type == "date" ||
             type == "time" || type == "datetime" || type == "timestamp" || type == "inet6" ||
             type == "inet4" || type == "uuid") {
    expr = "CAST(" + c + " AS CHAR)";
  } else {
    expr = "HEX(" + c + ")";  // strings, binaries, enums, sets, JSON, geometry: the bytes
  }
  return "IFNULL(" + expr + ", 'NULL')";
}

}  // namespace

void run_sql(MyConnection& conn, const std::string& sql) {
  if (Status s = conn.execute(sql); !s.ok()) throw std::runtime_error(s.error().message);
}

std::string value_of(MyConnection& conn, const std::string& sql) {
  auto r = conn.query(sql);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->empty() || r->is_null(0, 0) ? "NULL" : r->text(0, 0);
}

Endpoint MyTestDb::endpoint(bool source, const std::string& database, bool admin) {
  const std::string p = std::string("TIDEWAY_MARIADB_") + (source ? "SOURCE_" : "TARGET_");
  Endpoint e;
  e.engine = replication::Engine::kMariadb;
  e.host = sandbox_setting(p + "HOST");
  e.port = static_cast<std::uint16_t>(std::stoi(sandbox_setting(p + "PORT")));
  e.database = database;
  e.user = sandbox_setting(p + (admin ? "ADMIN_USER" : "USER"));
  e.password_file = sandbox_setting(p + (admin ? "ADMIN_PASSWORD_FILE" : "PASSWORD_FILE"));
  return e;
}

std::unique_ptr<MyConnection> admin_connection(bool source) {
  return connect(MyTestDb::endpoint(source, "", true), false);
}

MyTestDb::MyTestDb(const std::string& prefix) {
  std::random_device rd;
  const std::string suffix = std::to_string(rd() % 1000000);
  name_ = prefix + "_" + suffix;
  task_prefix_ = name_;
  for (char& c : task_prefix_) c = c == '_' ? '-' : c;
  const std::string migrator = "'" + sandbox_setting("TIDEWAY_MARIADB_SOURCE_USER") + "'@'" +
                               sandbox_setting("TIDEWAY_MARIADB_SOURCE_HOST") + "'";
  {
    auto admin = admin_connection(true);
    run_sql(*admin, "CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
    // What an operator grants for schema copying: view definitions and triggers.
    run_sql(*admin, "GRANT SHOW VIEW, TRIGGER ON `" + name_ + "`.* TO " + migrator);
  }
  source_admin_ = connect(endpoint(true, name_, true), true);
  target_admin_ = connect(endpoint(false, "", true), false);
}

MyTestDb::~MyTestDb() {
  try {
    source_admin_.reset();
    target_admin_.reset();
    const std::string migrator = "'" + sandbox_setting("TIDEWAY_MARIADB_SOURCE_USER") + "'@'" +
                                 sandbox_setting("TIDEWAY_MARIADB_SOURCE_HOST") + "'";
    auto source = admin_connection(true);
    source->execute("DROP DATABASE IF EXISTS `" + name_ + "`").ignore_error();
    source->execute("REVOKE SHOW VIEW, TRIGGER ON `" + name_ + "`.* FROM " + migrator)
        .ignore_error();
    auto target = admin_connection(false);
    target->execute("DROP DATABASE IF EXISTS `" + name_ + "`").ignore_error();
    target->execute("DELETE FROM `_tideway`.`load_chunks` WHERE task_id LIKE '" + task_prefix_ +
                    "%'").ignore_error();
    target->execute("DELETE FROM `_tideway`.`task_steps` WHERE task_id LIKE '" + task_prefix_ +
                    "%'").ignore_error();
  } catch (...) {
    // Cleanup is best effort: a leftover database does not affect other tests.
  }
}

replication::TaskSpec MyTestDb::task_spec(const std::string& suffix) const {
  replication::TaskSpec spec;
  spec.id = suffix.empty() ? task_prefix_ : task_prefix_ + "-" + suffix;
  spec.source = endpoint(true, name_, false);
  spec.target = endpoint(false, name_, false);
  spec.tables.include = {name_ + ".*"};
  spec.mode = replication::TaskMode::kFullLoad;
  return spec;
}

void MyTestDb::source_sql(const std::string& sql) { run_sql(*source_admin_, sql); }
void MyTestDb::target_sql(const std::string& sql) { run_sql(*target_admin_, sql); }
std::string MyTestDb::source_value(const std::string& sql) { return value_of(*source_admin_, sql); }
std::string MyTestDb::target_value(const std::string& sql) { return value_of(*target_admin_, sql); }

std::vector<std::string> MyTestDb::rows(MyConnection& conn, const std::string& table) {
  auto columns = conn.query(
      "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
      conn.quote(name_) + " AND TABLE_NAME = " + conn.quote(table) + " ORDER BY ORDINAL_POSITION");
  if (!columns.ok()) throw std::runtime_error(columns.error().message);
  if (columns->empty()) throw std::runtime_error("table " + name_ + "." + table + " not found");
  std::string exprs;
  for (std::size_t r = 0; r < columns->size(); ++r) {
    exprs += (exprs.empty() ? "" : ", ") + render(columns->text(r, 1), columns->text(r, 0));
  }
  auto result = conn.query("SELECT CONCAT_WS('|', " + exprs + ") AS r FROM " +
                           replication::mysql::qualified_name(name_, table));
  if (!result.ok()) throw std::runtime_error(result.error().message);
  std::vector<std::string> out;
  for (std::size_t r = 0; r < result->size(); ++r) out.push_back(result->text(r, 0));
  // Sorted here, by bytes: the server sorts long strings by a prefix only.
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MyTestDb::source_rows(const std::string& table) {
  return rows(*source_admin_, table);
}
std::vector<std::string> MyTestDb::target_rows(const std::string& table) {
  return rows(*target_admin_, table);
}

ScopedTargetGlobal::ScopedTargetGlobal(std::string name, const std::string& value)
    : name_(std::move(name)) {
  auto admin = admin_connection(false);
  before_ = value_of(*admin, "SELECT @@GLOBAL." + name_);
  run_sql(*admin, "SET GLOBAL " + name_ + " = " + value);
}

ScopedTargetGlobal::~ScopedTargetGlobal() {
  try {
    auto admin = admin_connection(false);
    admin->execute("SET GLOBAL " + name_ + " = " + before_).ignore_error();
  } catch (...) {
    // Best effort, like the other cleanups.
  }
}

namespace {
std::string with_user(std::string statement, const std::string& account) {
  const auto at = statement.find("{user}");
  if (at != std::string::npos) statement.replace(at, 6, account);
  return statement;
}
}  // namespace

SourceUser::SourceUser(const std::string& name, const std::vector<std::string>& grants)
    : name_(name) {
  account_ = "'" + name + "'@'" + sandbox_setting("TIDEWAY_MARIADB_SOURCE_HOST") + "'";
  std::random_device rd;
  const std::string password = "pw-" + std::to_string(rd()) + "-" + std::to_string(rd());
  password_file_ = "/tmp/tideway_" + name + ".password";
  {
    std::ofstream out(password_file_, std::ios::trunc);
    out << password << "\n";
  }
  std::filesystem::permissions(password_file_, std::filesystem::perms::owner_read |
                                                   std::filesystem::perms::owner_write);
  auto admin = admin_connection(true);
  run_sql(*admin, "CREATE USER " + account_ + " IDENTIFIED BY '" + password + "'");
  for (const auto& g : grants) run_sql(*admin, with_user(g, account_));
}

SourceUser::~SourceUser() {
  try {
    auto admin = admin_connection(true);
    admin->execute("DROP USER IF EXISTS " + account_).ignore_error();
  } catch (...) {
    // Best effort.
  }
  std::error_code ignored;
  std::filesystem::remove(password_file_, ignored);
}

void SourceUser::grant(const std::string& statement) {
  auto admin = admin_connection(true);
  run_sql(*admin, with_user(statement, account_));
}

}  // namespace tideway::test
