// Parts of the assessment that need no server: URLs, target kinds, rule sets over a
// hand-built inventory, the verdict, and acknowledging blockers.
#include <catch2/catch.hpp>

#include "assess/assess.h"
#include "assess/report.h"
#include "assess/rules.h"
#include "tests/assess/assess_test_util.h"

namespace tideway::test {

using assess::Severity;

TEST_CASE("database URLs", "[assess][units]") {
  auto u = assess::parse_database_url("mariadb://app%40x:p%3Ass@db.example:3307/shop?sslmode=require");
  REQUIRE(u.ok());
  CHECK(u->endpoint.engine == replication::Engine::kMariadb);
  CHECK(u->endpoint.user == "app@x");
  CHECK(u->password == "p:ss");
  CHECK(u->endpoint.host == "db.example");
  CHECK(u->endpoint.port == 3307);
  CHECK(u->endpoint.database == "shop");
  CHECK(u->endpoint.sslmode == "require");
  // The endpoint never carries the password, so describe() cannot leak it.
  CHECK_THAT(u->endpoint.describe(), !Catch::Contains("p:ss"));

  auto v6 = assess::parse_database_url("postgresql://u@[::1]:5433/db");
  REQUIRE(v6.ok());
  CHECK(v6->endpoint.host == "::1");
  CHECK(v6->endpoint.port == 5433);
  CHECK_FALSE(v6->password.has_value());
  auto defaults = assess::parse_database_url("mysql://u@h/db");
  REQUIRE(defaults.ok());
  CHECK(defaults->endpoint.port == 3306);

  for (const char* bad : {"http://u@h/db", "mysql://h/db", "mysql://u@h", "mysql://u@h:0/db",
                          "mysql://u@h:99999/db", "mysql://u@h/db?color=red", "mysql://u%4@h/db"}) {
    INFO(bad);
    auto r = assess::parse_database_url(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("target kinds", "[assess][units]") {
  auto pg = assess::parse_target_kind("postgresql:16");
  REQUIRE(pg.ok());
  CHECK(pg->major == 16);
  CHECK(pg->label() == "postgresql:16");
  auto aurora = assess::parse_target_kind("aurora-mysql:3");
  REQUIRE(aurora.ok());
  CHECK(aurora->aurora);
  CHECK(aurora->engine == replication::Engine::kMysql);
  CHECK(aurora->major == 8);
  CHECK(aurora->label() == "aurora-mysql:3");
  auto maria = assess::parse_target_kind("mariadb:11.4");
  REQUIRE(maria.ok());
  CHECK(maria->minor == 4);
  CHECK(maria->label() == "mariadb:11.4");
  for (const char* bad : {"oracle:19", "postgresql", "mysql:x", "aurora-mysql:4"}) {
    INFO(bad);
    CHECK_FALSE(assess::parse_target_kind(bad).ok());
  }
}

namespace {

assess::Assessment pg_source(int major) {
  assess::Assessment a;
  a.source.engine = replication::Engine::kPostgresql;
  a.source.major = major;
  assess::SchemaInventory s;
  s.name = "public";
  assess::TableInfo t;
  t.schema = "public";
  t.name = "legacy";
  t.has_primary_key = true;
  t.with_oids = true;
  assess::ColumnInfo c1;
  c1.name = "created";
  c1.data_type = "abstime";
  assess::ColumnInfo c2;
  c2.name = "kind";
  c2.data_type = "regclass";
  t.columns = {c1, c2};
  s.tables.push_back(t);
  a.inventory.schemas.push_back(s);
  a.inventory.extensions = {"plpgsql 1.0", "hstore 1.8"};
  return a;
}

}  // namespace

TEST_CASE("PostgreSQL major upgrade rules", "[assess][units]") {
  auto a = pg_source(11);
  a.target.kind = assess::parse_target_kind("postgresql:16").value();
  a.target.reachable = true;
  a.target.available_extensions = {"plpgsql", "pg_trgm"};
  assess::apply_rules(a);
  require_finding(a, "pg_upgrade.with_oids", "public.legacy", Severity::kBlocker);
  require_finding(a, "pg_upgrade.removed_type", "public.legacy.created", Severity::kBlocker);
  require_finding(a, "pg_upgrade.reg_type", "public.legacy.kind", Severity::kWarning);
  require_finding(a, "pg_upgrade.extension_unavailable", "extension hstore 1.8", Severity::kBlocker);
  require_finding(a, "pg_upgrade.public_schema_create", "schema public", Severity::kInfo);
  CHECK(find_finding(a, "pg_upgrade.extension_unavailable", "extension plpgsql 1.0") == nullptr);
  CHECK(a.verdict() == "blocked");
  // Acknowledging one object of an id leaves the others blocking.
  const auto left = assess::blocking_findings(
      a, {"pg_upgrade.with_oids", "pg_upgrade.removed_type:public.legacy.created"});
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == "pg_upgrade.extension_unavailable");
  CHECK(assess::describe_findings(left) ==
        "pg_upgrade.extension_unavailable on extension hstore 1.8: " + left[0].why);
}

TEST_CASE("Aurora MySQL rules: DEFINER, engines, parameter group", "[assess][units]") {
  assess::Assessment a;
  a.source.engine = replication::Engine::kMysql;
  a.source.major = 5;
  a.source.minor = 7;
  a.source.settings = {{"sql_mode", "NO_AUTO_CREATE_USER,STRICT_TRANS_TABLES"}};
  assess::SchemaInventory s;
  s.name = "shop";
  assess::TableInfo t;
  t.schema = "shop";
  t.name = "log";
  t.engine = "MyISAM";
  t.has_primary_key = true;
  s.tables.push_back(t);
  assess::CodeObject p;
  p.kind = "procedure";
  p.schema = "shop";
  p.name = "cleanup";
  p.definer = "root@localhost";
  p.body = "BEGIN SELECT PASSWORD('x'); SELECT a FROM t GROUP BY a DESC; END";
  s.code.push_back(p);
  a.inventory.schemas.push_back(s);
  a.target.kind = assess::parse_target_kind("aurora-mysql:3").value();
  assess::apply_rules(a);
  require_finding(a, "aurora.engine", "shop.log", Severity::kBlocker);
  require_finding(a, "aurora.definer", "shop.cleanup", Severity::kWarning);
  require_finding(a, "aurora.parameter_group", "cluster parameter group", Severity::kWarning);
  // Aurora MySQL 3 is MySQL 8.0: the upgrade rules apply too.
  require_finding(a, "mysql8.removed_function", "shop.cleanup", Severity::kBlocker);
  require_finding(a, "mysql8.group_by_order", "shop.cleanup", Severity::kBlocker);
  require_finding(a, "mysql8.removed_sql_mode", "server sql_mode", Severity::kWarning);
}

TEST_CASE("estimate and retention", "[assess][units]") {
  assess::Assessment a;
  a.source.engine = replication::Engine::kMysql;
  assess::SchemaInventory s;
  s.name = "shop";
  assess::TableInfo t;
  t.schema = "shop";
  t.name = "big";
  t.has_primary_key = true;
  t.engine = "InnoDB";
  t.data_bytes = 100LL * 1024 * 1024 * 1024;  // 100 GiB at 50 MiB/s: 2048 s
  s.tables.push_back(t);
  a.inventory.schemas.push_back(s);
  a.target.kind.same_as_source = true;
  a.estimate.assumed_bytes_per_second = 50.0 * 1024 * 1024;
  a.estimate.log_retention_seconds = 3000;  // under 1.5 x 2048
  assess::apply_rules(a);
  CHECK(a.estimate.full_load_seconds == Approx(2048));
  CHECK_FALSE(a.estimate.retention_covers_load);
  require_finding(a, "source.log_retention", "server", Severity::kWarning);
  CHECK(assess::human_duration(a.estimate.full_load_seconds) == "34 min 8 s");
}

}  // namespace tideway::test
