// Problems on the source and target are found before any data moves, all at once, each
// naming the object and the fix; with them fixed, the load records where the change
// stream will start. Connection failures name the server, never the password.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "common/secret.h"
#include "replication/core/load_state.h"
#include "replication/mysql/my_connection.h"
#include "replication/mysql/my_full_load.h"
#include "replication/mysql/my_position.h"
#include "storage/state_store.h"
#include "tests/my_full_load/my_test_db.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

struct Run {
  fs::path dir;
  std::unique_ptr<storage::StateStore> store;
  Run() {
    char tmpl[] = "/tmp/tideway_myprereq_test_XXXXXX";
    dir = ::mkdtemp(tmpl);
    store = std::move(storage::StateStore::open(dir.string())).value();
  }
  ~Run() {
    store.reset();
    fs::remove_all(dir);
  }
  Result<mysql::MyFullLoadResult> load(const TaskSpec& spec) {
    LoadProgress progress;
    std::atomic<bool> stop{false};
    return mysql::run_mysql_full_load(spec, *store, progress, stop);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string unique_suffix() {
  std::random_device rd;
  return std::to_string(rd() % 1000000);
}

mysql::BinlogPosition master_position(test::MyTestDb& db) {
  auto r = db.source_admin().query("SHOW MASTER STATUS");
  if (!r.ok() || r->empty()) throw std::runtime_error("SHOW MASTER STATUS failed");
  return mysql::BinlogPosition{r->text(0, 0), std::stoull(r->text(0, 1)), ""};
}

}  // namespace

TEST_CASE("Every missing source grant is reported at once, before any data moves") {
  test::MyTestDb db("my_prereq");
  db.source_sql("CREATE TABLE keyed (id INT PRIMARY KEY, v TEXT);"
                "CREATE TABLE loose (v TEXT);"
                "INSERT INTO keyed VALUES (1, 'a'), (2, 'b'); INSERT INTO loose VALUES ('c');"
                "CREATE VIEW keyed_view AS SELECT id FROM keyed");
  // SELECT on one table, INSERT (which makes it visible) but no SELECT on the other.
  const std::string name = "tw_pre_" + unique_suffix();
  test::SourceUser user(name, {"GRANT SELECT ON `" + db.name() + "`.`keyed` TO {user}",
                               "GRANT INSERT ON `" + db.name() + "`.`loose` TO {user}"});
  TaskSpec spec = db.task_spec();
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.source.user = user.name();
  spec.source.password_file = user.password_file();
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  const std::string& m = r.error().message;
  INFO(m);
  const std::string account = user.account();
  CHECK(contains(m, "may not read the binlog; run GRANT REPLICATION SLAVE ON *.* TO " + account));
  CHECK(contains(m, "may not see binlog positions; run GRANT BINLOG MONITOR ON *.* TO " + account));
  CHECK(contains(m, fmt::format("cannot read table {0}.loose; run GRANT SELECT ON `{0}`.`loose` "
                                "TO {1}", db.name(), account)));
  CHECK_FALSE(contains(m, "cannot read table " + db.name() + ".keyed"));
  CHECK(contains(m, fmt::format("run GRANT SHOW VIEW ON `{}`.* TO {}", db.name(), account)));
  CHECK(contains(m, fmt::format("cannot see the triggers of database {}", db.name())));
  CHECK(contains(m, "run GRANT SELECT ON mysql.proc TO " + account));
  // The binlog settings of the sandbox are right, so they are not among the problems.
  CHECK_FALSE(contains(m, "binlog_format"));
  // Nothing moved: the target has no such database.
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        db.name() + "'") == "0");

  // Granted as the messages say: the load runs and records where the stream starts.
  user.grant("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO {user}");
  user.grant("GRANT SELECT, SHOW VIEW, TRIGGER ON `" + db.name() + "`.* TO {user}");
  user.grant("GRANT SELECT ON mysql.proc TO {user}");
  const auto before = master_position(db);
  auto ok = run.load(spec);
  if (!ok.ok()) FAIL(ok.error().message);
  const auto after = master_position(db);
  auto start = mysql::BinlogPosition::parse(ok->start_position);
  REQUIRE(start);
  CHECK_FALSE(start->gtid.empty());
  CHECK(before <= *start);
  CHECK(*start <= after);
  CHECK(ok->warnings == std::vector<std::string>{fmt::format(
                           "table {}.loose has no primary key: one worker copies it in one chunk, "
                           "and the change stream will find its rows by all columns",
                           db.name())});
  LoadStateStore state(*run.store, spec.id);
  auto task = state.load_task();
  REQUIRE(task.ok());
  CHECK((*task)->phase == TaskPhase::kLoaded);
  CHECK((*task)->start_position == ok->start_position);
  for (const std::string table : {"keyed", "loose"}) {
    auto done = state.load_done(db.name() + "." + table);
    REQUIRE(done.ok());
    REQUIRE(done->size() == 1);
    auto read_at = mysql::BinlogPosition::parse(done->begin()->second.snapshot);
    REQUIRE(read_at);
    CHECK(*start <= *read_at);
    CHECK(db.source_rows(table) == db.target_rows(table));
  }
  // With a stream to follow, the view is made now but triggers and foreign keys wait.
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = '" +
                        db.name() + "'") == "1");
}

TEST_CASE("Grants held through the user's default role count; what the role lacks is reported") {
  test::MyTestDb db("my_role");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t VALUES (1), (2)");
  const std::string role = "tw_role_" + unique_suffix();
  struct DropRole {
    std::string name;
    ~DropRole() {
      try {
        test::admin_connection(true)->execute("DROP ROLE IF EXISTS " + name).ignore_error();
      } catch (...) {
        // Best effort.
      }
    }
  } drop_role{role};
  {
    auto admin = test::admin_connection(true);
    test::run_sql(*admin, "CREATE ROLE " + role);
    test::run_sql(*admin, "GRANT SELECT, REPLICATION SLAVE ON *.* TO " + role);
    test::run_sql(*admin, "GRANT SHOW VIEW, TRIGGER ON `" + db.name() + "`.* TO " + role);
  }
  test::SourceUser user("tw_ru_" + unique_suffix(),
                        {"GRANT " + role + " TO {user}",
                         "SET DEFAULT ROLE " + role + " FOR {user}"});
  TaskSpec spec = db.task_spec();
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.source.user = user.name();
  spec.source.password_file = user.password_file();
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  const std::string& m = r.error().message;
  INFO(m);
  CHECK(contains(m, "(1) user " + user.account() + " may not see binlog positions; run GRANT "
                    "BINLOG MONITOR ON *.* TO " + user.account()));
  CHECK_FALSE(contains(m, "(2)"));  // the role's other grants count

  test::run_sql(*test::admin_connection(true), "GRANT BINLOG MONITOR ON *.* TO " + role);
  auto ok = run.load(spec);
  if (!ok.ok()) FAIL(ok.error().message);
  CHECK(mysql::BinlogPosition::parse(ok->start_position));
  CHECK(db.source_rows("t") == db.target_rows("t"));
}

TEST_CASE("A target that cannot create triggers under its binlog is reported before loading") {
  test::ScopedTargetGlobal trust("log_bin_trust_function_creators", "0");
  test::MyTestDb db("my_trust");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY, v INT);"
                "CREATE TRIGGER t_bump BEFORE INSERT ON t FOR EACH ROW SET NEW.v = NEW.v + 1;"
                "INSERT INTO t VALUES (1, 1)");
  Run run;
  auto r = run.load(db.task_spec());
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  CHECK(contains(r.error().message,
                 "may create triggers only with log_bin_trust_function_creators = 1; run SET "
                 "GLOBAL log_bin_trust_function_creators = 1 on the target"));
  CHECK(db.target_value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '" +
                        db.name() + "'") == "0");
}

TEST_CASE("Connection failures name the server and the cause, never the password") {
  const auto endpoint = test::MyTestDb::endpoint(true, "", false);
  const auto password = read_secret_file(endpoint.password_file);
  REQUIRE(password.ok());

  fs::path wrong = "/tmp/tideway_wrong_" + unique_suffix() + ".password";
  std::ofstream(wrong) << "not-" << *password << "\n";
  auto bad = endpoint;
  bad.password_file = wrong.string();
  auto denied = mysql::MyConnection::connect(bad);
  fs::remove(wrong);
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().code == ErrorCode::kPermissionDenied);
  CHECK_FALSE(denied.error().retryable);
  CHECK(contains(denied.error().message,
                 fmt::format("{}@{}:{}", endpoint.user, endpoint.host, endpoint.port)));
  CHECK(contains(denied.error().message, "(MySQL error 1045)"));
  CHECK_FALSE(contains(denied.error().message, *password));

  auto closed = endpoint;
  closed.port = 1;  // nothing listens there
  auto unreachable = mysql::MyConnection::connect(closed);
  REQUIRE_FALSE(unreachable.ok());
  CHECK(unreachable.error().code == ErrorCode::kUnavailable);
  CHECK(unreachable.error().retryable);
  CHECK(contains(unreachable.error().message, endpoint.host + ":1/"));

  // A statement that fails names the statement and the server's error number.
  auto conn = mysql::MyConnection::connect(endpoint);
  REQUIRE(conn.ok());
  Status s = (*conn)->execute("SELECT * FROM no_such_database.no_such_table");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kNotFound);
  CHECK(contains(s.message(), "statement failed [SELECT * FROM no_such_database.no_such_table]"));
  CHECK(contains(s.message(), "(MySQL error 1146)"));
}

TEST_CASE("With schema.create off, the operator's target tables must match the source") {
  test::MyTestDb db("my_match");
  db.source_sql("CREATE TABLE a (id INT PRIMARY KEY, v TEXT, n DECIMAL(10,2));"
                "CREATE TABLE b (id INT PRIMARY KEY)");
  db.target_sql("CREATE DATABASE `" + db.name() + "`;"
                "CREATE TABLE `" + db.name() + "`.a (id INT PRIMARY KEY, v VARCHAR(10))");
  TaskSpec spec = db.task_spec();
  spec.schema.create = false;
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  INFO(r.error().message);
  CHECK(contains(r.error().message, fmt::format("{}.a.v is text on the source but varchar(10) on "
                                                "the target", db.name())));
  CHECK(contains(r.error().message,
                 fmt::format("{}.a.n (decimal(10,2)) is missing on the target", db.name())));
  CHECK(contains(r.error().message, fmt::format("table {}.b is missing on the target", db.name())));
}

TEST_CASE("A task id whose chunks are already on the target is refused, not skipped") {
  test::MyTestDb db("my_stale");
  db.source_sql("CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t SELECT seq FROM seq_1_to_10");
  TaskSpec spec = db.task_spec();
  {
    Run first;
    auto r = first.load(spec);
    if (!r.ok()) FAIL(r.error().message);
  }
  Run fresh;  // the state store was lost, the target was not
  spec.schema.create = false;
  auto again = fresh.load(spec);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kConflict);
  CHECK(contains(again.error().message, "holds 1 chunk markers of task " + spec.id));
  CHECK(db.target_value("SELECT COUNT(*) FROM `" + db.name() + "`.t") == "10");
}
