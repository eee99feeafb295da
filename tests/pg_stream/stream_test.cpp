// The PostgreSQL change stream against the real sandbox servers.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "replication/core/load_state.h"
#include "replication/core/lsn.h"
#include "tests/pg_stream/stream_harness.h"
#include "tests/support/pg_type_fixtures.h"
#include "tests/support/sandbox_env.h"

using namespace tideway;
using namespace tideway::replication;

extern char** environ;

namespace {

using test::require_identical;

/// Starts pgbench (the real tool) against the test database as the admin.
pid_t spawn_pgbench(test::PgTestDb& db, const std::vector<std::string>& extra) {
  const std::string password = test::sandbox_secret("TIDEWAY_PG_SOURCE_ADMIN_PASSWORD_FILE");
  std::vector<std::string> args = {"/usr/lib/postgresql/15/bin/pgbench",
                                   "-h", test::sandbox_setting("TIDEWAY_PG_SOURCE_HOST"),
                                   "-p", test::sandbox_setting("TIDEWAY_PG_SOURCE_PORT"),
                                   "-U", test::sandbox_setting("TIDEWAY_PG_SOURCE_ADMIN_USER")};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(db.name());
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back("PGPASSWORD=" + password);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  REQUIRE(::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

const std::vector<std::string> kPgbenchTables = {"pgbench_accounts", "pgbench_branches",
                                                 "pgbench_tellers", "pgbench_history"};

}  // namespace

TEST_CASE("pgbench writes during snapshot, load and stream all arrive exactly once") {
  test::PgTestDb db("st_pgbench");
  REQUIRE(wait_exit(spawn_pgbench(db, {"-i", "-q", "-s", "2", "-n"})) == 0);
  // pgbench_history has no key: an operator gives it a replica identity first.
  db.source_sql("ALTER TABLE pgbench_history REPLICA IDENTITY FULL; ANALYZE");
  test::StreamHarness h(db, "pgbench");
  h.spec().full_load.chunk_rows = 20000;

  // The TPC-B-like workload runs through the snapshot, the load and the stream.
  const pid_t bench = spawn_pgbench(db, {"-c", "4", "-j", "2", "-t", "400", "-n"});
  h.full_load();
  h.start_stream();
  REQUIRE(wait_exit(bench) == 0);
  REQUIRE(h.sync());
  REQUIRE(h.stop_stream().ok());

  require_identical(db, kPgbenchTables);
  CHECK(db.source_value("SELECT count(*) FROM pgbench_history") == "1600");
  // The slot moved on: the source is told what the target has.
  auto state = LoadStateStore(h.store(), "pgbench").load_task();
  REQUIRE(state.ok());
  const Lsn start = *Lsn::parse((*state)->start_position);
  const Lsn confirmed = *Lsn::parse(db.source_value(
      "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
      h.spec().postgres.slot_name + "'"));
  CHECK(confirmed > start);
  CHECK(confirmed.value == h.status().checkpointed_lsn.load());
  CHECK(h.status().transactions_applied.load() > 0);
}

TEST_CASE("Every type, TOAST, truncate and a new column arrive through the stream") {
  test::PgTestDb db("st_types");
  db.source_sql(test::kBuiltinTypesTable);
  db.source_sql(test::kUserTypesTables);
  db.source_sql("CREATE TABLE loose (v text, n int); ALTER TABLE loose REPLICA IDENTITY FULL;"
                "CREATE TABLE gone (id int PRIMARY KEY)");
  test::StreamHarness h(db, "types");
  h.full_load();
  h.start_stream();

  db.source_sql(test::kBuiltinTypesRows);
  db.source_sql(test::kUserTypesRows);
  REQUIRE(h.sync());
  // Only another column changes: the 20 MB value is not sent and must be kept.
  db.source_sql("ALTER TABLE toasted ADD COLUMN touched int");
  db.source_sql("UPDATE toasted SET touched = 1 WHERE id = 1");
  db.source_sql("UPDATE builtin SET t = 'changed', f8 = 'NaN' WHERE id = 2;"
                "UPDATE builtin SET id = 30 WHERE id = 3;"  // key change
                "DELETE FROM builtin WHERE id = 1;"
                "UPDATE custom SET m = 'sad', a = ROW('x', 1) WHERE id = 2");
  // Identical rows in a table without a key: exactly one of them goes.
  db.source_sql("INSERT INTO loose VALUES ('same', 1), ('same', 1), (NULL, 2);"
                "DELETE FROM loose WHERE ctid = (SELECT min(ctid) FROM loose WHERE v = 'same');"
                "UPDATE loose SET n = 3 WHERE v IS NULL");
  db.source_sql("INSERT INTO gone SELECT generate_series(1, 10); TRUNCATE gone;"
                "INSERT INTO gone VALUES (99)");
  REQUIRE(h.sync());
  REQUIRE(h.stop_stream().ok());

  require_identical(db, {"builtin", "custom", "loose", "gone", "stream_marker"});
  CHECK(db.target_value("SELECT md5(big) || ' ' || touched FROM toasted") ==
        db.source_value("SELECT md5(big) || ' ' || touched FROM toasted"));
  CHECK(db.target_value("SELECT length(big) FROM toasted") == "20000000");
  CHECK(db.target_value("SELECT count(*) FROM loose WHERE v = 'same'") == "1");

  // The apply figures behind the per-table metrics count exactly what was committed.
  const auto applied = h.status().apply.figures();
  auto count = [&](const std::string& table, const std::string& op) -> std::int64_t {
    auto it = applied.changes.find({table, op});
    return it == applied.changes.end() ? 0 : it->second;
  };
  CHECK(count("public.gone", "insert") == 11);
  CHECK(count("public.gone", "truncate") == 1);
  CHECK(count("public.loose", "insert") == 3);
  CHECK(count("public.loose", "delete") == 1);
  CHECK(count("public.loose", "update") == 1);
  CHECK(count("public.builtin", "delete") == 1);
  std::int64_t total = 0;
  for (const auto& [key, n] : applied.changes) total += n;
  CHECK(applied.batch_changes.sum == static_cast<double>(total));
  CHECK(applied.batch_changes.count >= 2);  // at least one commit per sync above
  CHECK(applied.batch_seconds.count == applied.batch_changes.count);
}

TEST_CASE("A restarted stream resumes exactly, even when the checkpoint lags the target") {
  test::PgTestDb db("st_restart");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, v int)");
  test::StreamHarness h(db, "restart");
  h.full_load();
  h.start_stream();
  db.source_sql("INSERT INTO t SELECT g, g FROM generate_series(1, 1000) g");
  REQUIRE(h.sync());
  REQUIRE(h.stop_stream().ok());
  const std::string applied = db.target_value(
      "SELECT end_lsn FROM _tideway.apply_position WHERE task_id = 'restart'");

  // A crash after the target committed but before the state store was written: the
  // checkpoint here is older than what the target has applied.
  auto checkpoint = LoadStateStore(h.store(), "restart").load_checkpoint();
  REQUIRE(checkpoint.ok());
  REQUIRE(**checkpoint == applied);
  REQUIRE(h.store().remove(storage::Family::kCheckpoints, "restart").ok());
  h.reopen_store();

  db.source_sql("UPDATE t SET v = v + 1; INSERT INTO t VALUES (1001, 0)");
  h.start_stream();
  REQUIRE(h.sync());
  REQUIRE(h.stop_stream().ok());
  // Replayed transactions were skipped by the target's own position: no duplicate key,
  // no double increment.
  require_identical(db, {"t", "stream_marker"});
  CHECK(db.target_value("SELECT sum(v) FROM t") == "501500");
}

TEST_CASE("A target that diverged stops the stream with table, key and LSN") {
  test::PgTestDb db("st_diverge");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, v int);"
                "INSERT INTO t SELECT g, g FROM generate_series(1, 10) g");
  test::StreamHarness h(db, "diverge");
  h.full_load();
  h.start_stream();
  db.target_sql("DELETE FROM t WHERE id = 5");
  db.source_sql("UPDATE t SET v = 0 WHERE id = 5");
  for (int i = 0; i < 600 && !h.stream_ended(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(h.stream_ended());
  Status s = h.stop_stream();
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == ErrorCode::kConflict);
  CHECK(s.message().find("update matched no row on public.t (id=5)") != std::string::npos);
  CHECK(s.message().find("commit LSN ") != std::string::npos);
}

TEST_CASE("A 1,000,000-row transaction streams within the memory bound") {
  test::PgTestDb db("st_bigtxn");
  db.source_sql("CREATE TABLE big (id int PRIMARY KEY, payload text)");
  test::StreamHarness h(db, "bigtxn");
  // The server streams it while it runs (pgoutput protocol 2): it goes through our
  // spool on disk, and is replayed from there once committed.
  h.spec().postgres.logical_decoding_work_mem = "1MB";
  h.full_load();
  replication::postgres::StreamOptions options;
  options.queue_bytes = 16 << 20;
  h.start_stream(options);
  db.source_sql("INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 1000000) g");
  REQUIRE(h.sync(600));
  REQUIRE(h.stop_stream().ok());
  CHECK(h.status().streaming_in_progress);
  CHECK(h.status().streamed_committed.load() == 1);
  CHECK(db.target_value("SELECT count(*), md5(string_agg(payload, '' ORDER BY id)) FROM big") ==
        db.source_value("SELECT count(*), md5(string_agg(payload, '' ORDER BY id)) FROM big"));
  // Peak resident memory of this whole test process (the stream included): the 1M rows
  // (~70 MB as values) never sat in memory at once.
  rusage usage{};
  REQUIRE(::getrusage(RUSAGE_SELF, &usage) == 0);
  const long peak_mib = usage.ru_maxrss / 1024;
  INFO("peak RSS " << peak_mib << " MiB");
  CHECK(peak_mib < 256);
}

TEST_CASE("On an idle source the slot still advances past WAL we do not need") {
  test::PgTestDb db("st_idle");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY)");
  test::StreamHarness h(db, "idle");
  h.full_load();
  db.source_sql("CREATE TABLE unpublished (v int)");  // not part of the task
  // The publication lists only t and the marker.
  db.source_sql("ALTER PUBLICATION " + h.spec().postgres.publication_name +
                " SET TABLE t, stream_marker");
  replication::postgres::StreamOptions options;
  options.idle_advance_interval = std::chrono::seconds(1);
  options.feedback_interval = std::chrono::seconds(1);
  h.start_stream(options);
  REQUIRE(h.sync());
  // WAL moves on, but nothing in it is ours.
  db.source_sql("INSERT INTO unpublished SELECT generate_series(1, 10000)");
  const Lsn after_unrelated = *Lsn::parse(db.source_value("SELECT pg_current_wal_lsn()"));
  Lsn confirmed;
  for (int i = 0; i < 300; ++i) {
    confirmed = *Lsn::parse(db.source_value(
        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
        h.spec().postgres.slot_name + "'"));
    if (confirmed >= after_unrelated) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  // The server's keepalives say it has sent everything up to there: the write position
  // in pg_stat_replication follows, as it does for a native subscriber.
  Lsn written;
  for (int i = 0; i < 300; ++i) {
    written = *Lsn::parse(db.source_value(
        "SELECT coalesce(max(write_lsn), '0/0') FROM pg_stat_replication WHERE "
        "application_name = 'tideway-stream' AND pid = (SELECT active_pid FROM "
        "pg_replication_slots WHERE slot_name = '" + h.spec().postgres.slot_name + "')"));
    if (written >= after_unrelated) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(h.stop_stream().ok());
  CHECK(confirmed >= after_unrelated);
  CHECK(written >= after_unrelated);
  // And it advanced through our own checkpoint, not around it.
  CHECK(confirmed.value <= h.status().checkpointed_lsn.load());
}
