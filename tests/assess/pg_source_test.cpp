// Assessment of a PostgreSQL source (the sandbox's) as the migration user: objects that
// break on MySQL, replication prerequisites, and a clean database that is ready.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "assess/assess.h"
#include "tests/assess/assess_test_util.h"
#include "tests/support/pg_test_db.h"

namespace tideway::test {
namespace {

using assess::Severity;

assess::AssessOptions options_for(PgTestDb& db, const std::string& target_kind) {
  assess::AssessOptions o;
  o.source = db.task_spec("assess").source;
  if (!target_kind.empty()) o.target_kind = assess::parse_target_kind(target_kind).value();
  o.sample_seconds = 0;
  o.connect_timeout_seconds = 5;
  return o;
}

}  // namespace

TEST_CASE("PostgreSQL source: findings for a MySQL target", "[assess][pg]") {
  PgTestDb db("assess_pgmy");
  db.source_sql("CREATE TABLE items (id int PRIMARY KEY, tags text[], qty int, "
                "span int4range, price numeric)");
  db.source_sql("CREATE INDEX items_in_stock ON items (qty) WHERE qty > 0");
  db.source_sql("CREATE UNIQUE INDEX items_one_cheap ON items (price) WHERE price < 1");
  db.source_sql("CREATE TABLE keyless (a int, b text)");
  db.source_sql("CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY)");
  db.source_sql("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN NEW.qty := coalesce(NEW.qty, 0)::int; RETURN NEW; END $$");
  db.source_sql("CREATE TRIGGER items_touch BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch()");
  db.source_sql("CREATE SEQUENCE shared_ids");
  db.source_sql("CREATE TABLE a_ids (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'))");
  db.source_sql("CREATE TABLE b_ids (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'))");

  auto a = assess::run_assessment(options_for(db, "mysql:8.0"));
  REQUIRE(a.ok());
  require_finding(*a, "pg_mysql.array", "public.items.tags", Severity::kWarning);
  require_finding(*a, "pg_mysql.range", "public.items.span", Severity::kWarning);
  require_finding(*a, "pg_mysql.unbounded_numeric", "public.items.price", Severity::kWarning);
  require_finding(*a, "pg_mysql.partial_index", "public.items.items_in_stock", Severity::kWarning);
  require_finding(*a, "pg_mysql.partial_index", "public.items.items_one_cheap", Severity::kBlocker);
  require_finding(*a, "pg_mysql.trigger_rewrite", "public.items_touch", Severity::kWarning);
  require_finding(*a, "pg_mysql.routine_rewrite", "public.touch", Severity::kWarning);
  require_finding(*a, "pg_mysql.shared_sequence", "public.shared_ids", Severity::kWarning);
  // Replication health, whatever the target.
  require_finding(*a, "pg.no_replica_identity", "public.keyless", Severity::kBlocker);
  require_finding(*a, "pg.unlogged_table", "public.scratch", Severity::kWarning);
  CHECK(a->verdict() == "blocked");
  // The partial index's predicate is in the inventory.
  const assess::TableInfo* items = nullptr;
  for (const auto* t : a->inventory.tables()) {
    if (t->name == "items") items = t;
  }
  REQUIRE(items != nullptr);
  CHECK(items->has_primary_key);
  bool found = false;
  for (const auto& i : items->indexes) {
    if (i.name == "items_in_stock") {
      found = true;
      CHECK(i.predicate == "(qty > 0)");
      CHECK(i.columns == std::vector<std::string>{"qty"});
    }
  }
  CHECK(found);
}

TEST_CASE("PostgreSQL source: a clean database is ready", "[assess][pg]") {
  PgTestDb db("assess_pgclean");
  db.source_sql("CREATE TABLE orders (id bigint PRIMARY KEY, note text)");
  db.source_sql("INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  auto options = options_for(db, "");
  options.exact_counts = true;
  options.sample_seconds = 1;
  auto a = assess::run_assessment(options);
  REQUIRE(a.ok());
  INFO("findings:\n" << all_findings(*a));
  CHECK(a->verdict() == "ready");
  REQUIRE(a->inventory.tables().size() == 1);
  CHECK(a->inventory.tables()[0]->exact_rows == 3);
  CHECK(a->source.major == 15);
}

TEST_CASE("PostgreSQL source: connection problems are clear errors", "[assess][pg]") {
  PgTestDb db("assess_pgerr");
  SECTION("wrong password") {
    auto o = options_for(db, "");
    o.source_password = "not-the-password-8842";
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kPermissionDenied);
    CHECK_THAT(a.error().message, !Catch::Contains("not-the-password-8842"));
  }
  SECTION("unreachable port") {
    auto o = options_for(db, "");
    o.source.port = 1;
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().code == ErrorCode::kUnavailable);
  }
  SECTION("unknown database") {
    auto o = options_for(db, "");
    o.source.database = db.name() + "_missing";
    auto a = assess::run_assessment(o);
    REQUIRE_FALSE(a.ok());
    CHECK_THAT(a.error().message, Catch::Contains(db.name() + "_missing"));
  }
}

TEST_CASE("PostgreSQL source: a reachable PostgreSQL target is inspected", "[assess][pg]") {
  PgTestDb db("assess_pgtarget");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY)");
  auto o = options_for(db, "");
  o.target = db.task_spec("assess").target;
  auto a = assess::run_assessment(o);
  REQUIRE(a.ok());
  CHECK(a->target.reachable);
  CHECK(a->target.kind.engine == replication::Engine::kPostgresql);
  CHECK(a->target.kind.major == 15);
  CHECK_FALSE(a->target.kind.same_as_source);
  CHECK_FALSE(a->target.available_extensions.empty());
}

}  // namespace tideway::test

namespace tideway::test {

TEST_CASE("PostgreSQL source: a session idle in a transaction is reported", "[assess][pg]") {
  PgTestDb db("assess_pgidle");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY)");
  // As the migration user: without pg_read_all_stats a role sees the state of its own
  // sessions only.
  auto idle = replication::postgres::PgConnection::connect(db.task_spec("idle").source);
  REQUIRE(idle.ok());
  REQUIRE((*idle)->exec("BEGIN").ok());
  auto pid = (*idle)->exec("SELECT pg_backend_pid()::text, current_user");
  REQUIRE(pid.ok());
  // Reported once the transaction has been idle for over 10 s.
  std::this_thread::sleep_for(std::chrono::seconds(11));
  auto o = options_for(db, "");
  auto a = assess::run_assessment(o);
  REQUIRE(a.ok());
  require_finding(*a, "source.idle_in_transaction",
                  "session " + pid->text(0, 0) + " (" + pid->text(0, 1) + ")", Severity::kWarning);
  REQUIRE(a->activity.idle_in_transaction.size() == 1);
  CHECK(a->activity.idle_in_transaction[0].seconds >= 10);
  CHECK(a->verdict() == "ready_with_warnings");
}

}  // namespace tideway::test

namespace tideway::test {

TEST_CASE("A full_load task is not blocked by what only the change stream needs",
          "[assess][pg]") {
  PgTestDb db("assess_mode");
  db.source_sql("CREATE TABLE keyed (id int PRIMARY KEY, v text)");
  db.source_sql("CREATE TABLE keyless (a int, b text)");
  replication::TaskSpec spec = db.task_spec("assess-mode");

  spec.mode = replication::TaskMode::kFullLoadAndCdc;
  auto streaming = assess::assess_task(spec, 0);
  REQUIRE(streaming.ok());
  require_finding(*streaming, "pg.no_replica_identity", "public.keyless", Severity::kBlocker);
  CHECK(streaming->verdict() == "blocked");
  CHECK(assess::blocking_findings(*streaming).size() == 1);

  spec.mode = replication::TaskMode::kFullLoad;
  auto load_only = assess::assess_task(spec, 0);
  REQUIRE(load_only.ok());
  require_finding(*load_only, "pg.no_replica_identity", "public.keyless", Severity::kInfo);
  CHECK(find_finding(*load_only, "pg.no_replica_identity", "public.keyless")->why.find(
            "this task's mode is full_load") != std::string::npos);
  CHECK(load_only->verdict() != "blocked");
  CHECK(assess::blocking_findings(*load_only).empty());
}

}  // namespace tideway::test
