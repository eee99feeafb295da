// Problems on the source are found before any data moves, all at once, each naming the
// object and the fix; with them fixed, the task's slot is created with the snapshot the
// load reads, and its consistent point is where the stream will start.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "replication/core/load_state.h"
#include "replication/core/lsn.h"
#include "replication/postgres/pg_full_load.h"
#include "storage/state_store.h"
#include "tests/support/pg_test_db.h"
#include "tests/support/temp_state_store.h"

using namespace tideway;
using namespace tideway::replication;
namespace fs = std::filesystem;

namespace {

struct Run {
  test::TempStateStore store;
  Result<postgres::FullLoadResult> load(const TaskSpec& spec) {
    LoadProgress progress;
    std::atomic<bool> stop{false};
    return postgres::run_full_load(spec, *store, progress, stop);
  }
};

}  // namespace

TEST_CASE("Streaming prerequisites are all reported before any data moves") {
  test::PgTestDb db("fl_prereq");
  db.source_sql("CREATE TABLE keyed (id int PRIMARY KEY, v text);"
                "CREATE TABLE loose (v text);"
                "INSERT INTO keyed VALUES (1, 'a'); INSERT INTO loose VALUES ('b');");
  TaskSpec spec = db.task_spec("prereq");
  spec.mode = TaskMode::kFullLoadAndCdc;
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kInvalidArgument);
  const std::string& m = r.error().message;
  CHECK(m.find("table public.loose has no primary key and no replica identity") !=
        std::string::npos);
  CHECK(m.find("ALTER TABLE public.loose REPLICA IDENTITY FULL") != std::string::npos);
  CHECK(m.find("publication " + spec.postgres.publication_name + " does not exist") !=
        std::string::npos);
  CHECK(m.find("CREATE PUBLICATION " + spec.postgres.publication_name +
               " FOR TABLE public.keyed, public.loose") != std::string::npos);
  // Nothing moved: no table on the target, no slot on the source.
  CHECK(db.target_value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0");
  CHECK(db.source_value("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" +
                        spec.postgres.slot_name + "'") == "0");

  // A publication that lacks a table is named with the statement that fixes it.
  db.source_sql("ALTER TABLE loose REPLICA IDENTITY FULL;"
                "CREATE PUBLICATION " + spec.postgres.publication_name + " FOR TABLE keyed");
  auto partial = run.load(spec);
  REQUIRE_FALSE(partial.ok());
  CHECK(partial.error().message.find("lacks tables the task selects: public.loose; run ALTER "
                                     "PUBLICATION " + spec.postgres.publication_name +
                                     " ADD TABLE public.loose") != std::string::npos);

  // Fixed: the slot is created with the load's snapshot.
  db.source_sql("ALTER PUBLICATION " + spec.postgres.publication_name + " ADD TABLE loose");
  const std::string before = db.source_value("SELECT pg_current_wal_lsn()");
  auto ok = run.load(spec);
  if (!ok.ok()) FAIL(ok.error().message);
  const auto start = Lsn::parse(ok->start_position);
  REQUIRE(start.has_value());
  CHECK(*start >= *Lsn::parse(before));
  CHECK(db.source_value("SELECT plugin || ' ' || confirmed_flush_lsn::text FROM "
                        "pg_replication_slots WHERE slot_name = '" +
                        spec.postgres.slot_name + "'") == "pgoutput " + ok->start_position);
  CHECK(db.target_rows("keyed") == db.source_rows("keyed"));
  CHECK(db.target_rows("loose") == db.source_rows("loose"));
  auto state = LoadStateStore(*run.store, "prereq").load_task();
  REQUIRE(state.ok());
  CHECK((*state)->slot_name == spec.postgres.slot_name);
  CHECK((*state)->start_position == ok->start_position);
}

TEST_CASE("A slot that exists without this task's checkpoint is refused") {
  test::PgTestDb db("fl_slot");
  TaskSpec spec = db.task_spec("slot");
  spec.mode = TaskMode::kFullLoadAndCdc;
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY);"
                "CREATE PUBLICATION " + spec.postgres.publication_name + " FOR TABLE t");
  // A slot cannot be created in a transaction that wrote, so on its own.
  db.source_sql("SELECT pg_create_logical_replication_slot('" + spec.postgres.slot_name +
                "', 'pgoutput')");
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("replication slot " + spec.postgres.slot_name +
                               " already exists and this task has no checkpoint for it") !=
        std::string::npos);
}

TEST_CASE("With schema.create off, target columns that differ stop the task first") {
  test::PgTestDb db("fl_noschema");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, price numeric(10,2), note text)");
  db.target_sql("SET ROLE " + db.task_spec("x").target.user +
                "; CREATE TABLE t (id int PRIMARY KEY, price real); RESET ROLE");
  TaskSpec spec = db.task_spec("noschema");
  spec.schema.create = false;
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "the target's tables do not match the source (schema.create is false): "
        "(1) public.t.price is numeric(10,2) on the source but real on the target; "
        "(2) public.t.note (text) is missing on the target");
}

TEST_CASE("A role without REPLICATION or SELECT is told the grants to run") {
  test::PgTestDb db("fl_grants");
  db.source_sql("CREATE TABLE open_t (id int PRIMARY KEY); CREATE TABLE closed_t (id int PRIMARY KEY);"
                "REVOKE SELECT ON closed_t FROM " + db.task_spec("x").source.user + ";"
                "DROP ROLE IF EXISTS fl_norepl; CREATE ROLE fl_norepl LOGIN PASSWORD 'fl_norepl_pw';"
                "GRANT SELECT ON open_t TO fl_norepl");
  db.source_sql("GRANT CONNECT ON DATABASE " + db.name() + " TO fl_norepl");
  const fs::path pw = fs::temp_directory_path() / ("tideway_fl_norepl_" + db.name());
  std::ofstream(pw) << "fl_norepl_pw\n";
  TaskSpec spec = db.task_spec("grants");
  spec.mode = TaskMode::kFullLoadAndCdc;
  spec.source.user = "fl_norepl";
  spec.source.password_file = pw.string();
  Run run;
  auto r = run.load(spec);
  fs::remove(pw);
  db.source_sql("DROP OWNED BY fl_norepl; DROP ROLE fl_norepl");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("role fl_norepl may not replicate; run ALTER ROLE fl_norepl "
                               "REPLICATION") != std::string::npos);
  CHECK(r.error().message.find("role fl_norepl cannot read table public.closed_t; run GRANT SELECT "
                               "ON public.closed_t TO fl_norepl") != std::string::npos);
}

TEST_CASE("An unreachable target is named, with the cause, before anything moves") {
  test::PgTestDb db("fl_unreach");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY)");
  TaskSpec spec = db.task_spec("unreach");
  spec.target.port = 1;  // nothing listens there
  Run run;
  auto r = run.load(spec);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kUnavailable);
  CHECK(r.error().retryable);
  CHECK(r.error().message.find("cannot connect to postgresql://" + spec.target.user +
                               "@127.0.0.1:1/" + db.name()) != std::string::npos);
  CHECK(r.error().message.find("Connection refused") != std::string::npos);
}
