// Assessment of a MariaDB source (the sandbox's) seeded with objects that break on MySQL 8
// or on PostgreSQL, as the migration user: each expected finding appears with its
// severity and object; a clean database is "ready"; connection and grant problems are
// clear errors.
#include <catch2/catch.hpp>

#include "assess/assess.h"
#include "assess/report.h"
#include "tests/assess/assess_test_util.h"
#include "tests/my_full_load/my_test_db.h"

namespace tideway::test {
namespace {

using assess::Severity;

assess::AssessOptions options_for(const std::string& database, const std::string& target_kind) {
  assess::AssessOptions o;
  o.source = MyTestDb::endpoint(true, database, false);
  if (!target_kind.empty()) o.target_kind = assess::parse_target_kind(target_kind).value();
  o.sample_seconds = 0;
  o.connect_timeout_seconds = 5;
  return o;
}

// The objects of issue 6's list that a MySQL-family source can hold.
void seed_problems(MyTestDb& db) {
  db.source_sql("SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'");
  db.source_sql("CREATE TABLE nopk (a INT, b VARCHAR(10))");
  db.source_sql("CREATE TABLE zero_dates (id INT PRIMARY KEY, "
                "d DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00')");
  db.source_sql("CREATE TABLE scores (id INT PRIMARY KEY AUTO_INCREMENT, `rank` INT, "
                "big BIGINT UNSIGNED, mood ENUM('happy', 'sad'), flags SET('x', 'y'))");
  db.source_sql("CREATE TABLE blobs (id INT PRIMARY KEY, t TEXT, b BLOB, clean TEXT)");
  db.source_sql("INSERT INTO blobs VALUES (1, X'610062', X'000102', 'fine'), (2, 'ok', NULL, 'ok')");
  db.source_sql("CREATE TRIGGER scores_rank BEFORE INSERT ON scores FOR EACH ROW "
                "SET NEW.`rank` = IFNULL(NEW.`rank`, 0)");
  db.source_sql("CREATE PROCEDURE bump_ranks() BEGIN UPDATE scores SET `rank` = `rank` + 1; END");
  db.source_sql("CREATE VIEW ranked AS SELECT id, IFNULL(`rank`, 0) AS r FROM scores");
}

}  // namespace

TEST_CASE("MariaDB source: findings for a MySQL 8.0 target", "[assess][mysql]") {
  MyTestDb db("assess_my8");
  seed_problems(db);
  auto a = assess::run_assessment(options_for(db.name(), "mysql:8.0"));
  REQUIRE(a.ok());
  const std::string n = db.name();
  require_finding(*a, "mysql8.reserved_word", n + ".scores.rank", Severity::kWarning);
  require_finding(*a, "mysql8.zero_date_default", n + ".zero_dates.d", Severity::kBlocker);
  require_finding(*a, "source.no_primary_key", n + ".nopk", Severity::kWarning);
  CHECK(a->verdict() == "blocked");
  // A column that is not a reserved word is not reported as one.
  CHECK(find_finding(*a, "mysql8.reserved_word", n + ".scores.big") == nullptr);

  // The inventory holds what was seeded.
  REQUIRE(a->inventory.schemas.size() == 1);
  const auto& s = a->inventory.schemas[0];
  CHECK(s.name == n);
  CHECK(s.tables.size() == 4);
  std::vector<std::string> kinds;
  for (const auto& o : s.code) kinds.push_back(o.kind + " " + o.name);
  std::sort(kinds.begin(), kinds.end());
  CHECK(kinds == std::vector<std::string>{"procedure bump_ranks", "trigger scores_rank",
                                          "view ranked"});
  CHECK(a->source.engine == replication::Engine::kMariadb);
  CHECK(a->source.major == 10);
}

TEST_CASE("MariaDB source: findings for a PostgreSQL target", "[assess][mysql]") {
  MyTestDb db("assess_mypg");
  seed_problems(db);
  auto a = assess::run_assessment(options_for(db.name(), "postgresql:16"));
  REQUIRE(a.ok());
  const std::string n = db.name();
  require_finding(*a, "mysql_pg.unsigned_bigint", n + ".scores.big", Severity::kWarning);
  require_finding(*a, "mysql_pg.enum", n + ".scores.mood", Severity::kWarning);
  require_finding(*a, "mysql_pg.set", n + ".scores.flags", Severity::kWarning);
  require_finding(*a, "mysql_pg.zero_date_default", n + ".zero_dates.d", Severity::kBlocker);
  require_finding(*a, "mysql_pg.nul_bytes", n + ".blobs.t", Severity::kBlocker);
  require_finding(*a, "mysql_pg.trigger_rewrite", n + ".scores_rank", Severity::kWarning);
  require_finding(*a, "mysql_pg.routine_rewrite", n + ".bump_ranks", Severity::kWarning);
  require_finding(*a, "mysql_pg.view_rewrite", n + ".ranked", Severity::kWarning);
  require_finding(*a, "mysql_pg.auto_increment", n + ".scores.id", Severity::kInfo);
  require_finding(*a, "source.no_primary_key", n + ".nopk", Severity::kWarning);
  require_finding(*a, "mysql_pg.case_insensitive_collation", "database " + n, Severity::kWarning);
  // NUL bytes are only a problem in text: a BLOB becomes bytea, which holds them, and a
  // text column without them is fine.
  CHECK(find_finding(*a, "mysql_pg.nul_bytes", n + ".blobs.b") == nullptr);
  CHECK(find_finding(*a, "mysql_pg.nul_bytes", n + ".blobs.clean") == nullptr);
  // The view's finding names what in it blocks a move unchanged.
  CHECK_THAT(find_finding(*a, "mysql_pg.view_rewrite", n + ".ranked")->why,
             Catch::Contains("IFNULL()"));
  CHECK(a->verdict() == "blocked");
  CHECK(assess::blocking_findings(*a).size() == 2);
  // Acknowledging both blockers by id clears the way.
  CHECK(assess::blocking_findings(*a, {"mysql_pg.zero_date_default", "mysql_pg.nul_bytes"}).empty());

  // Every renderer opens with the verdict; the HTML page is self-contained.
  const auto json = assess::report_json(*a);
  CHECK(json.at("verdict") == "blocked");
  CHECK(json.at("summary").at("blockers") == 2);
  CHECK_THAT(assess::render_markdown(*a), Catch::Contains("**Verdict: Blocked**"));
  const std::string html = assess::render_html(*a);
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("id=\"severity-summary\""));
  CHECK_THAT(html, !Catch::Contains("<script") && !Catch::Contains("src=") &&
                       !Catch::Contains("<link"));
}

TEST_CASE("MariaDB source: a clean database is ready", "[assess][mysql]") {
  MyTestDb db("assess_myclean");
  db.source_sql("CREATE TABLE orders (id BIGINT PRIMARY KEY, note VARCHAR(20)) "
                "CHARACTER SET utf8mb4");
  db.source_sql("INSERT INTO orders VALUES (1, 'a'), (2, 'b')");
  auto options = options_for(db.name(), "");
  options.sample_seconds = 1;
  options.exact_counts = true;
  auto a = assess::run_assessment(options);
  REQUIRE(a.ok());
  INFO("findings:\n" << all_findings(*a));
  CHECK(a->verdict() == "ready");
  REQUIRE(a->inventory.tables().size() == 1);
  CHECK(a->inventory.tables()[0]->exact_rows == 2);
  CHECK(a->activity.sample_seconds > 0.5);
  for (const auto& h : a->health) {
    INFO(h.id << " = " << h.value << ": " << h.detail);
    CHECK(h.status != "fail");
  }
}

TEST_CASE("MariaDB source: connection and grant problems are clear errors", "[assess][mysql]") {
  SECTION("unreachable port") {
    auto o = options_for("sandbox", "");
    o.source.port = 1;
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(a.error().message, Catch::Contains("127.0.0.1:1"));
  }
  SECTION("unroutable host: bounded by the connect timeout") {
    auto o = options_for("sandbox", "");
    o.source.host = "192.0.2.1";  // TEST-NET-1: never answers
    o.connect_timeout_seconds = 2;
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(a.error().message, Catch::Contains("192.0.2.1"));
  }
  SECTION("wrong password") {
    auto o = options_for("sandbox", "");
    o.source_password = "not-the-password-7731";
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kPermissionDenied);
    CHECK_THAT(a.error().message, !Catch::Contains("not-the-password-7731"));
  }
  SECTION("a user without access to the database") {
    MyTestDb db("assess_mygrant");
    SourceUser user("tw_assess_nogrant", {});
    auto o = options_for(db.name(), "");
    o.source.user = user.name();
    o.source.password_file = user.password_file();
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kPermissionDenied);
    CHECK_THAT(a.error().message, Catch::Contains(db.name()));
  }
  SECTION("a user without replication grants: blockers naming the GRANT") {
    MyTestDb db("assess_myrepl");
    db.source_sql("CREATE TABLE t (id INT PRIMARY KEY)");
    SourceUser user("tw_assess_norepl", {"GRANT SELECT ON `" + db.name() + "`.* TO {user}"});
    auto o = options_for(db.name(), "");
    o.source.user = user.name();
    o.source.password_file = user.password_file();
    auto a = assess::run_assessment(o);
    REQUIRE(a.ok());
    require_finding(*a, "mysql.grant.replication_slave", user.account(), Severity::kBlocker);
    CHECK_THAT(find_finding(*a, "mysql.grant.replication_slave", user.account())->remediation,
               Catch::Contains("GRANT REPLICATION SLAVE ON *.* TO " + user.account()));
    CHECK(a->verdict() == "blocked");
  }
}

}  // namespace tideway::test
