// Streaming of in-progress transactions (pgoutput protocol 2) against the sandbox's
// PostgreSQL 15: logical_decoding_work_mem is set to its minimum for the task, so the
// server streams every transaction of more than a few rows while it runs. Each test
// proves that streaming really happened (the slot's stream_txns, our spool file) before
// it trusts the rows.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "replication/core/lsn.h"
#include "tests/pg_stream/stream_harness.h"

using namespace tideway;
using namespace tideway::replication;
using replication::postgres::PgConnection;
namespace fs = std::filesystem;

namespace {

void exec(PgConnection& c, const std::string& sql) {
  auto r = c.exec(sql);
  if (!r.ok()) FAIL(r.error().message);
}

std::string value(PgConnection& c, const std::string& sql) {
  auto r = c.exec(sql);
  if (!r.ok()) FAIL(r.error().message);
  return r->text(0, 0);
}

/// Waits up to `seconds` for `done`; returns its last answer.
bool eventually(const std::function<bool()>& done, int seconds = 120) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

/// The server's own count of transactions it streamed through the task's slot.
long stream_txns(test::PgTestDb& db, const std::string& slot) {
  return std::stol(db.source_value(
      "SELECT coalesce((SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '" +
      slot + "'), 0)"));
}

}  // namespace

TEST_CASE("Large transactions stream while in progress and apply only at their commit") {
  test::PgTestDb db("st_inprog");
  db.source_sql("CREATE TABLE big (id int PRIMARY KEY, v int, payload text);"
                "CREATE TABLE small (id int PRIMARY KEY, note text);"
                "CREATE TABLE side (id int PRIMARY KEY, v int)");
  test::StreamHarness h(db, "inprog");
  h.spec().postgres.logical_decoding_work_mem = "64kB";
  h.full_load();
  h.start_stream();
  REQUIRE(h.sync());
  REQUIRE(h.status().streaming_in_progress);
  const std::string slot = h.spec().postgres.slot_name;

  int small_id = 0;
  auto small_commit = [&] {
    db.source_sql("INSERT INTO small VALUES (" + std::to_string(++small_id) + ", 'between')");
  };
  auto big = db.new_source_admin();

  // 200,000 rows inserted, a third updated, a seventh deleted, with small transactions
  // committing between its statements.
  exec(*big, "BEGIN");
  const std::string xid = value(*big, "SELECT pg_current_xact_id()::xid");
  exec(*big, "INSERT INTO big SELECT g, g, md5(g::text) FROM generate_series(1, 200000) g");
  small_commit();
  // It is on our disk, not applied, while it is open.
  REQUIRE(eventually([&] { return fs::exists(h.spool_dir() / ("xid-" + xid + ".spool")); }));
  small_commit();
  REQUIRE(h.sync());
  CHECK(db.target_value("SELECT count(*) FROM big") == "0");
  CHECK(db.target_value("SELECT count(*) FROM small") == "2");
  CHECK(h.status().spool_bytes.load() > 0);
  CHECK(h.status().streamed_open.load() == 1);
  exec(*big, "UPDATE big SET v = -v, payload = payload || 'u' WHERE id % 3 = 0");
  small_commit();
  exec(*big, "DELETE FROM big WHERE id % 7 = 0");

  // Meanwhile another streamed transaction rolls back: a Stream Abort.
  auto doomed = db.new_source_admin();
  exec(*doomed, "BEGIN");
  exec(*doomed, "INSERT INTO big SELECT g, 0, 'doomed' FROM generate_series(300001, 350000) g");
  small_commit();
  exec(*doomed, "ROLLBACK");
  exec(*big, "COMMIT");

  // Subtransactions: what a ROLLBACK TO SAVEPOINT undid is gone, the rest stays. `side`
  // is first touched inside the rolled-back savepoint, so its description is in the
  // dropped part of the spool and must come again.
  exec(*big, "BEGIN");
  exec(*big, "INSERT INTO big SELECT g, 1, 'kept' FROM generate_series(400001, 420000) g");
  exec(*big, "SAVEPOINT a");
  exec(*big, "INSERT INTO side SELECT g, g FROM generate_series(1, 20000) g");
  exec(*big, "INSERT INTO big SELECT g, 2, 'rolled back' FROM generate_series(420001, 440000) g");
  exec(*big, "SAVEPOINT nested");
  exec(*big, "UPDATE big SET v = 99 WHERE id BETWEEN 400001 AND 400500");
  exec(*big, "ROLLBACK TO SAVEPOINT a");
  small_commit();
  exec(*big, "INSERT INTO side SELECT g, -g FROM generate_series(100001, 110000) g");
  exec(*big, "SAVEPOINT b");
  exec(*big, "UPDATE big SET v = 3 WHERE id BETWEEN 400001 AND 400100");
  exec(*big, "RELEASE SAVEPOINT b");
  exec(*big, "COMMIT");

  // A column added inside a streamed transaction, used by its later rows.
  exec(*big, "BEGIN");
  exec(*big, "INSERT INTO big SELECT g, 4, 'before' FROM generate_series(500001, 520000) g");
  small_commit();
  exec(*big, "ALTER TABLE big ADD COLUMN extra int");
  exec(*big, "INSERT INTO big SELECT g, 5, 'after', g FROM generate_series(520001, 530000) g");
  exec(*big, "COMMIT");

  REQUIRE(h.sync(600));
  // The server streamed them (not spilled to its own disk): the big one, the doomed one,
  // the savepoint one and the one with the new column.
  REQUIRE(eventually([&] { return stream_txns(db, slot) >= 4; }, 30));
  CHECK(h.status().streamed_committed.load() >= 3);
  CHECK(h.status().streamed_aborted.load() >= 1);
  CHECK(h.status().streamed_subxacts_aborted.load() >= 1);
  CHECK(h.status().streamed_open.load() == 0);
  CHECK(h.status().spool_bytes.load() == 0);

  require_identical(db, {"big", "small", "side", "stream_marker"});
  CHECK(db.target_value("SELECT count(*) FROM big WHERE payload IN ('doomed', 'rolled back')") ==
        "0");
  CHECK(db.target_value("SELECT count(*) FROM big WHERE id <= 200000") == "171429");
  CHECK(db.target_value(
            "SELECT count(*) || '|' || sum(v) FROM big WHERE id BETWEEN 400001 AND 420000") ==
        "20000|" + std::to_string(100 * 3 + 19900 * 1));
  CHECK(db.target_value("SELECT count(*) || '|' || min(id) FROM side") == "10000|100001");
  CHECK(db.target_value("SELECT count(extra) FROM big") == "10000");
  CHECK(db.target_value("SELECT count(*) FROM small") == std::to_string(small_id));
  REQUIRE(h.stop_stream().ok());
  CHECK_FALSE(fs::exists(h.spool_dir()));
}

TEST_CASE("A stream stopped while a streamed transaction is open resumes without loss or "
          "duplicate") {
  test::PgTestDb db("st_inprog_restart");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  test::StreamHarness h(db, "inprogrestart");
  h.spec().postgres.logical_decoding_work_mem = "64kB";
  h.full_load();
  h.start_stream();
  REQUIRE(h.sync());

  auto open = db.new_source_admin();
  exec(*open, "BEGIN");
  const std::string xid = value(*open, "SELECT pg_current_xact_id()::xid");
  exec(*open, "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g");
  const fs::path spooled = h.spool_dir() / ("xid-" + xid + ".spool");
  REQUIRE(eventually([&] { return fs::exists(spooled) && fs::file_size(spooled) > 0; }));
  db.source_sql("INSERT INTO t VALUES (-1, 'committed while the other is open')");
  REQUIRE(h.sync());
  CHECK(db.target_value("SELECT count(*) FROM t") == "1");
  CHECK(h.status().streamed_open.load() == 1);
  CHECK(h.status().spool_bytes.load() > 0);
  REQUIRE(h.stop_stream().ok());
  CHECK_FALSE(fs::exists(h.spool_dir()));
  CHECK(h.status().streamed_open.load() == 0);
  CHECK(h.status().spool_bytes.load() == 0);
  // The slot never passed what the target has committed; the open transaction is not
  // part of that.
  const Lsn confirmed = *Lsn::parse(db.source_value(
      "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
      h.spec().postgres.slot_name + "'"));
  const Lsn applied = *Lsn::parse(db.target_value(
      "SELECT end_lsn FROM _tideway.apply_position WHERE task_id = 'inprogrestart'"));
  INFO("confirmed " << confirmed.to_string() << ", applied " << applied.to_string());
  CHECK(confirmed.value <= applied.value);
  CHECK(confirmed.value <= h.status().checkpointed_lsn.load());

  // What a killed process would have left behind.
  fs::create_directories(h.spool_dir());
  { std::ofstream(h.spool_dir() / "xid-1.spool") << "left by an earlier process"; }
  h.start_stream();
  exec(*open, "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(100001, 150000) g");
  exec(*open, "UPDATE t SET v = v || 'x' WHERE id % 10 = 0");
  exec(*open, "COMMIT");
  REQUIRE(h.sync(600));
  CHECK_FALSE(fs::exists(h.spool_dir() / "xid-1.spool"));
  // The server sent the whole transaction again from its first change.
  CHECK(h.status().streamed_committed.load() == 1);
  require_identical(db, {"t", "stream_marker"});
  CHECK(db.target_value("SELECT count(*) || '|' || count(*) FILTER (WHERE v LIKE '%x') FROM t") ==
        "150001|15000");
  REQUIRE(h.stop_stream().ok());
  CHECK_FALSE(fs::exists(h.spool_dir()));
}

TEST_CASE("stream_in_progress off keeps protocol 1 and the server holds the transaction") {
  test::PgTestDb db("st_inprog_off");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, v text)");
  test::StreamHarness h(db, "inprogoff");
  h.spec().postgres.logical_decoding_work_mem = "64kB";
  h.spec().postgres.stream_in_progress = StreamInProgress::kOff;
  h.full_load();
  h.start_stream();
  db.source_sql("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 50000) g");
  REQUIRE(h.sync());
  REQUIRE(h.stop_stream().ok());
  CHECK_FALSE(h.status().streaming_in_progress);
  CHECK(h.status().streamed_committed.load() == 0);
  CHECK(stream_txns(db, h.spec().postgres.slot_name) == 0);
  require_identical(db, {"t", "stream_marker"});
}
