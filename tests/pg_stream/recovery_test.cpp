// Recovery of the PostgreSQL change stream when a server cuts one of its connections
// (a failover, an operator's pg_terminate_backend, idle_session_timeout): the stream
// reconnects with backoff from its last checkpoint, says so in its status, and loses
// or repeats nothing.
#include <catch2/catch.hpp>

#include <string>

#include "replication/core/lsn.h"
#include "tests/pg_stream/stream_harness.h"

using namespace tideway;
using namespace tideway::replication;

TEST_CASE("A stream whose source or target connection is cut reconnects and loses nothing") {
  test::PgTestDb db("st_reconnect");
  db.source_sql("CREATE TABLE t (id int PRIMARY KEY, v int)");
  test::StreamHarness h(db, "reconnect");
  h.full_load();
  h.start_stream();
  db.source_sql("INSERT INTO t SELECT g, g FROM generate_series(1, 100) g");
  REQUIRE(h.sync());
  REQUIRE(h.status().reconnects.load() == 0);

  // The source ends our walsender and catalog session.
  CHECK(db.source_value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name LIKE 'tideway-stream%' AND datname = "
                        "current_database()") != "0");
  db.source_sql("INSERT INTO t SELECT g, g FROM generate_series(101, 200) g");
  db.source_sql("UPDATE t SET v = -v WHERE id <= 50");
  db.source_sql("DELETE FROM t WHERE id > 190");
  REQUIRE(h.sync());
  CHECK(h.status().reconnects.load() >= 1);
  const int after_source = h.status().reconnects.load();
  // The status says why it reconnected, and that it streams again.
  const auto source_cut = h.status().interruption.view();
  CHECK_FALSE(source_cut.reconnecting);
  INFO("last error: " << source_cut.last_error);
  CHECK(source_cut.last_error.find("administrator command") != std::string::npos);
  CHECK(source_cut.last_error_us > 0);

  // The target ends our apply session.
  CHECK(db.target_value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'tideway-apply' AND datname = "
                        "current_database()") != "0");
  db.source_sql("INSERT INTO t SELECT g, g FROM generate_series(201, 300) g");
  db.source_sql("UPDATE t SET v = v + 1000 WHERE id BETWEEN 40 AND 60");
  REQUIRE(h.sync());
  CHECK(h.status().reconnects.load() > after_source);
  const auto target_cut = h.status().interruption.view();
  CHECK_FALSE(target_cut.reconnecting);
  INFO("last error: " << target_cut.last_error);
  // It names the side that failed: the target's endpoint.
  CHECK(target_cut.last_error.find(h.spec().target.describe()) != std::string::npos);
  CHECK(target_cut.last_error.find(h.spec().source.describe()) == std::string::npos);
  CHECK(target_cut.last_error_us >= source_cut.last_error_us);

  REQUIRE(h.stop_stream().ok());
  test::require_identical(db, {"t", "stream_marker"});
  CHECK(db.target_value("SELECT count(*) FROM t") == "290");
  // The slot confirms no more than what the target holds and the checkpoint recorded.
  const Lsn confirmed = *Lsn::parse(db.source_value(
      "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" +
      h.spec().postgres.slot_name + "'"));
  CHECK(confirmed.value <= h.status().checkpointed_lsn.load());
}
