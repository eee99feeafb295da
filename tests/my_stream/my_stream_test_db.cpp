#include "tests/my_stream/my_stream_test_db.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <stdexcept>

#include "replication/core/load_state.h"
#include "tests/support/sandbox_env.h"

namespace tideway::test {
namespace {

using replication::mysql::MyConnection;

std::unique_ptr<MyConnection> admin(bool source, const std::string& database) {
  replication::mysql::MyConnectOptions options;
  options.session = replication::mysql::SessionKind::kSource;
  options.select_database = !database.empty();
  options.multi_statements = true;
  auto c = MyConnection::connect(sandbox_endpoint(source, database, true), options);
  if (!c.ok()) throw std::runtime_error(c.error().message);
  return std::move(c).value();
}

void run(MyConnection& conn, const std::string& sql) {
  if (Status s = conn.execute(sql); !s.ok()) throw std::runtime_error(s.message());
}

std::string first_value(MyConnection& conn, const std::string& sql) {
  auto r = conn.query(sql);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->empty() || r->is_null(0, 0) ? "NULL" : r->text(0, 0);
}

}  // namespace

replication::Endpoint sandbox_endpoint(bool source, const std::string& database, bool as_admin) {
  const std::string p = source ? "TIDEWAY_MARIADB_SOURCE_" : "TIDEWAY_MARIADB_TARGET_";
  replication::Endpoint e;
  e.engine = replication::Engine::kMariadb;
  e.host = sandbox_setting(p + "HOST");
  e.port = static_cast<std::uint16_t>(std::stoi(sandbox_setting(p + "PORT")));
  e.database = database;
  e.user = sandbox_setting(p + (as_admin ? "ADMIN_USER" : "USER"));
  e.password_file = sandbox_setting(p + (as_admin ? "ADMIN_PASSWORD_FILE" : "PASSWORD_FILE"));
  return e;
}

MyStreamDb::MyStreamDb(const std::string& prefix)
    : name_(prefix + "_" + std::to_string(::getpid())) {
  for (bool source : {true, false}) {
    auto c = admin(source, "");
    run(*c, "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS `" + name_ +
                "`; CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4");
    // Column names and keys in every TABLE_MAP: what tests/sandbox.sh should set.
    if (source) run(*c, "SET GLOBAL binlog_row_metadata = FULL");
  }
  source_admin_ = admin(true, name_);
  target_admin_ = admin(false, name_);
  spec_.id = "mst-" + std::to_string(::getpid()) + "-" + prefix.substr(0, 20);
  std::replace(spec_.id.begin(), spec_.id.end(), '_', '-');
  spec_.source = sandbox_endpoint(true, name_, false);
  spec_.target = sandbox_endpoint(false, name_, false);
  spec_.tables.include = {name_ + ".*"};
  spec_.mode = replication::TaskMode::kCdc;
  char tmpl[] = "/tmp/tideway_my_stream_test_XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  reopen_store();
  source_sql("CREATE TABLE stream_marker (n INT PRIMARY KEY)");
  target_sql("CREATE TABLE stream_marker (n INT PRIMARY KEY)");
}

MyStreamDb::~MyStreamDb() {
  if (thread_.joinable()) (void)stop();
  store_.reset();
  std::filesystem::remove_all(dir_);
  try {
    source_admin_.reset();
    target_admin_.reset();
    for (bool source : {true, false}) {
      auto c = admin(source, "");
      run(*c, "SET SESSION sql_log_bin = 0; DROP DATABASE IF EXISTS `" + name_ + "`");
      if (!source) {
        run(*c, "DELETE FROM `_tideway`.`apply_position` WHERE task_id = '" + spec_.id + "'");
      }
    }
  } catch (const std::exception& e) {
    WARN("cleaning up " << name_ << ": " << e.what());
  }
}

void MyStreamDb::reopen_store() {
  store_.reset();
  auto s = storage::StateStore::open(dir_.string());
  REQUIRE(s.ok());
  store_ = std::move(s).value();
}

void MyStreamDb::source_sql(const std::string& sql) { run(*source_admin_, sql); }
void MyStreamDb::target_sql(const std::string& sql) { run(*target_admin_, sql); }
void MyStreamDb::both_sql(const std::string& sql) {
  source_sql(sql);
  target_sql(sql);
}
std::string MyStreamDb::source_value(const std::string& sql) {
  return first_value(*source_admin_, sql);
}
std::string MyStreamDb::target_value(const std::string& sql) {
  return first_value(*target_admin_, sql);
}

std::vector<std::string> MyStreamDb::rows(MyConnection& conn, const std::string& table) {
  auto cols = conn.query(
      "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
      conn.quote(name_) + " AND TABLE_NAME = " + conn.quote(table) + " ORDER BY ORDINAL_POSITION");
  if (!cols.ok()) throw std::runtime_error(cols.error().message);
  if (cols->empty()) throw std::runtime_error("no table " + table + " in " + name_);
  std::string select;
  for (std::size_t i = 0; i < cols->size(); ++i) {
    const std::string c = replication::mysql::quote_identifier(cols->text(i, 0));
    const std::string type = cols->text(i, 1);
    std::string expr;
    if (type == "float" || type == "double") {
      expr = "CAST(CAST(" + c + " AS DOUBLE) AS CHAR)";  // shortest round-trip digits
    } else if (type == "decimal" || type == "date" || type == "time" || type == "datetime" ||
               type == "timestamp" || type == "year") {
      expr = "CAST(" + c + " AS CHAR)";
    } else if (type == "enum" || type == "set") {
      expr = "CONCAT(" + c + " + 0, ':', HEX(" + c + "))";  // index/bitmask and label
    } else {
      expr = "HEX(" + c + ")";  // bytes exactly; integers and BIT as their value
    }
    select += (select.empty() ? "" : ", '|', ") + std::string("COALESCE(") + expr + ", '\\\\N')";
  }
  auto r = conn.query("SELECT CONCAT(" + select + ") FROM " +
                      replication::mysql::qualified_name(name_, table));
  if (!r.ok()) throw std::runtime_error(r.error().message);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < r->size(); ++i) out.push_back(r->text(i, 0));
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MyStreamDb::source_rows(const std::string& table) {
  return rows(*source_admin_, table);
}
std::vector<std::string> MyStreamDb::target_rows(const std::string& table) {
  return rows(*target_admin_, table);
}

void MyStreamDb::start(replication::mysql::MyStreamOptions options) {
  replication::LoadStateStore state(*store_, spec_.id);
  auto task = state.load_task();
  REQUIRE(task.ok());
  if (!task->has_value()) {
    auto position = replication::mysql::current_binlog_position(spec_.source);
    if (!position.ok()) FAIL(position.error().message);
    replication::TaskState t;
    t.phase = replication::TaskPhase::kLoaded;
    t.start_position = position->to_string();
    REQUIRE(state.save_task(t).ok());
  }
  stop_ = false;
  ended_ = false;
  result_.reset();
  thread_ = std::thread([this, options] {
    result_ = replication::mysql::run_mysql_stream(spec_, *store_, status_, stop_, options);
    ended_ = true;
  });
}

Status MyStreamDb::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return result_.value_or(Status());
}

std::optional<Status> MyStreamDb::wait_end(int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!ended_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!ended_) return std::nullopt;
  return stop();
}

bool MyStreamDb::sync(int seconds) {
  const int n = ++marker_;
  source_sql("INSERT INTO stream_marker VALUES (" + std::to_string(n) + ")");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline && !ended_) {
    if (target_value("SELECT COUNT(*) FROM stream_marker WHERE n = " + std::to_string(n)) == "1") {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace tideway::test
